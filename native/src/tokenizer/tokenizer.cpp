#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"

namespace mg {

static const char * const kMarkers[NUM_SPECIAL_TOKENS] = {"<|eot|>", "<|user|>", "<|assistant|>"};

const char * Tokenizer::special_marker(int id) { return id >= 0 && id < NUM_SPECIAL_TOKENS ? kMarkers[id] : ""; }

// Decodes text[begin, end) one code point at a time into fn, with offsets into the whole text
// in errors. A callback rather than a vector: training texts can be large, and a vector of code
// points (or of items, below) per byte of text was most of the memory tokenizing took.
template <typename Fn>
static void utf8_each(const std::string & text, size_t begin, size_t end, const char * what, Fn && fn) {
    const unsigned char * s = reinterpret_cast<const unsigned char *>(text.data());
    size_t i = begin;
    while (i < end) {
        uint32_t c = s[i];
        int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        bool ok = len > 0 && i + len <= end;
        uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (int k = 1; ok && k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) ok = false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        // reject overlong forms, surrogates and values past U+10FFFF
        static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (ok && (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
        if (!ok)
            MG_THROW_HINT(std::string(what) + " is not valid UTF-8 (bad byte 0x" +
                              [&] { char b[8]; std::snprintf(b, sizeof b, "%02X", s[i]); return std::string(b); }() +
                              " at byte offset " + std::to_string(i) + ")",
                          "save the file as UTF-8 text (most editors offer this under 'Save with encoding')");
        fn(cp);
        i += len;
    }
}

std::vector<uint32_t> utf8_decode(const std::string & text, const char * what) {
    std::vector<uint32_t> out;
    out.reserve(text.size());
    utf8_each(text, 0, text.size(), what, [&](uint32_t cp) { out.push_back(cp); });
    return out;
}

void utf8_append(std::string & out, uint32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

Tokenizer::Tokenizer(std::vector<uint32_t> chars) : chars_(std::move(chars)) {
    for (size_t i = 1; i < chars_.size(); i++)
        MG_CHECK(chars_[i - 1] < chars_[i], "tokenizer vocabulary must be sorted and unique");
}

// Walks text as code points and special markers: fn(cp) for a character, fn(~id) (negative)
// for a marker when allow_special.
template <typename Fn>
static void scan(const std::string & text, bool allow_special, const char * what, Fn && fn) {
    if (!allow_special) {
        utf8_each(text, 0, text.size(), what, [&](uint32_t cp) { fn(int64_t(cp)); });
        return;
    }
    size_t start = 0;
    while (start <= text.size()) {
        size_t best = std::string::npos;
        int best_id = -1;
        for (int id = 0; id < NUM_SPECIAL_TOKENS; id++) {
            size_t at = text.find(kMarkers[id], start);
            if (at < best) best = at, best_id = id;
        }
        utf8_each(text, start, best == std::string::npos ? text.size() : best, what,
                  [&](uint32_t cp) { fn(int64_t(cp)); });
        if (best == std::string::npos) break;
        fn(~int64_t(best_id));
        start = best + std::char_traits<char>::length(kMarkers[best_id]);
    }
}

Tokenizer Tokenizer::from_text(const std::string & text) {
    std::vector<bool> seen(0x110000, false);  // one bit per code point
    scan(text, true, "training text", [&](int64_t it) {
        if (it >= 0) seen[size_t(it)] = true;
    });
    std::vector<uint32_t> chars;
    for (uint32_t cp = 0; cp < 0x110000; cp++)
        if (seen[cp]) chars.push_back(cp);
    return Tokenizer(std::move(chars));
}

Tokenizer Tokenizer::ascii() {
    std::vector<uint32_t> chars = {'\t', '\n'};
    for (uint32_t c = 32; c < 127; c++) chars.push_back(c);
    return Tokenizer(chars);
}

int Tokenizer::id_of(uint32_t cp) const {
    auto it = std::lower_bound(chars_.begin(), chars_.end(), cp);
    return (it != chars_.end() && *it == cp) ? NUM_SPECIAL_TOKENS + int(it - chars_.begin()) : -1;
}

static std::string describe_char(uint32_t cp) {
    char code[16];
    std::snprintf(code, sizeof code, "U+%04X", cp);
    std::string shown;
    if (cp == '\n') shown = "\\n";
    else if (cp == '\t') shown = "\\t";
    else if (cp < 32 || cp == 127) shown = "";
    else utf8_append(shown, cp);
    return shown.empty() ? std::string(code) : "'" + shown + "' (" + code + ")";
}

std::vector<int> Tokenizer::encode(const std::string & text, bool allow_special, const char * what) const {
    std::vector<int> ids;
    // one id per character at most: count the lead bytes, so a large text is not grown by doubling
    size_t chars = 0;
    for (unsigned char c : text) chars += (c & 0xC0) != 0x80;
    ids.reserve(chars);
    std::vector<uint32_t> missing;
    scan(text, allow_special, what, [&](int64_t it) {
        if (it < 0) {
            ids.push_back(int(~it));
            return;
        }
        int id = id_of(uint32_t(it));
        if (id < 0) {
            if (std::find(missing.begin(), missing.end(), uint32_t(it)) == missing.end()) missing.push_back(uint32_t(it));
            return;
        }
        ids.push_back(id);
    });
    if (!missing.empty()) {
        std::string list;
        for (size_t i = 0; i < missing.size() && i < 8; i++) list += (i ? ", " : "") + describe_char(missing[i]);
        if (missing.size() > 8) list += ", ... (" + std::to_string(missing.size()) + " in all)";
        MG_THROW_HINT(std::string(what) + " has " + (missing.size() == 1 ? "a character" : "characters") +
                          " the model never saw in training: " + list,
                      "remove " + std::string(missing.size() == 1 ? "it" : "them") +
                          ", or train on a corpus that contains " + (missing.size() == 1 ? "it" : "them") +
                          " (the model knows " + std::to_string(chars_.size()) + " characters)");
    }
    return ids;
}

std::string Tokenizer::token_text(int id) const {
    std::string s;
    if (id >= NUM_SPECIAL_TOKENS && id < vocab_size()) utf8_append(s, chars_[id - NUM_SPECIAL_TOKENS]);
    return s;
}

std::string Tokenizer::decode(const std::vector<int> & ids) const {
    std::string s;
    for (int id : ids) s += token_text(id);
    return s;
}

}  // namespace mg
