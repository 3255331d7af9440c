// TrainingSession: one training job, owned by the engine once for the CLI and the Node binding,
// which only translate arguments in and events out. It:
//   - takes the checkpoint's lock (io/checkpoint-lock.h) and removes stale temp files,
//   - builds a new model or loads a checkpoint, and applies the resume rules,
//   - checks before allocating: the save target, the room on its disk for a checkpoint of the
//     exact size, and the memory the run needs against what the machine has,
//   - runs the steps, pausing and stopping on request, autosaving every save_interval steps,
//   - keeps the best weights: after every evaluation that lowers the val loss, a weights-only
//     checkpoint at best_checkpoint_path(save path), so an overfitting run keeps its best,
//   - every sample_interval steps samples a short text from the live weights (a preview of what
//     the model writes now), without touching the run's state,
//   - keeps training when an autosave fails (the previous checkpoint stays; the next interval
//     tries again), and retries a failing final save every save_retry_seconds until it works or
//     the job is stopped again, so a full disk never silently loses the run.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "io/checkpoint-lock.h"
#include "io/checkpoint.h"
#include "model/gpt.h"
#include "tokenizer/tokenizer.h"
#include "train/config.h"
#include "train/memory-plan.h"
#include "train/trainer.h"

namespace mg {

struct TrainRequest {
    std::string text;              // the training text (UTF-8)
    std::string init_from;         // start from this checkpoint; empty = a new model
    bool resume = false;           // continue init_from's run exactly (needs its training state)
    std::string save_path;         // where to save; empty = do not save
    ModelConfig model;             // a new model's shape (vocab_size comes from the text)
    // starting from a checkpoint, the recursion's training schedule may change, not its structure
    std::optional<float> mean_passes;
    std::optional<int> max_passes, backprop_passes;
    TrainConfig train;             // a new run's settings; a resumed run keeps the checkpoint's
    std::optional<int> steps;      // resume: extend the run to this many steps
    int save_interval = 500;       // autosave every N steps; 0 = only at the end
    int sample_interval = 0;       // a sample of the model's text every N steps; 0 = none
    int sample_tokens = 120;       // its length in characters
    double save_retry_seconds = 5; // between attempts of a failing final save
};

// Pause and stop, from any thread. stop() is lock-free, so a signal handler may call it.
class TrainControl {
public:
    void pause();
    void resume();
    void stop();
    void stop_from_signal() { stops_.fetch_add(1); }  // async-signal-safe: the waits poll for it
    int stops() const { return stops_.load(); }
    bool paused() const { return paused_.load(); }

    // Session side: blocks while paused (returns true if it paused); waits up to `seconds` for
    // a stop beyond `seen` (returns true if one came).
    bool wait_while_paused();
    bool wait_for_stop(double seconds, int seen);

private:
    std::atomic<int> stops_{0};
    std::atomic<bool> paused_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
};

struct SessionStart {
    ModelConfig config;
    size_t params = 0;
    int vocab = 0;
    size_t data_tokens = 0, train_tokens = 0, val_tokens = 0;
    size_t train_lines = 0, val_lines = 0;  // split_lines: whole lines in each split (0 otherwise)
    int step = 0, steps = 0;       // step > 0: resuming
    TrainConfig train;
    int seq_len = 0;
    MemoryPlan memory;
    uint64_t memory_available = 0; // 0 = unknown
    uint64_t checkpoint_bytes = 0; // per save; 0 without a save path
    std::string save_path;
    std::string best_path;         // the best checkpoint beside it; empty without a save path
    BestMark best;                 // a resumed run's best so far (step -1: none)
};

struct SaveFailure {
    int step = 0;
    std::string reason;            // autosave | finished | stopped | best
    std::string code, message, hint;
    bool will_retry = true;
    double retry_in_seconds = 0;   // final saves: the pause before the next attempt; 0 for autosaves
    int next_autosave_step = 0;    // autosaves: when the next attempt comes (0: none before the end)
};

struct TrainingEvents {
    std::function<void(const SessionStart &)> started;
    std::function<void(const StepStats &)> step;
    std::function<void(int step, const std::string & text)> sample;  // after the step it follows
    // reason: autosave | finished | stopped (the run's checkpoint), best (the best checkpoint)
    std::function<void(const std::string & path, int step, const std::string & reason)> saved;
    std::function<void(const SaveFailure &)> save_failed;
    std::function<void(int step)> paused, resumed;
};

struct SessionResult {
    bool stopped = false;          // false: finished all its steps
    int step = 0, steps = 0;
    bool saved = false;            // a checkpoint of this job was written
    float val_loss = -1;           // the last evaluation; < 0 when none
    BestMark best;                 // the lowest val loss and its step, saved at start.best_path
};

class TrainingSession {
public:
    // Everything up to the first step: lock, load or build, resume rules, pre-flight checks.
    // Throws mg::error (codes: BAD_REQUEST, CHECKPOINT_LOCKED, CHECKPOINT_DAMAGED, SAVE_TARGET,
    // DISK_FULL, OUT_OF_MEMORY) before allocating the run's memory.
    // The request's text is tokenized and dropped, not kept.
    explicit TrainingSession(TrainRequest request);
    ~TrainingSession();

    // Trains to the end or to a stop, saving as described above. A final save that is given up
    // throws mg::error with the save's code, naming the step the checkpoint file still holds.
    SessionResult run(TrainControl & control, const TrainingEvents & events);

    const GPT & model() const { return model_; }
    GPT & model() { return model_; }
    const Tokenizer & tokenizer() const { return tokenizer_; }
    const Trainer & trainer() const { return *trainer_; }
    int last_saved_step() const { return last_saved_step_; }  // -1: the file holds no step of this run
    const BestMark & best() const { return best_; }

    // A preview of the model as it is now: sample_tokens characters after a line start, at
    // temperature 0.8, seeded by the run's seed and the step (the same run shows the same text).
    std::string sample_text() const;

private:
    bool save(const char * reason, const TrainingEvents & events, SaveFailure * failure);
    void save_best(const StepStats & s, const TrainingEvents & events);

    TrainRequest req_;
    CheckpointLock lock_;
    GPT model_;
    Tokenizer tokenizer_;
    std::vector<int> tokens_;  // before the trainer, which refers to it
    std::unique_ptr<Trainer> trainer_;
    SessionStart start_;
    int last_saved_step_ = -1;
    BestMark best_;
};

}  // namespace mg
