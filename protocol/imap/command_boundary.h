// CommandBoundary: follows the bytes a client sends to an IMAP server just far enough to know
// whether they end between two commands (not inside a line, not inside a literal). The relay
// uses it to say LOGOUT upstream for a client that vanished — only where a new command may start.
// Constant memory; every byte is looked at once at most (literal bytes are skipped by count).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mb::protocol::imap {

class CommandBoundary {
  public:
    void feed(std::string_view bytes);
    // True when everything fed so far ends with a complete command line (CRLF outside any
    // literal) and no literal is still owed.
    bool at_boundary() const { return literal_left_ == 0 && at_line_start_; }

  private:
    void end_of_line();

    std::uint64_t literal_left_ = 0;
    bool at_line_start_ = true;
    std::string tail_;  // the current line's last bytes, enough to spot "{123+}\r"
};

}  // namespace mb::protocol::imap
