// The training session (issue 8, items 8 and 10): one writer per checkpoint, the save target and
// its disk checked before training, autosaves that fail without losing the run and recover, a
// final save that retries until it works or the job is stopped again, and the memory pre-flight
// and resume rules as the CLI and the app both meet them.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <algorithm>
#include <iterator>
#include <map>
#include <thread>
#include <tuple>

#include "data/line-split.h"
#include "data/synthetic-corpus.h"
#include "eval/evaluate.h"
#include "io/checkpoint-lock.h"
#include "io/checkpoint.h"
#include "io/save-target.h"
#include "test-util.h"
#include "train/session.h"

using namespace mg;

static std::string g_dir;

static bool exists(const std::string & p) { return access(p.c_str(), F_OK) == 0; }
static uint64_t file_size(const std::string & p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
}
static void sh(const std::string & cmd) {
    if (std::system(cmd.c_str()) != 0) std::printf("  (command failed: %s)\n", cmd.c_str());
}

static TrainRequest small_request(const std::string & save, int steps, int interval) {
    TrainRequest r;
    r.text = synthetic_corpus(20000, 5);
    r.model = mgtest::recursive_preset("micro");  // recursion on: the session's paths with passes
    r.model.embed_dim = 32, r.model.hidden_dim = 64, r.model.max_seq_len = 16;
    r.train.steps = steps, r.train.batch_size = 2, r.train.eval_interval = 0, r.train.eval_batches = 1;
    r.save_path = save;
    r.save_interval = interval;
    r.save_retry_seconds = 0.05;
    return r;
}

// An error's code and message from running fn, or empty strings when it throws none.
static std::pair<std::string, std::string> failure_of(const std::function<void()> & fn) {
    try {
        fn();
    } catch (const error & e) {
        return {e.code, e.what()};
    }
    return {"", ""};
}

#define EXPECT_CODE(stmt, code_, needle)                                                                   \
    do {                                                                                                 \
        auto f_ = failure_of([&] { stmt; });                                                             \
        EXPECT_MSG(f_.first == (code_) && f_.second.find(needle) != std::string::npos,                   \
                   "wanted %s containing \"%s\", got %s: %s", code_, needle, f_.first.c_str(), f_.second.c_str()); \
    } while (0)

