#include "train/session.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "core/host-memory.h"
#include "data/line-split.h"
#include "generate/generate.h"
#include "io/checkpoint.h"
#include "io/save-target.h"

namespace mg {

// ----------------------------------------------------------------------------
// control

void TrainControl::pause() {
    paused_ = true;
    std::lock_guard<std::mutex> lock(mutex_);
    wake_.notify_all();
}

void TrainControl::resume() {
    paused_ = false;
    std::lock_guard<std::mutex> lock(mutex_);
    wake_.notify_all();
}

void TrainControl::stop() {
    stops_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mutex_);
    wake_.notify_all();
}

// Waits poll every 100 ms as well as waking on notify: a stop from a signal handler cannot notify.
bool TrainControl::wait_while_paused() {
    if (!paused_) return false;
    std::unique_lock<std::mutex> lock(mutex_);
    while (paused_ && stops_ == 0) wake_.wait_for(lock, std::chrono::milliseconds(100));
    return true;
}

bool TrainControl::wait_for_stop(double seconds, int seen) {
    using clock = std::chrono::steady_clock;
    const clock::time_point until =
        clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
    std::unique_lock<std::mutex> lock(mutex_);
    while (stops_ <= seen) {
        const clock::time_point now = clock::now();
        if (now >= until) return false;
        const clock::duration slice = std::chrono::milliseconds(100);
        wake_.wait_for(lock, std::min(clock::duration(until - now), slice));
    }
    return true;
}

// ----------------------------------------------------------------------------
// setup

