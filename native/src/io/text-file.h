// Reading a training text: whole file, with errors that say what to do.
#pragma once
#include <string>

namespace mg {

std::string read_text_file(const std::string & path);

}  // namespace mg