static void test_lock() {
    const std::string path = g_dir + "/locked.bin";
    {
        CheckpointLock lock(path);
        EXPECT(lock.held() && exists(path + ".lock"));
        // another process is refused, told who holds it; so is a session that would save there
        pid_t child = fork();
        if (child == 0) {
            auto f = failure_of([&] { CheckpointLock again(path); });
            auto g = failure_of([&] { TrainingSession s(small_request(path, 2, 0)); });
            const std::string holder = "(pid " + std::to_string(getppid()) + ")";
            _exit(f.first == errc::kCheckpointLocked && f.second.find("is being trained by another process " + holder) !=
                                                            std::string::npos &&
                          g.first == errc::kCheckpointLocked
                      ? 0
                      : 1);
        }
        int status = 0;
        waitpid(child, &status, 0);
        EXPECT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a second process was not refused the lock");
        // in this process too: a second job on one checkpoint (the app runs jobs side by side)
        EXPECT_CODE(CheckpointLock again(path), errc::kCheckpointLocked, "being trained by another process");
    }
    EXPECT_MSG(!exists(path + ".lock"), "releasing the lock leaves its file");

    // a holder killed with SIGKILL leaves the file; the kernel dropped its lock, so it is taken over
    int ready[2];
    EXPECT(pipe(ready) == 0);
    pid_t holder = fork();
    if (holder == 0) {
        CheckpointLock lock(path);
        char c = 'x';
        if (write(ready[1], &c, 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char c;
    EXPECT(read(ready[0], &c, 1) == 1);
    EXPECT_CODE(CheckpointLock busy(path), errc::kCheckpointLocked, "(pid " + std::to_string(holder) + ")");
    kill(holder, SIGKILL);
    waitpid(holder, nullptr, 0);
    EXPECT(exists(path + ".lock"));
    {
        CheckpointLock taken(path);
        EXPECT_MSG(taken.held(), "the lock of a killed process was not taken over");
        std::ifstream f(path + ".lock");
        long pid = 0;
        f >> pid;
        EXPECT(pid == long(getpid()));
    }
    close(ready[0]);
    close(ready[1]);

    // taking the lock removes every other process's temp file: none can be saving now
    pid_t live = fork();
    if (live == 0) {
        pause();
        _exit(0);
    }
    const std::string tmp = checkpoint_temp_path(path, live);
    std::ofstream(tmp) << "left by a writer that did not hold the lock";
    { CheckpointLock lock(path); }
    EXPECT_MSG(!exists(tmp), "a temp file survived the lock being taken");
    kill(live, SIGKILL);
    waitpid(live, nullptr, 0);
}

static void test_targets() {
    sh("mkdir -p " + g_dir + "/folder");
    EXPECT_CODE(checkpoint_check_target(g_dir + "/folder"), errc::kSaveTarget, "is a folder, not a file");
    EXPECT_CODE(checkpoint_check_target(g_dir + "/folder/"), errc::kSaveTarget, "names a folder");
    EXPECT_CODE(checkpoint_check_target("/dev/null"), errc::kSaveTarget, "is not a regular file");
    EXPECT_CODE(checkpoint_check_target(g_dir + "/none/m.bin"), errc::kSaveTarget, "does not exist");
    std::ofstream(g_dir + "/plain") << "a file";
    EXPECT_CODE(checkpoint_check_target(g_dir + "/plain/m.bin"), errc::kSaveTarget, "is not a folder");
    checkpoint_check_target(g_dir + "/folder/m.bin");
    EXPECT_CODE(checkpoint_check_room(g_dir + "/m.bin", 10000000, [](const std::string &) -> uint64_t { return 1000; }),
                errc::kDiskFull, "a save needs 10.1 MB, and " + g_dir + " has 1.0 kB free");
    checkpoint_check_room(g_dir + "/m.bin", 1000, nullptr);
    // the session refuses them before it trains (the constructor throws: no step has run)
    EXPECT_CODE(TrainingSession s(small_request(g_dir + "/folder", 2, 0)), errc::kSaveTarget, "is a folder");
}

// Autosaves into a folder that is replaced by a file for a while: they fail, training goes on,
// the previous checkpoint stays, and the next interval saves again.
static void test_autosave_failure() {
    const std::string dir = g_dir + "/sub", path = dir + "/m.bin";
    sh("mkdir -p " + dir);
    TrainingSession s(small_request(path, 10, 2));
    TrainControl control;
    TrainingEvents ev;
    std::vector<std::string> log;
    int held_during_failure = -1;
    ev.step = [&](const StepStats & st) {
        if (st.step == 3) sh("mv " + dir + " " + dir + ".away && echo x > " + dir);
        if (st.step == 5) {
            sh("rm " + dir + " && mv " + dir + ".away " + dir);
            held_during_failure = checkpoint_load(path).train.step;
        }
    };
    ev.saved = [&](const std::string &, int step, const std::string & reason) { log.push_back("saved " + std::to_string(step) + " " + reason); };
    ev.save_failed = [&](const SaveFailure & f) {
        log.push_back("failed " + std::to_string(f.step) + " " + f.reason + " " + f.code + (f.will_retry ? " retry" : "") +
                      " next " + std::to_string(f.next_autosave_step));
    };
    SessionResult r = s.run(control, ev);
    std::string got;
    for (auto & l : log) got += l + "; ";
    std::printf("  autosave failure: %s\n", got.c_str());
    EXPECT_MSG(got == "saved 2 autosave; failed 4 autosave SAVE_TARGET retry next 6; saved 6 autosave; saved 8 autosave; "
                      "saved 10 best; saved 10 finished; ",
               "events: %s", got.c_str());
    EXPECT(held_during_failure == 2);
    EXPECT(!r.stopped && r.saved && checkpoint_load(path).train.step == 10);
}

// The final save fails: it is retried until it works, or given up when the job is stopped again.
static void test_final_save() {
    const std::string dir = g_dir + "/fin", path = dir + "/m.bin";
    auto broken = [&] { sh("rm -rf " + dir + " && echo x > " + dir); };
    auto fixed = [&] { sh("rm -rf " + dir + " && mkdir " + dir); };
    for (int give_up = 0; give_up < 2; give_up++) {
        fixed();
        TrainingSession s(small_request(path, 6, 4));
        TrainControl control;
        TrainingEvents ev;
        int failures = 0;
        bool retry_flags = true;
        ev.step = [&](const StepStats & st) {
            if (st.step == 6) broken();
        };
        ev.save_failed = [&](const SaveFailure & f) {
            if (f.reason == "best") return;  // the best checkpoint fails beside it, once (test_best)
            failures++;
            retry_flags &= f.reason == "finished" && f.code == errc::kSaveTarget && f.retry_in_seconds == 0.05;
            retry_flags &= f.will_retry;
            if (failures == 3) {
                if (give_up) control.stop();
                else fixed();
            }
        };
        auto t0 = std::chrono::steady_clock::now();
        if (!give_up) {
            SessionResult r = s.run(control, ev);
            EXPECT_MSG(failures == 3 && retry_flags && r.saved && checkpoint_load(path).train.step == 6,
                       "retried final save: %d failures, flags %d", failures, int(retry_flags));
        } else {
            auto f = failure_of([&] { s.run(control, ev); });
            EXPECT_MSG(f.first == errc::kSaveTarget && f.second.find("gave up when stopped again: the checkpoint file still holds step 4") !=
                                                           std::string::npos,
                       "giving up: %s %s", f.first.c_str(), f.second.c_str());
            EXPECT(s.last_saved_step() == 4);
        }
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("  final save %s after %d failed attempts (%.2f s)\n", give_up ? "given up" : "made", failures, secs);
    }
}

// A real full disk (a small tmpfs), when this machine lets us mount one.
static void test_full_disk() {
    const std::string mnt = g_dir + "/tmpfs";
    sh("mkdir -p " + mnt);
    if (std::system(("mount -t tmpfs -o size=4m tmpfs " + mnt + " 2>/dev/null").c_str()) != 0) {
        std::printf("  skip a real full disk: cannot mount a tmpfs here (needs root); the free-space probe is tested above\n");
        return;
    }
    const std::string path = mnt + "/m.bin", filler = mnt + "/filler";
    TrainRequest r = small_request(path, 8, 2);
    const uint64_t bytes = checkpoint_file_bytes(
        [&] { ModelConfig c = r.model; c.vocab_size = Tokenizer::from_text(r.text).vocab_size(); return c; }(),
        size_t(Tokenizer::from_text(r.text).chars().size()), true);
    auto fill = [&](uint64_t leave) {
        uint64_t free = filesystem_free_bytes(mnt);
        sh("head -c " + std::to_string(free > leave ? free - leave : 0) + " /dev/zero >> " + filler);
    };
    {  // the pre-flight: no room is an error before training
        fill(bytes / 2);
        EXPECT_CODE(TrainingSession s(r), errc::kDiskFull, "not enough disk space for the checkpoint " + path);
        sh("rm -f " + filler);
    }
    std::string got;
    {
        TrainingSession s(std::move(r));
        TrainControl control;
        TrainingEvents ev;
        ev.step = [&](const StepStats & st) {
            if (st.step == 3) fill(bytes / 2);
            if (st.step == 5) sh("rm -f " + filler);
        };
        ev.saved = [&](const std::string &, int step, const std::string & reason) {
            got += "saved " + std::to_string(step) + (reason == "best" ? " best" : "") + "; ";
        };
        ev.save_failed = [&](const SaveFailure & f) { got += "failed " + std::to_string(f.step) + " " + f.code + "; "; };
        s.run(control, ev);
    }  // the session's lock file is closed: the mount is not busy
    std::printf("  full disk (%s checkpoint on a 4 MB tmpfs): %s\n", format_bytes(bytes).c_str(), got.c_str());
    EXPECT_MSG(got == "saved 2; failed 4 DISK_FULL; saved 6; saved 8 best; saved 8; ", "events: %s", got.c_str());
    EXPECT(!exists(checkpoint_temp_path(path, getpid())));
    sh("umount " + mnt);
}

static void test_memory_and_resume() {
    TrainRequest big = small_request("", 1, 0);
    big.model = mgtest::recursive_preset("medium");
    big.train.batch_size = 65536;
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_CODE(TrainingSession s(big), errc::kOutOfMemory, "of memory is available");
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("  medium at batch 65536 refused in %.2f s\n", secs);
    EXPECT(secs < 5);

    const std::string path = g_dir + "/resume.bin", weights = g_dir + "/weights.bin";
    {
        TrainingSession s(small_request(path, 4, 0));
        TrainControl control;
        s.run(control, {});
        checkpoint_save(weights, s.model(), s.tokenizer(), nullptr);
    }
    TrainRequest r = small_request(path, 4, 0);
    r.init_from = path;
    r.resume = true;
    EXPECT_CODE(TrainingSession s(r), errc::kBadRequest, "already finished its 4 steps");
    r.steps = 3;
    EXPECT_CODE(TrainingSession s(r), errc::kBadRequest, "must be above the 4 steps already done");
    r.steps = 6;
    {
        TrainingSession s(r);
        EXPECT(s.last_saved_step() == 4 && s.trainer().state().step == 4);
        TrainControl control;
        SessionResult res = s.run(control, {});
        EXPECT(res.step == 6 && checkpoint_load(path).train.step == 6);
    }
    r.init_from = weights;
    EXPECT_CODE(TrainingSession s(r), errc::kBadRequest, "holds no training state");
    r.resume = false;
    r.max_passes = 1;
    EXPECT_CODE(TrainingSession s(r), errc::kBadRequest, "cannot switch recursion");
}

static void test_pause() {
    TrainingSession s(small_request("", 3, 0));
    TrainControl control;
    control.pause();
    std::thread later([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        control.resume();
    });
    std::string got;
    TrainingEvents ev;
    ev.paused = [&](int step) { got += "paused " + std::to_string(step) + "; "; };
    ev.resumed = [&](int step) { got += "resumed " + std::to_string(step) + "; "; };
    ev.step = [&](const StepStats & st) { got += "step " + std::to_string(st.step) + "; "; };
    s.run(control, ev);
    later.join();
    EXPECT_MSG(got == "paused 0; resumed 0; step 1; step 2; step 3; ", "events: %s", got.c_str());
}

// Samples every N steps come from the live weights and leave the run exactly as it was: the same
// losses and the same weights as a run without them.
static void test_samples() {
    auto train = [](int sample_interval, std::vector<std::pair<int, std::string>> * samples) {
        TrainRequest r = small_request("", 9, 0);
        r.train.eval_interval = 3;
        r.sample_interval = sample_interval;
        r.sample_tokens = 40;
        TrainingSession s(std::move(r));
        TrainControl control;
        TrainingEvents ev;
        std::vector<float> losses;
        ev.step = [&](const StepStats & st) {
            losses.push_back(st.train_loss);
            if (st.val_loss >= 0) losses.push_back(st.val_loss);
        };
        if (samples) ev.sample = [&](int step, const std::string & text) { samples->push_back({step, text}); };
        s.run(control, ev);
        return std::make_tuple(losses, s.model().params, s.sample_text());
    };
    std::vector<std::pair<int, std::string>> samples, again;
    auto with = train(3, &samples), without = train(0, nullptr);
    train(3, &again);
    EXPECT_MSG(std::get<0>(with) == std::get<0>(without), "the losses differ with samples (%zu values)",
               std::get<0>(with).size());
    EXPECT(std::get<1>(with) == std::get<1>(without));
    EXPECT_MSG(samples.size() == 3, "%zu samples", samples.size());
    for (size_t i = 0; i < samples.size(); i++) {
        EXPECT_MSG(samples[i].first == int(3 * (i + 1)), "sample %zu at step %d", i, samples[i].first);
        EXPECT_MSG(!samples[i].second.empty() && samples[i].second.size() <= 40, "sample of %zu bytes",
                   samples[i].second.size());
    }
    EXPECT(samples == again);  // seeded: the same run shows the same samples
    // the last one is what the finished model writes at that step's seed: the live weights, read in place
    EXPECT(!samples.empty() && samples.back().second == std::get<2>(without));

    TrainRequest bad = small_request("", 1, 0);
    bad.sample_tokens = 0;
    EXPECT_CODE(TrainingSession s(bad), errc::kBadRequest, "sample_tokens");
}

// The best weights are kept: after every evaluation that lowers the val loss, and only then, a
// weights-only checkpoint beside the run's (names.bin -> names.best.bin) holds the weights of that
// step and its mark; the run's own checkpoint carries the best so far, so a resumed run goes on
// beating it rather than starting over. A tiny text overfits, so later evaluations get worse.
// Under emulation (MG_TEST_REDUCED) a smaller model trains fewer steps: the same rules are checked,
// but it may not get as far as overfitting.
static void test_best() {
    const bool reduced = mgtest::reduced();
    const int kSteps = reduced ? 60 : 300;
    const std::string path = g_dir + "/over.bin", best = g_dir + "/over.best.bin";
    EXPECT(best_checkpoint_path(path) == best && best_checkpoint_path(g_dir + "/x") == g_dir + "/x.best");
    auto request = [&](int steps) {
        TrainRequest r = small_request(path, steps, 0);
        r.text = synthetic_corpus(1500, 3);
        if (!reduced) r.model.embed_dim = 64, r.model.hidden_dim = 256;  // room to learn 1,350 characters by heart
        r.train.batch_size = reduced ? 2 : 8, r.train.eval_interval = 10, r.train.eval_batches = 4, r.train.lr = 1e-2f, r.train.warmup_steps = 5;
        return r;
    };
    struct Seen {
        std::vector<std::pair<int, float>> evals;   // step, val loss
        std::vector<int> best_saves;
        std::map<int, std::vector<float>> weights;  // at each evaluation
    };
    auto run = [&](TrainingSession & s, Seen & seen) {
        TrainControl control;
        TrainingEvents ev;
        ev.step = [&](const StepStats & st) {
            if (st.val_loss < 0) return;
            seen.evals.push_back({st.step, st.val_loss});
            seen.weights[st.step] = s.model().params;
        };
        ev.saved = [&](const std::string & p, int step, const std::string & reason) {
            if (reason == "best") {
                EXPECT(p == best);
                seen.best_saves.push_back(step);
            }
        };
        return s.run(control, ev);
    };
    // what the rule says: a save at each new minimum, the mark at the lowest
    auto expected = [](const std::vector<std::pair<int, float>> & evals, BestMark from) {
        std::vector<int> saves;
        for (auto [step, val] : evals)
            if (from.step < 0 || val < from.val_loss) saves.push_back(step), from = {step, val};
        return std::make_pair(saves, from);
    };

    Seen first;
    SessionResult res;
    {
        TrainingSession s(request(kSteps));
        EXPECT(s.trainer().state().step == 0 && s.best().step < 0);
        res = run(s, first);
    }
    auto [saves, mark] = expected(first.evals, {});
    int worse = 0;  // evaluations after the best one: all worse, by definition of the best
    for (auto [step, val] : first.evals) worse += step > mark.step;
    std::printf("  best: %zu evaluations, best val %.4f at step %d, then %d worse ones to %.4f at step %d; %zu best saves\n",
                first.evals.size(), mark.val_loss, mark.step, worse, first.evals.back().second, first.evals.back().first,
                first.best_saves.size());
    EXPECT_MSG(first.best_saves == saves, "%zu best saves, wanted %zu", first.best_saves.size(), saves.size());
    if (!reduced) EXPECT_MSG(worse >= 3, "the run did not overfit (best at step %d of %d): the test shows nothing", mark.step, kSteps);
    EXPECT(res.best.step == mark.step && res.best.val_loss == mark.val_loss);
    Checkpoint kept = checkpoint_load(best);
    EXPECT(!kept.has_train_state && kept.best.step == mark.step && kept.best.val_loss == mark.val_loss);
    EXPECT_MSG(kept.params == first.weights[mark.step], "the best checkpoint does not hold step %d's weights", mark.step);
    if (mark.step != kSteps) EXPECT(kept.params != first.weights[kSteps]);  // the latest is elsewhere
    Checkpoint latest = checkpoint_load(path);
    EXPECT(latest.train.step == kSteps && latest.best.step == mark.step && latest.best.val_loss == mark.val_loss);
    EXPECT(file_size(best) == checkpoint_file_bytes(kept.config, kept.tokenizer.chars().size(), false, true, true));
    EXPECT(file_size(path) == checkpoint_file_bytes(latest.config, latest.tokenizer.chars().size(), true, true, true));
    EXPECT(kept.has_split && kept.split.seed == latest.train.config.seed && !kept.split.lines);

    // resumed: it starts from the mark and saves only what beats it
    TrainRequest more = request(kSteps + 30);
    more.init_from = path, more.resume = true, more.steps = kSteps + 30;
    Seen second;
    {
        TrainingSession s(more);
        EXPECT(s.best().step == mark.step);
        res = run(s, second);
    }
    auto [saves2, mark2] = expected(second.evals, mark);
    EXPECT(second.best_saves == saves2 && res.best.step == mark2.step);
    EXPECT(checkpoint_load(best).best.step == mark2.step);

    // a new run from the checkpoint (not a resume) has its own best
    TrainRequest again = request(20);
    again.init_from = path;
    {
        TrainingSession fresh(again);
        EXPECT(fresh.best().step < 0);
    }

    // a best save that fails is said, and the run goes on to finish and save its checkpoint
    sh("rm -f " + best + " && mkdir " + best);
    Seen third;
    std::vector<std::string> failed;
    {
        TrainingSession s(request(20));
        TrainControl control;
        TrainingEvents ev;
        ev.save_failed = [&](const SaveFailure & f) { failed.push_back(f.reason + " " + f.code + (f.will_retry ? " retry" : "")); };
        res = s.run(control, ev);
    }
    EXPECT_MSG(!failed.empty() && failed[0] == "best SAVE_TARGET", "failures: %s", failed.empty() ? "none" : failed[0].c_str());
    EXPECT(!res.stopped && res.saved && res.best.step < 0 && checkpoint_load(path).train.step == 20);
    sh("rm -rf " + best);
}

// Whole lines held out (split_lines): a sorted list of distinct lines, shuffled with the seed, the
// val split starting at a line start, so no line is in both splits; the same order on resume and
// in the whole-split evaluation of the run's checkpoint and of its best checkpoint alone.
static void test_split_lines() {
    // shuffle_lines: a permutation of the lines, fixed by the seed; a last line without a break gets one
    const std::vector<int> toks = {1, 2, 0, 3, 0, 4, 5, 0, 6};  // 0 ends a line; "6" has no end
    std::vector<int> a = shuffle_lines(toks, 0, 7), b = shuffle_lines(toks, 0, 7), c = shuffle_lines(toks, 0, 8);
    auto lines_of = [](const std::vector<int> & t) {
        std::vector<std::vector<int>> out(1);
        for (int x : t) {
            out.back().push_back(x);
            if (x == 0) out.emplace_back();
        }
        if (out.back().empty()) out.pop_back();
        std::sort(out.begin(), out.end());
        return out;
    };
    EXPECT(a == b && a.size() == toks.size() + 1 && a.back() == 0 && count_lines(a, 0) == 4);
    EXPECT(lines_of(a) == lines_of({1, 2, 0, 3, 0, 4, 5, 0, 6, 0}) && lines_of(c) == lines_of(a));
    EXPECT_MSG(a != c || shuffle_lines(toks, 0, 9) != a, "the seed does not change the order");

    std::string text;  // 600 distinct lines in sorted order, like names.txt
    for (int i = 0; i < 600; i++) {
        std::string w;
        for (int k = i, n = 0; n < 3 || k; k /= 7, n++) w += char('a' + k % 7);
        text += w + (i % 3 ? "an" : "e") + "\n";
    }
    std::vector<std::string> lines;
    for (size_t p = 0, q; (q = text.find('\n', p)) != std::string::npos; p = q + 1) lines.push_back(text.substr(p, q - p));
    std::sort(lines.begin(), lines.end());
    text.clear();
    for (auto & l : lines) text += l + "\n";
    lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
    const std::string path = g_dir + "/lines.bin", data = g_dir + "/lines.txt";
    std::ofstream(data) << text;

    TrainRequest r = small_request(path, 20, 0);
    r.text = text;
    r.train.split_lines = true, r.train.eval_interval = 10;
    SessionStart start;
    {
        TrainingSession s(r);
        TrainControl control;
        TrainingEvents ev;
        ev.started = [&](const SessionStart & st) { start = st; };
        s.run(control, ev);
    }
    std::printf("  split_lines: %zu val lines and %zu train lines (%zu val tokens)\n", start.val_lines, start.train_lines,
                start.val_tokens);
    EXPECT(start.val_lines + start.train_lines == 600 && start.val_lines >= 50 && start.val_lines < 80);
    Checkpoint ck = checkpoint_load(path);
    EXPECT(ck.train.config.split_lines && ck.has_split && ck.split.lines);
    // the run's token order, rebuilt as the session does: the val part is whole lines, none in train
    Tokenizer tok = ck.tokenizer;
    std::vector<int> ordered = shuffle_lines(tok.encode(text, true), tok.id_of('\n'), ck.train.config.seed);
    const size_t begin = ordered.size() - start.val_tokens;
    EXPECT(begin > 0 && ordered[begin - 1] == tok.id_of('\n'));
    std::string train_part = tok.decode({ordered.begin(), ordered.begin() + ptrdiff_t(begin)});
    std::string val_part = tok.decode({ordered.begin() + ptrdiff_t(begin), ordered.end()});
    auto set_of = [](const std::string & t) {
        std::vector<std::string> out;
        for (size_t p = 0, q; (q = t.find('\n', p)) != std::string::npos; p = q + 1) out.push_back(t.substr(p, q - p));
        std::sort(out.begin(), out.end());
        return out;
    };
    std::vector<std::string> tr = set_of(train_part), va = set_of(val_part), both;
    std::set_intersection(tr.begin(), tr.end(), va.begin(), va.end(), std::back_inserter(both));
    EXPECT_MSG(both.empty() && va.size() == start.val_lines, "%zu lines in both splits", both.size());
    EXPECT_MSG(!std::is_sorted(va.begin(), va.end()) || va != std::vector<std::string>(lines.end() - ptrdiff_t(va.size()), lines.end()),
               "the val lines are the sorted tail");

    // the evaluation cuts the same split, from the run's checkpoint and from its best alone
    for (const std::string & which : {path, best_checkpoint_path(path)}) {
        EvalRequest er;
        er.checkpoint_path = which, er.data_path = data;
        EvalReport rep = run_evaluation(er);
        EXPECT_MSG(rep.split_lines && rep.split_end - rep.split_begin == start.val_tokens,
                   "%s: evaluated %zu tokens, the run's val split has %zu", which.c_str(), rep.split_end - rep.split_begin, start.val_tokens);
    }
    // resuming on the same text finds the same data (the same seeded order)
    TrainRequest more = r;
    more.init_from = path, more.resume = true, more.steps = 24;
    {
        TrainingSession s(more);
        TrainControl control;
        EXPECT(s.run(control, {}).step == 24);
    }
    TrainRequest flat = r;
    flat.text = "no line breaks at all, " + std::string(3000, 'x');
    EXPECT_CODE(TrainingSession s(flat), errc::kBadRequest, "has no line breaks");

    // each line its own sequence: the same split, kept in the checkpoints as mode 2, so the
    // evaluation scores every val token from its own line, and a resumed run goes on with it
    const std::string seq_path = g_dir + "/line-seq.bin";
    TrainRequest seq = r;
    seq.save_path = seq_path, seq.train.line_sequences = true;
    float trained_val = -1;
    {
        TrainingSession s(seq);
        TrainControl control;
        trained_val = s.run(control, {}).val_loss;
    }
    Checkpoint sck = checkpoint_load(seq_path);
    EXPECT(sck.split.lines && sck.split.line_sequences && sck.train.config.line_sequences);
    size_t longest = 0;
    for (const std::string & l : lines) longest = std::max(longest, l.size() + 1);
    EXPECT_MSG(size_t(sck.train.config.seq_len) == longest, "seq_len 0 became %d, the longest line holds %zu",
               sck.train.config.seq_len, longest);
    for (const std::string & which : {seq_path, best_checkpoint_path(seq_path)}) {
        EvalRequest er;
        er.checkpoint_path = which, er.data_path = data;
        EvalReport rep = run_evaluation(er);
        std::printf("  line_sequences: %s scores %.4f over %zu tokens in %zu windows (the run's last val %.4f)\n",
                    which.c_str(), rep.result.loss, rep.result.tokens, rep.result.windows, trained_val);
        EXPECT_MSG(rep.line_sequences && rep.result.tokens == start.val_tokens && rep.result.windows == start.val_lines,
                   "%s: %zu tokens in %zu windows, the val split has %zu in %zu lines", which.c_str(), rep.result.tokens,
                   rep.result.windows, start.val_tokens, start.val_lines);
    }
    TrainRequest seq_more = seq;
    seq_more.init_from = seq_path, seq_more.resume = true, seq_more.steps = 24;
    {
        TrainingSession s(seq_more);
        TrainControl control;
        EXPECT(s.run(control, {}).step == 24);
        EXPECT(checkpoint_load(seq_path).split.line_sequences);
    }
    TrainRequest no_split = seq;
    no_split.train.split_lines = false;
    EXPECT_CODE(TrainingSession s(no_split), errc::kBadRequest, "needs split_lines");
    TrainRequest long_line = seq;
    long_line.save_path = g_dir + "/long-line.bin";
    long_line.text = text + std::string(40, 'a') + "\n";
    EXPECT_CODE(TrainingSession s(long_line), errc::kBadRequest, "the longest line holds 41 characters");
}

int main() {
    char tmpl[] = "/tmp/mg-test-session-XXXXXX";
    g_dir = mkdtemp(tmpl);
    test_lock();  // first: it forks, before OpenMP has started any threads
    test_targets();
    test_autosave_failure();
    test_final_save();
    test_full_disk();
    test_memory_and_resume();
    test_pause();
    test_samples();
    test_best();
    test_split_lines();
    sh("umount " + g_dir + "/tmpfs 2>/dev/null; rm -rf " + g_dir);
    return mgtest::finish("test-session");
}
