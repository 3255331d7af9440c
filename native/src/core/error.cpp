#include "core/error.h"

namespace mg {

static std::string format_error(const char * file, int line, const std::string & msg, const std::string & hint) {
    std::string base = file;
    size_t slash = base.find_last_of('/');
    if (slash != std::string::npos) base = base.substr(slash + 1);
    std::string s = msg + " [" + base + ":" + std::to_string(line) + "]";
    if (!hint.empty()) s += "\nHINT: " + hint;
    return s;
}

error::error(const char * file, int line, const std::string & msg, const std::string & hint, const char * code)
    : std::runtime_error(format_error(file, line, msg, hint)), message(msg), hint(hint), code(code ? code : "") {}

}  // namespace mg
