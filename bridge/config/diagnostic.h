// Diagnostic: one problem found in a configuration file, with the place it was found. Produced by
// the config loader, printed by `mailbridge check-config` as "FILE:LINE:COL: message".
#pragma once

#include <string>

namespace mb::config {

// A 1-based place in the file; line 0 means "the file as a whole" (unreadable, too large).
struct SourcePos {
    int line = 0;
    int column = 0;
};

struct Diagnostic {
    std::string file;
    int line = 0;
    int column = 0;
    std::string message;
    // "FILE:LINE:COL: message", or "FILE: message" when the problem has no line (line == 0).
    std::string to_string() const;
};

}  // namespace mb::config
