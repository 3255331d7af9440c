#include "io/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.h"
#include "core/hash.h"
#include "model/gpt.h"

namespace mg {

static_assert(sizeof(float) == 4 && sizeof(int) == 4, "checkpoints assume 32-bit float and int");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoints are little-endian; this target is not"
#endif

static const char kMagic[8] = {'M', 'G', 'P', 'T', 'C', 'K', 'P', 'T'};
static constexpr uint32_t kFlagTrainState = 1;
static constexpr size_t kHeaderBytes = 24;

// ----------------------------------------------------------------------------
// writing

struct Writer {
    std::FILE * f;
    std::string path;
    Hasher hash;
    void bytes(const void * p, size_t n) {
        if (n && std::fwrite(p, 1, n, f) != n)
            MG_THROW_HINT("cannot write checkpoint " + path + ": " + std::strerror(errno),
                          errno == ENOSPC ? "the disk is full: free some space and save again"
                                          : "check that the folder is writable");
        hash.update(p, n);
    }
    template <typename T> void pod(const T & v) { bytes(&v, sizeof v); }
    void section(const char tag[4], uint64_t len) {
        bytes(tag, 4);
        pod(len);
    }
};

static void write_config(Writer & w, const ModelConfig & c) {
    const int32_t ints[] = {c.vocab_size, c.embed_dim, c.num_layers, c.num_heads, c.max_seq_len,
                            c.hidden_dim, c.prelude_layers, c.coda_layers, c.max_passes, c.backprop_passes};
    w.section("CONF", sizeof ints + sizeof(float));
    w.bytes(ints, sizeof ints);
    w.pod(c.mean_passes);
}

static void write_train(Writer & w, const TrainState & s, size_t n_params) {
    const TrainConfig & c = s.config;
    const int32_t ints[] = {c.steps, c.batch_size, c.seq_len, c.grad_accum, c.warmup_steps, c.eval_interval,
                            c.eval_batches, s.step};
    const float floats[] = {c.lr, c.min_lr, c.weight_decay, c.beta1, c.beta2, c.adam_eps, c.grad_clip, c.val_fraction};
    const uint64_t words[] = {c.seed, s.rng.s[0], s.rng.s[1], s.rng.s[2], s.rng.s[3], s.data_hash, s.data_tokens};
    MG_CHECK(s.m.size() == n_params && s.v.size() == n_params, "optimizer state does not match the model");
    w.section("TRST", sizeof ints + sizeof floats + sizeof words + 2 * n_params * sizeof(float));
    w.bytes(ints, sizeof ints);
    w.bytes(floats, sizeof floats);
    w.bytes(words, sizeof words);
    w.bytes(s.m.data(), n_params * sizeof(float));
    w.bytes(s.v.data(), n_params * sizeof(float));
}

static void fsync_dir_of(const std::string & path) {
    std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
    int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

void checkpoint_save(const std::string & path, const GPT & model, const Tokenizer & tokenizer,
                     const TrainState * train) {
    const size_t n = model.num_params;
    const auto & chars = tokenizer.chars();
    uint64_t payload = (4 + 8) + 10 * 4 + 4;                       // CONF
    payload += (4 + 8) + 8 + chars.size() * 4;                     // VOCB
    payload += (4 + 8) + n * 4;                                    // WGHT
    if (train) payload += (4 + 8) + 8 * 4 + 8 * 4 + 7 * 8 + 2 * n * 4;  // TRST

    std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    std::FILE * f = std::fopen(tmp.c_str(), "wb");
    if (!f)
        MG_THROW_HINT("cannot create checkpoint " + path + ": " + std::strerror(errno),
                      "check that the folder exists and is writable");
    try {
        Writer w{f, path, {}};
        w.bytes(kMagic, 8);
        w.pod(kCheckpointVersion);
        w.pod(uint32_t(train ? kFlagTrainState : 0));
        w.pod(payload);
        write_config(w, model.config);
        w.section("VOCB", 8 + chars.size() * 4);
        w.pod(uint32_t(NUM_SPECIAL_TOKENS));
        w.pod(uint32_t(chars.size()));
        w.bytes(chars.data(), chars.size() * 4);
        w.section("WGHT", n * 4);
        w.bytes(model.params.data(), n * 4);
        if (train) write_train(w, *train, n);
        uint64_t sum = w.hash.digest();
        w.bytes(&sum, 8);
        if (std::fflush(f) != 0 || ::fsync(fileno(f)) != 0)
            MG_THROW_HINT("cannot write checkpoint " + path + ": " + std::strerror(errno),
                          errno == ENOSPC ? "the disk is full: free some space and save again" : "");
    } catch (...) {
        std::fclose(f);
        std::remove(tmp.c_str());
        throw;
    }
    if (std::fclose(f) != 0) {
        std::remove(tmp.c_str());
        MG_THROW("cannot close checkpoint " + path + ": " + std::strerror(errno));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        std::remove(tmp.c_str());
        MG_THROW("cannot move the new checkpoint into place at " + path + ": " + std::strerror(err));
    }
    fsync_dir_of(path);
}

void checkpoint_check_writable(const std::string & path) {
    std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    std::FILE * f = std::fopen(tmp.c_str(), "wb");
    if (!f)
        MG_THROW_HINT("cannot create checkpoint " + path + ": " + std::strerror(errno),
                      "check that the folder exists and is writable");
    std::fclose(f);
    std::remove(tmp.c_str());
}

// ----------------------------------------------------------------------------
// reading

struct Reader {
    std::FILE * f;
    std::string path;
    Hasher hash;
    uint64_t left;  // bytes of the file not yet read, checksum included
    void bytes(void * p, size_t n) {
        if (n > left || std::fread(p, 1, n, f) != n)
            MG_THROW_HINT("checkpoint " + path + " is truncated or malformed (a section runs past the end)",
                          "the file is damaged: use an earlier checkpoint or train again");
        left -= n;
        hash.update(p, n);
    }
    template <typename T> T pod() {
        T v;
        bytes(&v, sizeof v);
        return v;
    }
    void skip(uint64_t n) {
        char buf[4096];
        while (n) {
            size_t k = n < sizeof buf ? size_t(n) : sizeof buf;
            bytes(buf, k);
            n -= k;
        }
    }
};

static std::string damaged(const std::string & path, const std::string & what) {
    return "checkpoint " + path + " is damaged: " + what;
}

Checkpoint checkpoint_load(const std::string & path) {
    std::FILE * f = std::fopen(path.c_str(), "rb");
    if (!f)
        MG_THROW_HINT("cannot open checkpoint " + path + ": " + std::strerror(errno),
                      "check the path; checkpoints are written by --save_checkpoint");
    std::unique_ptr<std::FILE, int (*)(std::FILE *)> guard(f, std::fclose);
    std::fseek(f, 0, SEEK_END);
    long size = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    const std::string hint = "use an earlier checkpoint or train again";
    if (size < 0) MG_THROW("cannot read checkpoint " + path);

    Reader r{f, path, {}, uint64_t(size)};
    char magic[8] = {};
    if (size < long(kHeaderBytes)) {
        if (size >= 8) r.bytes(magic, 8);
        if (size < 8 || std::memcmp(magic, kMagic, 8) != 0)
            MG_THROW_HINT(path + " is not a MicroGPT checkpoint (wrong magic bytes)",
                          "pass a file written by --save_checkpoint");
        MG_THROW_HINT(damaged(path, "truncated header (" + std::to_string(size) + " bytes)"), hint);
    }
    r.bytes(magic, 8);
    if (std::memcmp(magic, kMagic, 8) != 0)
        MG_THROW_HINT(path + " is not a MicroGPT checkpoint (wrong magic bytes)", "pass a file written by --save_checkpoint");
    uint32_t version = r.pod<uint32_t>();
    if (version > kCheckpointVersion)
        MG_THROW_HINT("checkpoint " + path + " has format version " + std::to_string(version) +
                          ", newer than this build reads (up to " + std::to_string(kCheckpointVersion) + ")",
                      "update microgpt to open it");
    if (version == 0) MG_THROW_HINT(damaged(path, "format version 0"), hint);
    uint32_t flags = r.pod<uint32_t>();
    uint64_t payload = r.pod<uint64_t>();
    uint64_t expected = kHeaderBytes + payload + 8;
    if (uint64_t(size) < expected)
        MG_THROW_HINT(damaged(path, "truncated: " + std::to_string(size) + " bytes of the " + std::to_string(expected) +
                                        " it should have (was a save interrupted?)"),
                      hint);
    if (uint64_t(size) > expected)
        MG_THROW_HINT(damaged(path, std::to_string(uint64_t(size) - expected) + " unexpected bytes after the end"), hint);

    Checkpoint ck;
    bool have_conf = false, have_vocab = false, have_weights = false;
    std::vector<uint32_t> chars;
    uint64_t weights_bytes = 0;
    while (r.left > 8) {
        char tag[5] = {};
        r.bytes(tag, 4);
        uint64_t len = r.pod<uint64_t>();
        if (len > r.left - 8) MG_THROW_HINT(damaged(path, std::string("section ") + tag + " runs past the end"), hint);
        uint64_t start = r.left;
        if (!std::memcmp(tag, "CONF", 4)) {
            int32_t v[10];
            MG_CHECK(len == sizeof v + 4, damaged(path, "config section has the wrong size"));
            r.bytes(v, sizeof v);
            ModelConfig & c = ck.config;
            c.vocab_size = v[0], c.embed_dim = v[1], c.num_layers = v[2], c.num_heads = v[3], c.max_seq_len = v[4];
            c.hidden_dim = v[5], c.prelude_layers = v[6], c.coda_layers = v[7], c.max_passes = v[8];
            c.backprop_passes = v[9];
            c.mean_passes = r.pod<float>();
            have_conf = true;
        } else if (!std::memcmp(tag, "VOCB", 4)) {
            uint32_t n_special = r.pod<uint32_t>();
            uint32_t n_chars = r.pod<uint32_t>();
            MG_CHECK(n_special == NUM_SPECIAL_TOKENS && len == 8 + uint64_t(n_chars) * 4,
                     damaged(path, "vocabulary section is malformed"));
            chars.resize(n_chars);
            r.bytes(chars.data(), size_t(n_chars) * 4);
            have_vocab = true;
        } else if (!std::memcmp(tag, "WGHT", 4)) {
            MG_CHECK(len % 4 == 0 && len <= r.left, damaged(path, "weights section is malformed"));
            ck.params.resize(len / 4);
            r.bytes(ck.params.data(), len);
            weights_bytes = len;
            have_weights = true;
        } else if (!std::memcmp(tag, "TRST", 4)) {
            int32_t ints[8];
            float floats[8];
            uint64_t words[7];
            MG_CHECK(len >= sizeof ints + sizeof floats + sizeof words, damaged(path, "training state is malformed"));
            r.bytes(ints, sizeof ints);
            r.bytes(floats, sizeof floats);
            r.bytes(words, sizeof words);
            TrainState & s = ck.train;
            TrainConfig & c = s.config;
            c.steps = ints[0], c.batch_size = ints[1], c.seq_len = ints[2], c.grad_accum = ints[3];
            c.warmup_steps = ints[4], c.eval_interval = ints[5], c.eval_batches = ints[6], s.step = ints[7];
            c.lr = floats[0], c.min_lr = floats[1], c.weight_decay = floats[2], c.beta1 = floats[3];
            c.beta2 = floats[4], c.adam_eps = floats[5], c.grad_clip = floats[6], c.val_fraction = floats[7];
            c.seed = words[0];
            for (int i = 0; i < 4; i++) s.rng.s[i] = words[1 + i];
            s.data_hash = words[5];
            s.data_tokens = words[6];
            uint64_t rest = len - (sizeof ints + sizeof floats + sizeof words);
            MG_CHECK(rest % 8 == 0, damaged(path, "optimizer state is malformed"));
            s.m.resize(rest / 8);
            s.v.resize(rest / 8);
            r.bytes(s.m.data(), rest / 2);
            r.bytes(s.v.data(), rest / 2);
            ck.has_train_state = true;
        } else {
            r.skip(len);  // a section from a later minor revision
        }
        if (start - r.left != len)
            MG_THROW_HINT(damaged(path, std::string("section ") + tag + " has the wrong size"), hint);
    }
    uint64_t computed = r.hash.digest();
    uint64_t stored;
    if (std::fread(&stored, 1, 8, f) != 8) MG_THROW_HINT(damaged(path, "missing checksum"), hint);
    if (stored != computed)
        MG_THROW_HINT(damaged(path, "checksum mismatch (the file was modified or corrupted)"), hint);
    if (!have_conf || !have_vocab || !have_weights)
        MG_THROW_HINT(damaged(path, "a required section (config, vocabulary or weights) is missing"), hint);
    if ((flags & kFlagTrainState) && !ck.has_train_state)
        MG_THROW_HINT(damaged(path, "the training-state section is missing"), hint);

    try {
        ck.tokenizer = Tokenizer(chars);
    } catch (const error &) {
        MG_THROW_HINT(damaged(path, "the vocabulary is not sorted"), hint);
    }
    if (ck.config.vocab_size != ck.tokenizer.vocab_size())
        MG_THROW_HINT(damaged(path, "the vocabulary does not match the model's vocab_size"), hint);
    try {
        validate_config(ck.config);
    } catch (const error & e) {
        MG_THROW_HINT(damaged(path, "invalid model config: " + e.message), hint);
    }
    size_t n = gpt_count_params(ck.config);
    if (weights_bytes != n * 4)
        MG_THROW_HINT(damaged(path, "it holds " + std::to_string(weights_bytes / 4) + " weights but its config needs " +
                                        std::to_string(n)),
                      hint);
    if (ck.has_train_state && ck.train.m.size() != n)
        MG_THROW_HINT(damaged(path, "the optimizer state does not match the weights"), hint);
    return ck;
}

void gpt_from_checkpoint(GPT & model, Checkpoint & ck) {
    gpt_build(model, ck.config);
    gpt_attach_params(model, std::move(ck.params));
}

}  // namespace mg
