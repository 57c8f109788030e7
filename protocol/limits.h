// Named limits for the text protocol codecs, in one place: every buffer a codec keeps is bounded
// by one of these, and reaching one is an ordinary, tested error path. Owned by the protocol
// module; sessions pass the right figure to each codec instance (e.g. before/after login).
#pragma once

#include <cstddef>
#include <cstdint>

namespace mb::protocol::limits {

// Longest line (including its CRLF) a line framer accepts. Covers an IMAP command line with a
// SASL-IR of a 3 KB OAuth2 token many times over, and the longest FETCH envelope line we have met.
inline constexpr std::size_t kMaxLineLength = 64 * 1024;

// IMAP literal bodies a client may send before it has logged in. Only LOGIN credentials and ID
// values travel in literals then; 8 KiB is far beyond any real user name or password, and small
// enough that an unauthenticated peer cannot make the bridge hold much memory.
inline constexpr std::uint64_t kMaxPreAuthLiteral = 8 * 1024;

// A whole logical IMAP command before login (all its lines and literals together), which the
// session buffers for the command parser.
inline constexpr std::size_t kMaxPreAuthCommand = 64 * 1024;

// IMAP literal bodies after login. The relay streams literal bodies without buffering them, so
// this only bounds the size parser; 1 TiB is beyond any mailbox server's message size.
inline constexpr std::uint64_t kMaxRelayLiteral = std::uint64_t{1} << 40;

// Decimal digits accepted in a literal size (2^64 has 20 digits).
inline constexpr std::size_t kMaxLiteralSizeDigits = 20;

// Nesting depth of parenthesized lists in a parsed IMAP command (ID needs 1).
inline constexpr std::size_t kMaxListDepth = 8;

// Arguments in one parsed IMAP command, counting the items of nested lists (ID sends at most 60).
inline constexpr std::size_t kMaxCommandArguments = 128;

// Length of an IMAP command tag.
inline constexpr std::size_t kMaxTagLength = 128;

// Length of an IMAP response code ("[CAPABILITY ...]" and the like, brackets included).
inline constexpr std::size_t kMaxResponseCodeLength = 16 * 1024;

// Entries in a capability list (Dovecot and the large providers advertise fewer than 60).
inline constexpr std::size_t kMaxCapabilities = 256;

// Bytes of one protocol trace line written to the log (level 5); longer lines are cut.
inline constexpr std::size_t kMaxTraceLineLength = 2048;

}  // namespace mb::protocol::limits
