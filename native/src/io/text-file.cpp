#include "io/text-file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.h"

namespace mg {

std::string read_text_file(const std::string & path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
        MG_THROW_HINT("cannot open data file " + path + ": " + std::strerror(errno),
                      "check the path; the app's Datasets page downloads corpora for you");
    if (S_ISDIR(st.st_mode)) MG_THROW_HINT("data path " + path + " is a folder, not a file", "pass a .txt file");
    std::unique_ptr<std::FILE, int (*)(std::FILE *)> f(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!f) MG_THROW("cannot open data file " + path + ": " + std::strerror(errno));
    std::string text;
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) text.append(buf, n);
    if (std::ferror(f.get())) MG_THROW("cannot read data file " + path + ": " + std::strerror(errno));
    if (text.empty()) MG_THROW_HINT("data file " + path + " is empty", "pass a text file with some content");
    return text;
}

}  // namespace mg
