// Named limits for the POP3 codecs, in one place: every buffer the POP3 parsers and trackers
// keep, or ask the session to keep, is bounded by one of these. Owned by the protocol module; the
// POP3 session passes kMaxAuthLine to its LineFramer and the parser enforces kMaxCommandLine.
#pragma once

#include <cstddef>

namespace mb::protocol::pop3::limits {

// A command line, CRLF included. RFC 2449 §4 sets 255 octets; clients with long user names or
// passwords go past it, so the bridge takes twice the 255 of RFC 2449 with room to spare.
inline constexpr std::size_t kMaxCommandLine = 512;

// AUTH command lines and the SASL answers that follow a "+ ", CRLF included (a PLAIN response
// carries a password of any length). The session frames client lines with this figure.
inline constexpr std::size_t kMaxAuthLine = 16 * 1024;

// One upstream status line or SASL continuation before login, CRLF included (RFC 2449: 512).
inline constexpr std::size_t kMaxStatusLine = 4096;

// A whole CAPA response (status line, capability lines, terminator) that the bridge parses or
// rewrites; servers send well under 1 KiB.
inline constexpr std::size_t kMaxCapaResponse = 16 * 1024;

// Capability lines in one CAPA response.
inline constexpr std::size_t kMaxCapabilities = 256;

// Client commands relayed upstream whose responses have not ended yet (RFC 2449 PIPELINING).
// The session stops reading the client while this is reached.
inline constexpr std::size_t kMaxPendingCommands = 1024;

}  // namespace mb::protocol::pop3::limits
