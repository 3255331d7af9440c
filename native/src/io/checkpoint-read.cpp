// Reading checkpoints. Two passes over the stream: the header and the checksum first (so random
// damage is reported as such), then the sections, each checked against the limits and the sizes
// its config implies before anything is allocated for it. A file that passes can be trained on.
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>

#include "core/error.h"
#include "core/hash.h"
#include "io/checkpoint-format.h"
#include "io/checkpoint.h"
#include "io/save-target.h"
#include "model/gpt.h"
#include "model/limits.h"
#include "train/config.h"

namespace mg {

static_assert(sizeof(float) == 4 && sizeof(int) == 4, "checkpoints assume 32-bit float and int");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoints are little-endian; this target is not"
#endif

namespace {

const char * const kHint = "use an earlier checkpoint or train again";

[[noreturn]] void damaged(const std::string & name, const std::string & what) {
    MG_THROW_CODE(errc::kCheckpointDamaged, "checkpoint " + name + " is damaged: " + what, kHint);
}

struct Reader {
    std::FILE * f;
    std::string name;
    uint64_t left;  // bytes of the payload not yet read
    void bytes(void * p, uint64_t n) {
        if (n > left || std::fread(p, 1, size_t(n), f) != n)
            damaged(name, "truncated or malformed (a section runs past the end)");
        left -= n;
    }
    template <typename T> T pod() {
        T v;
        bytes(&v, sizeof v);
        return v;
    }
    void skip(uint64_t n) {
        char buf[4096];
        while (n) {
            uint64_t k = n < sizeof buf ? n : sizeof buf;
            bytes(buf, k);
            n -= k;
        }
    }
};

// Pass 1: magic, version and size from the header, then the checksum over the whole stream.
void check_envelope(std::FILE * f, uint64_t size, const std::string & name, uint32_t & flags) {
    char head[kHeaderBytes] = {};
    size_t got = std::fread(head, 1, size < kHeaderBytes ? size_t(size) : kHeaderBytes, f);
    if (got < 8 || std::memcmp(head, kMagic, 8) != 0)
        MG_THROW_CODE(errc::kCheckpointDamaged, name + " is not a MicroGPT checkpoint (wrong magic bytes)",
                      "pass a file written by --save_checkpoint");
    if (got < kHeaderBytes) damaged(name, "truncated header (" + std::to_string(size) + " bytes)");
    uint32_t version;
    uint64_t payload;
    std::memcpy(&version, head + 8, 4);
    std::memcpy(&flags, head + 12, 4);
    std::memcpy(&payload, head + 16, 8);
    if (version > kCheckpointVersion)
        MG_THROW_HINT("checkpoint " + name + " has format version " + std::to_string(version) +
                          ", newer than this build reads (up to " + std::to_string(kCheckpointVersion) + ")",
                      "update microgpt to open it");
    if (version == 0) damaged(name, "format version 0");
    if (payload > size || size - payload < kHeaderBytes + 8)
        damaged(name, "truncated: " + std::to_string(size) + " bytes of the " +
                          (payload > UINT64_MAX - kHeaderBytes - 8 ? std::string("(impossibly many)")
                                                                   : std::to_string(kHeaderBytes + payload + 8)) +
                          " it should have (was a save interrupted?)");
    if (size - payload > kHeaderBytes + 8)
        damaged(name, std::to_string(size - payload - kHeaderBytes - 8) + " unexpected bytes after the end");

    Hasher hash;
    hash.update(head, kHeaderBytes);
    std::vector<char> buf(size_t(1) << 16);
    for (uint64_t left = payload; left > 0;) {
        size_t k = left < buf.size() ? size_t(left) : buf.size();
        if (std::fread(buf.data(), 1, k, f) != k) damaged(name, "truncated while reading");
        hash.update(buf.data(), k);
        left -= k;
    }
    uint64_t stored;
    if (std::fread(&stored, 1, 8, f) != 8) damaged(name, "missing checksum");
    if (stored != hash.digest()) damaged(name, "checksum mismatch (the file was modified or corrupted)");
}

std::string code_point_name(uint32_t cp) {
    char b[16];
    std::snprintf(b, sizeof b, "U+%04X", cp);
    return b;
}

// The first element that is not a finite number (or, with nonnegative, is below zero), or n.
size_t first_bad_float(const float * p, size_t n, bool nonnegative) {
    for (size_t i = 0; i < n; i++)
        if (!std::isfinite(p[i]) || (nonnegative && p[i] < 0.0f)) return i;
    return n;
}

const char * param_kind_of(const ModelConfig & c, size_t index) {
    ParamInfo info[PARAM_KIND_COUNT];
    gpt_layout(c, info);
    for (int k = PARAM_KIND_COUNT - 1; k >= 0; k--)
        if (info[k].size && index >= info[k].offset) return info[k].name;
    return "?";
}

void read_train_state(Reader & r, uint64_t len, size_t n, Checkpoint & ck) {
    const bool before_dropout = len == kTrainFixedBytesBeforeDropout + 8 * uint64_t(n);
    if (len != kTrainFixedBytes + 8 * uint64_t(n) && !before_dropout)
        damaged(r.name, "the training state's size (" + std::to_string(len) + " bytes) does not match the model's " +
                            std::to_string(n) + " parameters");
    int32_t ints[kTrainInts];
    float floats[kTrainFloats] = {};  // a file from before dropout: no dropout
    uint64_t words[kTrainWords];
    r.bytes(ints, sizeof ints);
    r.bytes(floats, (before_dropout ? kTrainFloats - 1 : kTrainFloats) * sizeof(float));
    r.bytes(words, sizeof words);
    TrainState & s = ck.train;
    TrainConfig & c = s.config;
    c.steps = ints[0], c.batch_size = ints[1], c.seq_len = ints[2], c.grad_accum = ints[3];
    c.warmup_steps = ints[4], c.eval_interval = ints[5], c.eval_batches = ints[6], s.step = ints[7];
    c.lr = floats[0], c.min_lr = floats[1], c.weight_decay = floats[2], c.beta1 = floats[3];
    c.beta2 = floats[4], c.adam_eps = floats[5], c.grad_clip = floats[6], c.val_fraction = floats[7];
    c.dropout = floats[8];
    c.seed = words[0];
    for (int i = 0; i < 4; i++) s.rng.s[i] = words[1 + i];
    s.data_hash = words[5];
    s.data_tokens = words[6];
    // the limits a run started from the command line would have had
    try {
        validate_train_config(c);
    } catch (const error & e) {
        damaged(r.name, "invalid training state: " + e.message);
    }
    if (s.step < 0 || s.step > c.steps)
        damaged(r.name, "the training state's step " + std::to_string(s.step) + " is outside [0, " +
                            std::to_string(c.steps) + "]");
    if (c.seq_len > ck.config.max_seq_len)
        damaged(r.name, "the training state's seq_len " + std::to_string(c.seq_len) + " exceeds the model's max_seq_len " +
                            std::to_string(ck.config.max_seq_len));
    if ((s.rng.s[0] | s.rng.s[1] | s.rng.s[2] | s.rng.s[3]) == 0)
        damaged(r.name, "the training state's random generator is all zeros");
    s.m.resize(n);
    s.v.resize(n);
    r.bytes(s.m.data(), n * 4);
    r.bytes(s.v.data(), n * 4);
    if (size_t i = first_bad_float(s.m.data(), n, false); i < n)
        damaged(r.name, "optimizer moment m[" + std::to_string(i) + "] is not a finite number");
    if (size_t i = first_bad_float(s.v.data(), n, true); i < n)
        damaged(r.name, "optimizer moment v[" + std::to_string(i) + "] is not a finite number >= 0");
    ck.has_train_state = true;
}

}  // namespace

Checkpoint checkpoint_read(std::FILE * f, uint64_t size, const std::string & name) {
    uint32_t flags = 0;
    check_envelope(f, size, name, flags);
    if (std::fseek(f, long(kHeaderBytes), SEEK_SET) != 0) MG_THROW("cannot read checkpoint " + name);

    // Pass 2: the sections. The checksum matched, so what follows is either our writer's output
    // or a file crafted to look like it: every field is checked as if it came from a stranger.
    Reader r{f, name, size - kHeaderBytes - 8};
    Checkpoint ck;
    bool have_conf = false, have_vocab = false, have_weights = false;
    size_t n = 0;  // parameters the config needs
    std::vector<uint32_t> chars;
    while (r.left > 0) {
        char tag[5] = {};
        r.bytes(tag, 4);
        uint64_t len = r.pod<uint64_t>();
        if (len > r.left) damaged(name, std::string("section ") + tag + " runs past the end");
        const uint64_t start = r.left;
        auto once = [&](bool & seen) {
            if (seen) damaged(name, std::string("section ") + tag + " appears twice");
            seen = true;
        };
        auto after_config = [&] {
            if (!have_conf) damaged(name, std::string("section ") + tag + " comes before the config");
        };
        if (!std::memcmp(tag, "CONF", 4)) {
            once(have_conf);
            if (len != kConfBytes) damaged(name, "config section has the wrong size");
            int32_t v[kConfInts];
            r.bytes(v, sizeof v);
            ModelConfig & c = ck.config;
            c.vocab_size = v[0], c.embed_dim = v[1], c.num_layers = v[2], c.num_heads = v[3], c.max_seq_len = v[4];
            c.hidden_dim = v[5], c.prelude_layers = v[6], c.coda_layers = v[7], c.max_passes = v[8];
            c.backprop_passes = v[9];
            c.mean_passes = r.pod<float>();
            try {
                validate_config(c);
                n = gpt_count_params(c);
            } catch (const error & e) {
                damaged(name, "invalid model config: " + e.message);
            }
        } else if (!std::memcmp(tag, "VOCB", 4)) {
            once(have_vocab);
            uint32_t n_special = r.pod<uint32_t>();
            uint32_t n_chars = r.pod<uint32_t>();
            if (n_special != NUM_SPECIAL_TOKENS || len != 8 + uint64_t(n_chars) * 4)
                damaged(name, "vocabulary section is malformed");
            if (uint64_t(n_chars) + NUM_SPECIAL_TOKENS > uint64_t(limits::vocab_size.max))
                damaged(name, "the vocabulary has " + std::to_string(n_chars) + " characters, more than Unicode has");
            chars.resize(n_chars);
            r.bytes(chars.data(), uint64_t(n_chars) * 4);
        } else if (!std::memcmp(tag, "WGHT", 4)) {
            after_config();
            once(have_weights);
            if (len != uint64_t(n) * 4)
                damaged(name, "it holds " + std::to_string(len / 4) + " weights but its config needs " + std::to_string(n));
            ck.params.resize(n);
            r.bytes(ck.params.data(), len);
            if (size_t i = first_bad_float(ck.params.data(), n, false); i < n)
                damaged(name, "weight " + std::to_string(i) + " (in " + param_kind_of(ck.config, i) +
                                  ") is not a finite number (NaN or infinity)");
        } else if (!std::memcmp(tag, "TRST", 4)) {
            after_config();
            if (ck.has_train_state) damaged(name, "section TRST appears twice");
            read_train_state(r, len, n, ck);
        } else if (!std::memcmp(tag, "SPLT", 4)) {
            if (ck.has_split) damaged(name, "section SPLT appears twice");
            if (len != kSplitBytes) damaged(name, "section SPLT has the wrong size");
            const uint32_t mode = r.pod<uint32_t>();
            SplitSpec & s = ck.split;
            s.seq_len = r.pod<int32_t>();
            s.val_fraction = r.pod<float>();
            s.seed = r.pod<uint64_t>();
            if (mode > 2)
                damaged(name, "its val split mode " + std::to_string(mode) +
                                  " is not 0 (the tail), 1 (whole lines) or 2 (whole lines, each its own sequence)");
            if (s.seq_len < 0 || s.seq_len > limits::seq_len.max || !(s.val_fraction > 0.0f && s.val_fraction < 0.5f))
                damaged(name, "its val split (seq_len " + std::to_string(s.seq_len) + ", val_fraction " +
                                  std::to_string(s.val_fraction) + ") is out of range");
            s.lines = mode >= 1;
            s.line_sequences = mode == 2;
            ck.has_split = true;
        } else if (!std::memcmp(tag, "BEST", 4)) {
            if (ck.best.step >= 0) damaged(name, "section BEST appears twice");
            if (len != kBestBytes) damaged(name, "section BEST has the wrong size");
            const int32_t step = r.pod<int32_t>();
            const float val = r.pod<float>();
            if (step < 0 || !std::isfinite(val) || val < 0)
                damaged(name, "its best mark (step " + std::to_string(step) + ", val loss " + std::to_string(val) +
                                  ") is out of range");
            ck.best = {step, val};
        } else {
            r.skip(len);  // a section from a later minor revision
        }
        if (start - r.left != len) damaged(name, std::string("section ") + tag + " has the wrong size");
    }
    if (!have_conf || !have_vocab || !have_weights)
        damaged(name, "a required section (config, vocabulary or weights) is missing");
    if ((flags & kFlagTrainState) && !ck.has_train_state) damaged(name, "the training-state section is missing");
    if (ck.has_train_state) {
        TrainConfig & c = ck.train.config;
        if (!ck.has_split) {
            ck.split = split_spec_of(c);  // written before SPLT existed: the tail
        } else {
            if (ck.split.seq_len != c.seq_len || ck.split.val_fraction != c.val_fraction || ck.split.seed != c.seed)
                damaged(name, "its val split disagrees with its training state");
            c.split_lines = ck.split.lines;
            c.line_sequences = ck.split.line_sequences;
        }
    }

    for (size_t i = 0; i < chars.size(); i++) {
        const uint32_t cp = chars[i];
        if (cp > 0x10FFFF) damaged(name, "the vocabulary holds " + code_point_name(cp) + ", past U+10FFFF (not Unicode)");
        if (cp >= 0xD800 && cp <= 0xDFFF)
            damaged(name, "the vocabulary holds " + code_point_name(cp) + ", a surrogate (not a Unicode character)");
        if (i > 0 && chars[i - 1] >= cp) damaged(name, "the vocabulary is not sorted and unique");
    }
    ck.tokenizer = Tokenizer(std::move(chars));
    if (ck.config.vocab_size != ck.tokenizer.vocab_size())
        damaged(name, "the vocabulary (" + std::to_string(ck.tokenizer.vocab_size()) +
                          " tokens) does not match the model's vocab_size " + std::to_string(ck.config.vocab_size));
    return ck;
}

Checkpoint checkpoint_load(const std::string & path) {
    std::FILE * f = std::fopen(path.c_str(), "rbe");
    if (!f)
        MG_THROW_HINT("cannot open checkpoint " + path + ": " + std::strerror(errno),
                      "check the path; checkpoints are written by --save_checkpoint");
    std::unique_ptr<std::FILE, int (*)(std::FILE *)> guard(f, std::fclose);
    struct stat st;
    if (::fstat(fileno(f), &st) != 0) MG_THROW("cannot read checkpoint " + path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        MG_THROW_HINT("cannot open checkpoint " + path + ": it is " +
                          (S_ISDIR(st.st_mode) ? "a folder" : "not a regular file"),
                      "pass the checkpoint file itself");
    remove_stale_temp_files(path, false);
    return checkpoint_read(f, uint64_t(st.st_size), path);
}

}  // namespace mg
