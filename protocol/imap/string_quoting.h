// Rendering of IMAP strings: picks the atom, quoted or literal form a value needs, and writes it.
// Used by the response and command builders; pure.
#pragma once

#include <string>
#include <string_view>

namespace mb::protocol::imap {

enum class StringForm { Atom, Quoted, Literal };

// The plainest form that carries `value` unchanged. Atom only where the grammar says astring
// (`atom_allowed`), never for "NIL" (it would read as nil) or the empty string; Quoted for 7-bit
// text without CR, LF or NUL; Literal otherwise (8-bit, line breaks, or longer than 1 KiB).
StringForm choose_string_form(std::string_view value, bool atom_allowed);

// "value" with '"' and '\' escaped. Precondition: no CR, LF or NUL.
std::string quoted_string(std::string_view value);

// "{n}\r\n" + value, or "{n+}\r\n" + value (RFC 7888). A sender of a synchronizing literal must
// stop after the header's CRLF and wait for the "+" continuation before the value.
std::string literal_string(std::string_view value, bool non_sync);

// value rendered in choose_string_form(value, atom_allowed).
std::string encode_string(std::string_view value, bool atom_allowed, bool non_sync_literal);

}  // namespace mb::protocol::imap
