#include "io/save-target.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.h"

namespace mg {

std::string parent_dir(const std::string & path) {
    size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string checkpoint_temp_path(const std::string & path, pid_t pid) { return path + ".tmp-" + std::to_string(pid); }

std::string format_bytes(uint64_t b) {
    char buf[32];
    if (b >= 1000000000000ULL) std::snprintf(buf, sizeof buf, "%.1f TB", double(b) / 1e12);
    else if (b >= 1000000000ULL) std::snprintf(buf, sizeof buf, "%.1f GB", double(b) / 1e9);
    else if (b >= 1000000ULL) std::snprintf(buf, sizeof buf, "%.1f MB", double(b) / 1e6);
    else if (b >= 1000ULL) std::snprintf(buf, sizeof buf, "%.1f kB", double(b) / 1e3);
    else std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(b));
    return buf;
}

uint64_t filesystem_free_bytes(const std::string & dir) {
    struct statvfs s;
    if (::statvfs(dir.c_str(), &s) != 0)
        MG_THROW_CODE(errc::kSaveTarget, "cannot check the free space of " + dir + ": " + std::strerror(errno),
                      "check that the folder exists");
    return uint64_t(s.f_bavail) * uint64_t(s.f_frsize);
}

void checkpoint_check_target(const std::string & path) {
    const char * fix = "choose a file path in a folder you can write to";
    if (path.empty()) MG_THROW_CODE(errc::kSaveTarget, "the checkpoint path is empty", fix);
    if (path.back() == '/') MG_THROW_CODE(errc::kSaveTarget, "the checkpoint path " + path + " names a folder", fix);
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            MG_THROW_CODE(errc::kSaveTarget, "the checkpoint path " + path + " is a folder, not a file",
                          "give a file name inside it, e.g. " + path + "/model.bin");
        // a save renames a new file over the target: over a device (as root, even /dev/null)
        // that would replace the device node itself
        if (!S_ISREG(st.st_mode))
            MG_THROW_CODE(errc::kSaveTarget, "the checkpoint path " + path + " is not a regular file", fix);
    }
    const std::string dir = parent_dir(path);
    if (::stat(dir.c_str(), &st) != 0)
        MG_THROW_CODE(errc::kSaveTarget, "cannot create checkpoint " + path + ": folder " + dir + " does not exist (" +
                                             std::strerror(errno) + ")",
                      "create the folder first, or check the path");
    if (!S_ISDIR(st.st_mode))
        MG_THROW_CODE(errc::kSaveTarget, "cannot create checkpoint " + path + ": " + dir + " is not a folder", fix);
    // access() says yes to root on a read-only mount: creating the temp file is the real test
    const std::string tmp = checkpoint_temp_path(path, ::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST)
        MG_THROW_CODE(errc::kSaveTarget, "cannot create checkpoint " + path + ": " + std::strerror(errno),
                      "check that the folder exists and is writable");
    if (fd >= 0) {
        ::close(fd);
        ::unlink(tmp.c_str());
    }
}

void checkpoint_check_room(const std::string & path, uint64_t bytes, FreeSpaceProbe probe) {
    const std::string dir = parent_dir(path);
    // The new file is written whole beside the old one; allow its last block and a little
    // filesystem metadata on top of its exact size.
    const uint64_t free = (probe ? probe : filesystem_free_bytes)(dir);
    const uint64_t need = bytes + (bytes / 256) + (uint64_t(64) << 10);
    if (free < need)
        MG_THROW_CODE(errc::kDiskFull,
                      "not enough disk space for the checkpoint " + path + ": a save needs " + format_bytes(need) +
                          ", and " + dir + " has " + format_bytes(free) + " free",
                      "free some space on that disk, or save the checkpoint to another disk");
}

size_t remove_stale_temp_files(const std::string & path, bool lock_held) {
    const std::string dir = parent_dir(path);
    const size_t slash = path.find_last_of('/');
    const std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp-";
    DIR * d = ::opendir(dir.c_str());
    if (!d) return 0;
    size_t removed = 0;
    const pid_t self = ::getpid();
    while (struct dirent * e = ::readdir(d)) {
        const char * name = e->d_name;
        if (std::strncmp(name, prefix.c_str(), prefix.size()) != 0) continue;
        const char * digits = name + prefix.size();
        if (!*digits || std::strspn(digits, "0123456789") != std::strlen(digits) || std::strlen(digits) > 9) continue;
        const pid_t pid = pid_t(std::atol(digits));
        if (pid == self) continue;
        // kill(pid, 0) fails with ESRCH only when no such process exists (EPERM: it exists)
        const bool gone = pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH);
        if (!gone && !lock_held) continue;
        if (::unlinkat(::dirfd(d), name, 0) == 0) removed++;
    }
    ::closedir(d);
    return removed;
}

}  // namespace mg
