#include "io/checkpoint-lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "io/save-target.h"

namespace mg {

std::string checkpoint_lock_path(const std::string & checkpoint_path) { return checkpoint_path + ".lock"; }

// Field 22 of /proc/self/stat: with the pid it names a process uniquely, even after pid reuse.
static std::string own_start_time() {
    std::ifstream f("/proc/self/stat");
    std::string line;
    std::getline(f, line);
    size_t paren = line.rfind(')');  // the command name may hold spaces and parentheses
    if (paren == std::string::npos) return "0";
    std::istringstream rest(line.substr(paren + 2));
    std::string field;
    for (int i = 3; i <= 22 && rest >> field; i++) {}
    return field.empty() ? "0" : field;
}

static std::string holder_of(int fd) {
    char buf[64] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    long pid = n > 0 ? std::atol(buf) : 0;
    return pid > 0 ? "pid " + std::to_string(pid) : "a process that is still starting";
}

CheckpointLock::CheckpointLock(const std::string & checkpoint_path) : path_(checkpoint_lock_path(checkpoint_path)) {
    for (int attempt = 0;; attempt++) {
        int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            MG_THROW_CODE(errc::kSaveTarget,
                          "cannot create checkpoint " + checkpoint_path + ": cannot create its lock file " + path_ +
                              ": " + std::strerror(errno),
                          "check that the folder exists and is writable");
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int err = errno;
            std::string who = err == EWOULDBLOCK ? holder_of(fd) : "";
            ::close(fd);
            if (err != EWOULDBLOCK)
                MG_THROW_CODE(errc::kSaveTarget, "cannot lock checkpoint " + checkpoint_path + ": " + std::strerror(err),
                              "the filesystem may not support file locks: save to a local disk");
            MG_THROW_CODE(errc::kCheckpointLocked,
                          "checkpoint " + checkpoint_path + " is being trained by another process (" + who + ")",
                          "wait for that run to finish or stop it, or save this run to another checkpoint file");
        }
        // The holder we waited behind may have unlinked the file between our open and our lock:
        // then we hold a lock on a file nobody else will ever open. Only a lock on the file the
        // path names now counts.
        struct stat held, named;
        if (::fstat(fd, &held) == 0 && ::stat(path_.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
            held.st_dev == named.st_dev) {
            fd_ = fd;
            break;
        }
        ::close(fd);
        if (attempt > 100) MG_THROW("cannot lock checkpoint " + checkpoint_path + ": its lock file keeps changing");
    }
    std::string owner = std::to_string(::getpid()) + " " + own_start_time() + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, owner.data(), owner.size(), 0) != ssize_t(owner.size())) {
        // the lock holds without its note; a refusal then names no pid
    }
    remove_stale_temp_files(checkpoint_path, true);
}

CheckpointLock & CheckpointLock::operator=(CheckpointLock && o) noexcept {
    if (this != &o) {
        release();
        fd_ = o.fd_;
        path_ = std::move(o.path_);
        o.fd_ = -1;
    }
    return *this;
}

void CheckpointLock::release() {
    if (fd_ < 0) return;
    // unlink only the file we hold: if someone replaced it, it is theirs
    struct stat held, named;
    if (::fstat(fd_, &held) == 0 && ::stat(path_.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
        held.st_dev == named.st_dev)
        ::unlink(path_.c_str());
    ::close(fd_);
    fd_ = -1;
}

}  // namespace mg
