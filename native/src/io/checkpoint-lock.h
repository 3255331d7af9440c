// CheckpointLock: one writer per checkpoint. Whoever trains into a checkpoint (the CLI or the
// app's engine) holds <checkpoint>.lock for the whole run, so two runs can never write one file.
// The lock is flock(2) on that file: the kernel drops it when its holder dies however it dies,
// so a lock file left by a killed process is simply taken over, with no pid to trust or race on.
// The holder writes "pid starttime" into the file so that a refusal can name it.
#pragma once
#include <string>

namespace mg {

class CheckpointLock {
public:
    CheckpointLock() = default;
    // Takes the lock, or throws mg::error (code CHECKPOINT_LOCKED) naming the holder's pid when a
    // live process holds it. Then removes the checkpoint's stale temp files: none can be live.
    explicit CheckpointLock(const std::string & checkpoint_path);
    ~CheckpointLock() { release(); }
    CheckpointLock(CheckpointLock && o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
    CheckpointLock & operator=(CheckpointLock && o) noexcept;
    CheckpointLock(const CheckpointLock &) = delete;
    CheckpointLock & operator=(const CheckpointLock &) = delete;

    // Unlinks the lock file while still holding it, then closes it: a process waiting to lock
    // the old file finds it unlinked and starts again on a new one.
    void release();
    bool held() const { return fd_ >= 0; }
    const std::string & path() const { return path_; }  // the lock file

private:
    int fd_ = -1;
    std::string path_;
};

std::string checkpoint_lock_path(const std::string & checkpoint_path);  // <checkpoint>.lock

}  // namespace mg
