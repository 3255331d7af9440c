// Where a checkpoint is written: checks made before a run starts (so a bad target or a full disk
// fails in the first second, not at the first save hours later), and the temp files that saves
// leave behind when a process is killed mid-write.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace mg {

std::string parent_dir(const std::string & path);                   // "." for a bare file name
std::string checkpoint_temp_path(const std::string & path, pid_t pid);  // <path>.tmp-<pid>

// Free bytes for an unprivileged writer on the filesystem holding `dir` (statvfs).
uint64_t filesystem_free_bytes(const std::string & dir);
using FreeSpaceProbe = uint64_t (*)(const std::string & dir);

// Throws mg::error (code SAVE_TARGET) unless `path` can take a checkpoint: it is not a folder or
// a device, and its folder exists and accepts a new file.
void checkpoint_check_target(const std::string & path);
// Throws mg::error (code DISK_FULL) unless the filesystem of `path` has room for a checkpoint of
// `bytes` beside the old one (a save writes a temp file, then renames it over the target), with
// both numbers in the message. `probe` replaces statvfs in tests.
void checkpoint_check_room(const std::string & path, uint64_t bytes, FreeSpaceProbe probe = nullptr);

// Removes the <path>.tmp-<pid> files of processes that no longer exist, or, when the caller
// holds the checkpoint's lock (io/checkpoint-lock.h), of every process but this one: no other
// process may be writing it then. Returns how many were removed; errors are ignored (a file
// another user owns stays where it is).
size_t remove_stale_temp_files(const std::string & path, bool lock_held);

std::string format_bytes(uint64_t bytes);  // "10.2 MB", "1.4 GB"

}  // namespace mg
