// Crafting checkpoint files the way an attacker or a bug would: edit any field, resize a
// section, then recompute the checksum so that the reader's field checks, not the checksum, have
// to catch it. Used by test-checkpoint-fields, the fuzz driver and mg-ckpt-edit (test-cli.sh).
// The layout is spelled out here on purpose rather than taken from the engine's headers: these
// tools describe the file format as a stranger sees it.
#pragma once
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/hash.h"

namespace mgcraft {

constexpr size_t kHeader = 24, kHead = 12;

inline std::string read_file(const std::string & p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}
inline void write_file(const std::string & p, const std::string & d) { std::ofstream(p, std::ios::binary) << d; }

template <typename T> T get(const std::string & f, size_t at) {
    T v;
    std::memcpy(&v, f.data() + at, sizeof v);
    return v;
}
template <typename T> void put(std::string & f, size_t at, T v) {
    if (at + sizeof v > f.size()) throw std::out_of_range("craft: write past the end");
    std::memcpy(&f[at], &v, sizeof v);
}

struct Section {
    std::string tag;
    size_t head = 0;  // offset of the tag
    size_t data = 0;  // offset of the first byte after the length
    uint64_t len = 0;
};

// The sections as their length fields describe them (stops at the first that runs past the end).
inline std::vector<Section> sections(const std::string & f) {
    std::vector<Section> out;
    if (f.size() < kHeader + 8) return out;
    const size_t end = f.size() - 8;
    for (size_t at = kHeader; at + kHead <= end;) {
        Section s{f.substr(at, 4), at, at + kHead, get<uint64_t>(f, at + 4)};
        if (s.len > end - s.data) break;
        out.push_back(s);
        at = s.data + size_t(s.len);
    }
    return out;
}

inline Section find(const std::string & f, const char * tag) {
    for (const Section & s : sections(f))
        if (s.tag == tag) return s;
    throw std::runtime_error(std::string("craft: no section ") + tag);
}

// The checksum over everything but the trailing 8 bytes, written into them.
inline void reseal(std::string & f) {
    if (f.size() < 8) return;
    mg::Hasher h;
    h.update(f.data(), f.size() - 8);
    put<uint64_t>(f, f.size() - 8, h.digest());
}

// Sets the header's payload size to what the file holds.
inline void fix_payload(std::string & f) {
    if (f.size() >= kHeader + 8) put<uint64_t>(f, 16, uint64_t(f.size() - kHeader - 8));
}

// Makes section `tag` hold `len` bytes (zeros appended, or its tail cut), then fixes the header.
inline void resize_section(std::string & f, const char * tag, uint64_t len) {
    Section s = find(f, tag);
    if (len > s.len) f.insert(s.data + size_t(s.len), size_t(len - s.len), '\0');
    else f.erase(s.data + size_t(len), size_t(s.len - len));
    put<uint64_t>(f, s.head + 4, len);
    fix_payload(f);
}

inline void remove_section(std::string & f, const char * tag) {
    Section s = find(f, tag);
    f.erase(s.head, kHead + size_t(s.len));
    fix_payload(f);
}

// CONF's fields in file order (10 int32, then mean_passes as a float at index 10).
inline size_t conf_field(const std::string & f, int i) { return find(f, "CONF").data + size_t(i) * 4; }
// TRST's int32 fields: steps, batch_size, seq_len, grad_accum, warmup_steps, eval_interval,
// eval_batches, step; then 9 floats (lr, min_lr, weight_decay, beta1, beta2, adam_eps,
// grad_clip, val_fraction, dropout); then 7 u64 (seed, rng[4], data_hash, data_tokens); m; v.
inline size_t trst_int(const std::string & f, int i) { return find(f, "TRST").data + size_t(i) * 4; }
inline size_t trst_float(const std::string & f, int i) { return find(f, "TRST").data + 32 + size_t(i) * 4; }
inline size_t trst_word(const std::string & f, int i) { return find(f, "TRST").data + 68 + size_t(i) * 8; }
inline size_t trst_m(const std::string & f) { return find(f, "TRST").data + 124; }
// The TRST of a file written before dropout: 8 floats, the dropout cut out.
inline void trst_before_dropout(std::string & f) {
    Section s = find(f, "TRST");
    f.erase(trst_float(f, 8), 4);
    put<uint64_t>(f, s.head + 4, s.len - 4);
    fix_payload(f);
    reseal(f);
}
inline size_t vocab_char(const std::string & f, size_t i) { return find(f, "VOCB").data + 8 + i * 4; }
inline size_t weight(const std::string & f, size_t i) { return find(f, "WGHT").data + i * 4; }

// The case of issue 8.12: a config whose parameter count is 2^64 plus a few hundred. With 64-bit
// wrapping arithmetic it needs 4 * (2V + max_seq_len + 1) weights, so a weights section of that
// size "matches". embed_dim 4, num_layers 2^30, hidden_dim 2^31 - 9, no recursion: the layer terms
// sum to L*C*(2 + 4C + 2H) = 2^30 * 4 * 2^32 = 2^64 exactly. The training state is dropped (its
// moments would have to match too) and the train-state flag cleared.
inline uint64_t craft_overflow_config(std::string & f) {
    const int32_t V = get<int32_t>(f, conf_field(f, 0)), maxT = get<int32_t>(f, conf_field(f, 4));
    const int32_t C = 4, L = 1 << 30, H = 2147483639;
    put<int32_t>(f, conf_field(f, 1), C);
    put<int32_t>(f, conf_field(f, 2), L);
    put<int32_t>(f, conf_field(f, 3), 2);
    put<int32_t>(f, conf_field(f, 5), H);
    put<int32_t>(f, conf_field(f, 6), 0);
    put<int32_t>(f, conf_field(f, 7), 0);
    put<int32_t>(f, conf_field(f, 8), 1);
    put<int32_t>(f, conf_field(f, 9), 1);
    put<float>(f, conf_field(f, 10), 1.0f);
    // the count as unchecked size_t arithmetic computes it (unsigned overflow wraps by definition)
    const uint64_t v = uint64_t(V), c = C, l = L, h = uint64_t(H), t = uint64_t(maxT);
    const uint64_t wrapped = v * c + t * c + l * c + l * 3 * c * c + l * c * c + l * c + l * h * c + l * c * h + c + v * c;
    for (const Section & s : sections(f))
        if (s.tag == "TRST") remove_section(f, "TRST");
    put<uint32_t>(f, 12, 0);  // flags: no training state
    resize_section(f, "WGHT", wrapped * 4);
    reseal(f);
    return wrapped;
}

}  // namespace mgcraft
