// mg::error: the one exception type of the engine.
// The engine runs inside the desktop app, so it never calls exit(): it throws, and the CLI or the
// Node binding turns the message into something the user reads. Every error carries the source
// location (for us), where we know one a HINT saying what to do (for the user), and where a
// caller may act on the kind of failure a machine-readable code (the addon's `error.code`).
#pragma once
#include <stdexcept>
#include <string>

namespace mg {

// The codes, written once: the binding passes them through as the JS error's `code`; an error
// without one is ENGINE_ERROR there.
namespace errc {
inline constexpr const char * kBadRequest = "BAD_REQUEST";                // the request cannot be met as asked
inline constexpr const char * kCheckpointLocked = "CHECKPOINT_LOCKED";    // another process trains into it
inline constexpr const char * kCheckpointDamaged = "CHECKPOINT_DAMAGED";  // not a valid checkpoint file
inline constexpr const char * kDiskFull = "DISK_FULL";                    // no room for a checkpoint
inline constexpr const char * kSaveTarget = "SAVE_TARGET";                // the save path cannot be written
inline constexpr const char * kSaveFailed = "SAVE_FAILED";                // a write failed for another reason
inline constexpr const char * kOutOfMemory = "OUT_OF_MEMORY";             // the run does not fit in memory
inline constexpr const char * kCancelled = "CANCELLED";                   // the caller stopped the job before its end
}  // namespace errc

struct error : std::runtime_error {
    error(const char * file, int line, const std::string & msg, const std::string & hint = "",
          const char * code = nullptr);
    std::string message;  // the message alone, without location or hint
    std::string hint;
    std::string code;     // one of errc, or empty
};

}  // namespace mg

#define MG_THROW(msg) throw ::mg::error(__FILE__, __LINE__, (msg))
#define MG_THROW_HINT(msg, hint) throw ::mg::error(__FILE__, __LINE__, (msg), (hint))
#define MG_THROW_CODE(code, msg, hint) throw ::mg::error(__FILE__, __LINE__, (msg), (hint), (code))
#define MG_CHECK(cond, msg)          \
    do {                             \
        if (!(cond)) MG_THROW(msg);  \
    } while (0)
