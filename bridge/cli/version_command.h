// `mailbridge version`: the program's version and those of the libraries it runs on.
#pragma once

#include <string>

namespace mb::cli {
std::string version_text();
}  // namespace mb::cli
