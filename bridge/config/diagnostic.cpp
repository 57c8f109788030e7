// Formatting of configuration diagnostics for people and scripts (see diagnostic.h).
#include "bridge/config/diagnostic.h"

namespace mb::config {

std::string Diagnostic::to_string() const {
    if (line <= 0) return file + ": " + message;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

}  // namespace mb::config