static bool same_file(const std::string & a, const std::string & b) {
    struct stat x, y;
    return ::stat(a.c_str(), &x) == 0 && ::stat(b.c_str(), &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static int sequence_length(const ModelConfig & mc, const TrainConfig & tc) {
    int T = tc.seq_len > 0 ? tc.seq_len : mc.max_seq_len;
    if (T > mc.max_seq_len)
        MG_THROW_HINT("--seq_len " + std::to_string(T) + " exceeds the model's max_seq_len " +
                          std::to_string(mc.max_seq_len),
                      "lower --seq_len or raise --max_seq_len");
    return T;
}

TrainingSession::TrainingSession(TrainRequest request) : req_(std::move(request)) {
    const TrainRequest & r = req_;
    const bool saving = !r.save_path.empty();
    // the target and its lock first: a run that cannot save, or whose file another run is
    // writing, is refused before it reads anything
    if (saving) {
        checkpoint_check_target(r.save_path);
        lock_ = CheckpointLock(r.save_path);
    }
    if (!r.init_from.empty() && r.resume && !saving)
        MG_THROW_CODE(errc::kBadRequest, "resuming a run needs a checkpoint to save it to",
                      "give the checkpoint to save into (usually the one resumed from)");
    if (r.init_from.empty() && r.resume)
        MG_THROW_CODE(errc::kBadRequest, "resuming a run needs the checkpoint it was saved in", "give the checkpoint");

    Checkpoint ck;
    std::optional<TrainState> state;
    TrainConfig tc = r.train;
    ModelConfig mc;
    uint64_t resident = 0;  // bytes of the run already in memory before the pre-flight
    if (!r.init_from.empty()) {
        ck = checkpoint_load(r.init_from);
        tokenizer_ = ck.tokenizer;
        mc = ck.config;
        if (r.mean_passes) mc.mean_passes = *r.mean_passes;
        if (r.backprop_passes) mc.backprop_passes = *r.backprop_passes;
        if (r.max_passes) {
            if ((*r.max_passes > 1) != mc.recurrent())
                MG_THROW_CODE(errc::kBadRequest, "max_passes cannot switch recursion on or off for a loaded checkpoint",
                              "keep max_passes above 1 for a recursive model, at 1 for a plain one");
            mc.max_passes = *r.max_passes;
        }
        validate_config(mc);
        ck.config = mc;
        if (r.resume) {
            if (!ck.has_train_state)
                MG_THROW_CODE(errc::kBadRequest,
                              "checkpoint " + r.init_from + " holds no training state to resume (it was saved weights-only)",
                              "continue training from it without resuming instead");
            state = std::move(ck.train);
            if (r.steps) {
                if (*r.steps <= state->step)
                    MG_THROW_CODE(errc::kBadRequest,
                                  "steps (" + std::to_string(*r.steps) + ") must be above the " +
                                      std::to_string(state->step) + " steps already done",
                                  "give a larger number of steps to extend the run");
                state->config.steps = *r.steps;
            } else if (state->step >= state->config.steps) {
                MG_THROW_CODE(errc::kBadRequest,
                              "the run in " + r.init_from + " already finished its " + std::to_string(state->step) +
                                  " steps",
                              "give more steps (e.g. --steps " + std::to_string(state->step * 2) + ") to extend it");
            }
            tc = state->config;
            if (same_file(r.init_from, r.save_path)) last_saved_step_ = state->step;
            best_ = ck.best;  // the same run goes on: its best so far is what to beat
            resident = uint64_t(ck.params.size() + state->m.size() + state->v.size()) * sizeof(float);
        } else {
            ck.train = TrainState{};  // a new run on these weights: the old moments are not needed
            ck.has_train_state = false;
            resident = uint64_t(ck.params.size()) * sizeof(float);
        }
    } else {
        tokenizer_ = Tokenizer::from_text(r.text);
        mc = r.model;
        mc.vocab_size = tokenizer_.vocab_size();
        validate_config(mc);
    }
    tokens_ = tokenizer_.encode(r.text, true, "the training data");
    // whole lines held out: the lines in their seeded order, before anything counts the tokens
    const int line_end = tc.split_lines ? tokenizer_.id_of('\n') : -1;
    if (line_end >= 0) tokens_ = shuffle_lines(tokens_, line_end, tc.seed);
    // lines as sequences: seq_len 0 means the longest line, not the whole context (names need 16
    // of the 64), when it fits; the trainer refuses a longer one by name
    if (tc.line_sequences && tc.seq_len == 0 && line_end >= 0) {
        const size_t longest = index_lines(tokens_, 0, tokens_.size(), line_end).longest;
        if (longest <= size_t(mc.max_seq_len)) tc.seq_len = int(longest);
    }
    const size_t text_bytes = r.text.size();
    req_.text = std::string();  // the tokens are what the run needs (a CLI caller keeps its text)
    validate_train_config(tc);
    start_.seq_len = sequence_length(mc, tc);
    if (r.sample_interval < 0)
        MG_THROW_CODE(errc::kBadRequest, "sample_interval must be 0 (no samples) or a number of steps", "");
    if (r.sample_tokens < 1 || r.sample_tokens > 10000)
        MG_THROW_CODE(errc::kBadRequest,
                      "sample_tokens must be between 1 and 10000 (got " + std::to_string(r.sample_tokens) + ")", "");

    // pre-flight: room for every save, then memory for the whole run, before allocating it
    if (saving) {
        start_.checkpoint_bytes = checkpoint_file_bytes(mc, tokenizer_.chars().size(), true, true, true);
        start_.best_path = best_checkpoint_path(r.save_path);
        const uint64_t best_bytes = checkpoint_file_bytes(mc, tokenizer_.chars().size(), false, true, true);
        checkpoint_check_room(r.save_path, start_.checkpoint_bytes + best_bytes);
    }
    start_.memory = plan_training_memory(mc, tc, text_bytes, tokens_.size());
    resident += start_.memory.data;  // read and tokenized already
    HostMemory host = probe_host_memory();
    if (host.known) {
        start_.memory_available = host.available;
        check_training_memory(mc, tc, text_bytes, tokens_.size(), resident, host.available, host.source,
                              r.init_from.empty());
    }

    if (!r.init_from.empty()) {
        gpt_from_checkpoint(model_, ck);
        trainer_ = state ? std::make_unique<Trainer>(model_, std::move(*state), tokens_, line_end)
                         : std::make_unique<Trainer>(model_, tc, tokens_, line_end);
    } else {
        gpt_build(model_, mc);
        gpt_init_weights(model_, tc.seed);
        trainer_ = std::make_unique<Trainer>(model_, tc, tokens_, line_end);
    }
    start_.config = model_.config;
    start_.params = model_.num_params;
    start_.vocab = tokenizer_.vocab_size();
    start_.data_tokens = tokens_.size();
    start_.train_tokens = trainer_->train_tokens();
    start_.val_tokens = trainer_->val_tokens();
    if (line_end >= 0) {
        const std::vector<int> val(tokens_.end() - ptrdiff_t(start_.val_tokens), tokens_.end());
        start_.val_lines = count_lines(val, line_end);
        start_.train_lines = count_lines(tokens_, line_end) - start_.val_lines;
    }
    start_.step = trainer_->state().step;
    start_.steps = trainer_->config().steps;
    start_.train = trainer_->config();
    start_.save_path = r.save_path;
    start_.best = best_;
}

TrainingSession::~TrainingSession() = default;

// ----------------------------------------------------------------------------
// the step loop

// The decoder reads the fp32 weights in place (no copy) and keeps its own KV cache; the sampler
// draws from its own seeded stream. Neither touches the trainer's RNG, its tape and arenas, the
// gradients or the optimizer state, so a run with samples trains exactly as one without.
std::string TrainingSession::sample_text() const {
    GenerateConfig g;
    g.max_tokens = req_.sample_tokens;
    g.weights = DecodeWeights::fp32;
    g.sampler.temperature = 0.8f;
    g.line_sequences = trainer_->config().line_sequences;
    g.sampler.seed = trainer_->config().seed * 0x9e3779b97f4a7c15ULL + uint64_t(trainer_->state().step);
    return generate(model_, tokenizer_, "", g).text;
}

bool TrainingSession::save(const char * reason, const TrainingEvents & ev, SaveFailure * failure) {
    const int step = trainer_->state().step;
    try {
        const SplitSpec split = split_spec_of(trainer_->config());
        checkpoint_save(req_.save_path, model_, tokenizer_, &trainer_->state(), best_.step >= 0 ? &best_ : nullptr, &split);
    } catch (const error & e) {
        *failure = {step, reason, e.code.empty() ? errc::kSaveFailed : e.code, e.message, e.hint, true, 0, 0};
        return false;
    } catch (const std::bad_alloc &) {
        *failure = {step, reason, errc::kOutOfMemory, "out of memory while saving", "", true, 0, 0};
        return false;
    }
    last_saved_step_ = step;
    if (ev.saved) ev.saved(req_.save_path, step, reason);
    return true;
}

// Weights only (the run's checkpoint holds the optimizer state), with their own mark. A failed
// best save costs nothing but that save: the run goes on, and the next lower loss tries again.
void TrainingSession::save_best(const StepStats & s, const TrainingEvents & ev) {
    const BestMark mark{s.step, s.val_loss};
    try {
        const SplitSpec split = split_spec_of(trainer_->config());  // so its val split can be evaluated alone
        checkpoint_save(start_.best_path, model_, tokenizer_, nullptr, &mark, &split);
    } catch (const error & e) {
        if (ev.save_failed)
            ev.save_failed({s.step, "best", e.code.empty() ? errc::kSaveFailed : e.code, e.message, e.hint, false, 0, 0});
        return;
    } catch (const std::bad_alloc &) {
        if (ev.save_failed) ev.save_failed({s.step, "best", errc::kOutOfMemory, "out of memory while saving", "", false, 0, 0});
        return;
    }
    best_ = mark;
    if (ev.saved) ev.saved(start_.best_path, s.step, "best");
}

SessionResult TrainingSession::run(TrainControl & control, const TrainingEvents & ev) {
    const bool saving = !req_.save_path.empty();
    const int interval = req_.save_interval;
    if (ev.started) ev.started(start_);
    SessionResult res;
    res.steps = trainer_->config().steps;
    while (!trainer_->done()) {
        if (control.paused() && control.stops() == 0) {
            if (ev.paused) ev.paused(trainer_->state().step);
            control.wait_while_paused();
            if (control.stops() == 0 && ev.resumed) ev.resumed(trainer_->state().step);
        }
        if (control.stops() > 0) break;
        StepStats s = trainer_->step();
        if (s.val_loss >= 0) res.val_loss = s.val_loss;
        if (ev.step) ev.step(s);
        if (saving && s.val_loss >= 0 && (best_.step < 0 || s.val_loss < best_.val_loss)) save_best(s, ev);
        if (control.stops() > 0) break;
        if (ev.sample && req_.sample_interval > 0 && s.step % req_.sample_interval == 0) {
            bool sampled = true;
            std::string text;
            try {
                text = sample_text();
            } catch (const std::bad_alloc &) {
                sampled = false;  // no memory for the decoder's cache: a preview is not worth the run
            }
            if (sampled) ev.sample(s.step, text);
        }
        if (saving && interval > 0 && s.step % interval == 0 && !trainer_->done()) {
            SaveFailure f;
            if (!save("autosave", ev, &f)) {
                // the previous checkpoint is intact: keep training, try again at the next interval
                int next = (s.step / interval + 1) * interval;
                f.next_autosave_step = next < s.steps ? next : 0;
                if (ev.save_failed) ev.save_failed(f);
            } else {
                res.saved = true;
            }
        }
    }
    res.stopped = !trainer_->done();
    res.step = trainer_->state().step;
    res.best = best_;
    if (!saving) return res;

    // The final save: the run's result. Retry until it works or the job is stopped again.
    const char * reason = res.stopped ? "stopped" : "finished";
    const int stops_at_end = control.stops();
    for (;;) {
        SaveFailure f;
        if (save(reason, ev, &f)) break;
        const bool again = control.stops() > stops_at_end;
        f.will_retry = !again;
        f.retry_in_seconds = again ? 0 : req_.save_retry_seconds;
        if (ev.save_failed) ev.save_failed(f);
        if (again || control.wait_for_stop(req_.save_retry_seconds, stops_at_end)) {
            std::string held = last_saved_step_ >= 0
                                   ? "the checkpoint file still holds step " + std::to_string(last_saved_step_)
                                   : "no checkpoint of this run was saved";
            throw error(__FILE__, __LINE__,
                        "could not save the checkpoint " + req_.save_path + " after step " + std::to_string(res.step) +
                            " (" + f.message + "); gave up when stopped again: " + held,
                        f.hint, f.code.c_str());
        }
    }
    res.saved = true;
    return res;
}

}  // namespace mg
