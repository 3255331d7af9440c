// Writing checkpoints: the file's exact size, and the atomic save (temp file, fsync, rename).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "core/hash.h"
#include "io/checkpoint-format.h"
#include "io/checkpoint.h"
#include "io/save-target.h"
#include "model/gpt.h"

namespace mg {

uint64_t checkpoint_file_bytes(const ModelConfig & config, size_t vocab_chars, bool with_train_state, bool with_best,
                               bool with_split) {
    const uint64_t n = gpt_count_params(config);
    uint64_t bytes = kHeaderBytes;
    bytes += kSectionHead + kConfBytes;
    bytes += kSectionHead + 8 + uint64_t(vocab_chars) * 4;
    bytes += kSectionHead + n * 4;
    if (with_train_state) bytes += kSectionHead + kTrainFixedBytes + 2 * n * 4;
    if (with_split) bytes += kSectionHead + kSplitBytes;
    if (with_best) bytes += kSectionHead + kBestBytes;
    return bytes + 8;  // the checksum
}

SplitSpec split_spec_of(const TrainConfig & c) {
    return {c.split_lines, c.split_lines && c.line_sequences, c.seq_len, c.val_fraction, c.seed};
}

std::string best_checkpoint_path(const std::string & path) {
    const std::string ext = ".bin";
    if (path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0)
        return path.substr(0, path.size() - ext.size()) + ".best.bin";
    return path + ".best";
}

// A failed write as an error whose code says what the user can do about it.
[[noreturn]] static void throw_save_error(const std::string & what, const std::string & path, int err) {
    std::string msg = what + " " + path + ": " + std::strerror(err);
    if (err == ENOSPC || err == EDQUOT)
        MG_THROW_CODE(errc::kDiskFull, msg, "the disk is full: free some space (or save to another disk) and save again");
    if (err == EROFS || err == EACCES || err == EPERM || err == ENOENT || err == ENOTDIR || err == EISDIR)
        MG_THROW_CODE(errc::kSaveTarget, msg, "check that the folder exists and is writable");
    MG_THROW_CODE(errc::kSaveFailed, msg, "check the disk (a failing device or a lost network share?) and save again");
}

struct Writer {
    std::FILE * f;
    std::string path;
    Hasher hash;
    void bytes(const void * p, size_t n) {
        if (n && std::fwrite(p, 1, n, f) != n) throw_save_error("cannot write checkpoint", path, errno);
        hash.update(p, n);
    }
    template <typename T> void pod(const T & v) { bytes(&v, sizeof v); }
    void section(const char tag[4], uint64_t len) {
        bytes(tag, 4);
        pod(len);
    }
};

static void write_config(Writer & w, const ModelConfig & c) {
    const int32_t ints[kConfInts] = {c.vocab_size, c.embed_dim, c.num_layers, c.num_heads, c.max_seq_len,
                                     c.hidden_dim, c.prelude_layers, c.coda_layers, c.max_passes, c.backprop_passes};
    w.section("CONF", kConfBytes);
    w.bytes(ints, sizeof ints);
    w.pod(c.mean_passes);
}

static void write_train(Writer & w, const TrainState & s, size_t n_params) {
    const TrainConfig & c = s.config;
    const int32_t ints[kTrainInts] = {c.steps, c.batch_size, c.seq_len, c.grad_accum, c.warmup_steps, c.eval_interval,
                                      c.eval_batches, s.step};
    const float floats[kTrainFloats] = {c.lr, c.min_lr, c.weight_decay, c.beta1, c.beta2, c.adam_eps, c.grad_clip,
                                        c.val_fraction, c.dropout};
    const uint64_t words[kTrainWords] = {c.seed, s.rng.s[0], s.rng.s[1], s.rng.s[2], s.rng.s[3], s.data_hash, s.data_tokens};
    MG_CHECK(s.m.size() == n_params && s.v.size() == n_params, "optimizer state does not match the model");
    w.section("TRST", kTrainFixedBytes + 2 * uint64_t(n_params) * sizeof(float));
    w.bytes(ints, sizeof ints);
    w.bytes(floats, sizeof floats);
    w.bytes(words, sizeof words);
    w.bytes(s.m.data(), n_params * sizeof(float));
    w.bytes(s.v.data(), n_params * sizeof(float));
}

static void fsync_dir_of(const std::string & path) {
    int fd = ::open(parent_dir(path).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

void checkpoint_save(const std::string & path, const GPT & model, const Tokenizer & tokenizer,
                     const TrainState * train, const BestMark * best, const SplitSpec * split) {
    const size_t n = model.num_params;
    const auto & chars = tokenizer.chars();
    const uint64_t payload = checkpoint_file_bytes(model.config, chars.size(), train, best, split) - kHeaderBytes - 8;
    remove_stale_temp_files(path, false);

    std::string tmp = checkpoint_temp_path(path, ::getpid());
    std::FILE * f = std::fopen(tmp.c_str(), "wbe");
    if (!f) throw_save_error("cannot create checkpoint", path, errno);
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
        if (split) {
            w.section("SPLT", kSplitBytes);
            w.pod(uint32_t(!split->lines ? 0 : split->line_sequences ? 2 : 1));
            w.pod(int32_t(split->seq_len));
            w.pod(split->val_fraction);
            w.pod(split->seed);
        }
        if (best) {
            w.section("BEST", kBestBytes);
            w.pod(int32_t(best->step));
            w.pod(best->val_loss);
        }
        uint64_t sum = w.hash.digest();
        w.bytes(&sum, 8);
        if (std::fflush(f) != 0 || ::fsync(fileno(f)) != 0) throw_save_error("cannot write checkpoint", path, errno);
    } catch (...) {
        std::fclose(f);
        std::remove(tmp.c_str());
        throw;
    }
    if (std::fclose(f) != 0) {
        int err = errno;
        std::remove(tmp.c_str());
        throw_save_error("cannot close checkpoint", path, err);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        std::remove(tmp.c_str());
        throw_save_error("cannot move the new checkpoint into place at", path, err);
    }
    fsync_dir_of(path);
}

void gpt_from_checkpoint(GPT & model, Checkpoint & ck) {
    gpt_build(model, ck.config);
    gpt_attach_params(model, std::move(ck.params));
}

}  // namespace mg
