// mg::error: the one exception type of the engine.
// The engine runs inside the desktop app, so it never calls exit(): it throws, and the CLI or the
// Node binding turns the message into something the user reads. Every error carries the source
// location (for us) and, where we know one, a HINT saying what to do (for the user).
#pragma once
#include <stdexcept>
#include <string>

namespace mg {

struct error : std::runtime_error {
    error(const char * file, int line, const std::string & msg, const std::string & hint = "");
    std::string message;  // the message alone, without location or hint
    std::string hint;
};

}  // namespace mg

#define MG_THROW(msg) throw ::mg::error(__FILE__, __LINE__, (msg))
#define MG_THROW_HINT(msg, hint) throw ::mg::error(__FILE__, __LINE__, (msg), (hint))
#define MG_CHECK(cond, msg)          \
    do {                             \
        if (!(cond)) MG_THROW(msg);  \
    } while (0)
