// Named limits for the SMTP codecs, in one place: every buffer the SMTP parsers, assemblers and
// trackers keep is bounded by one of these. Owned by the protocol module; the SMTP session passes
// kMaxAuthLine to its LineFramer and the parsers enforce the tighter per-command figures.
#pragma once

#include <cstddef>

namespace mb::protocol::smtp::limits {

// A command line, CRLF included. RFC 5321 §4.5.3.1.4 sets 512 octets and lets each extension add
// to it (SIZE, BODY, SMTPUTF8, DSN's ENVID/RET/NOTIFY/ORCPT on MAIL and RCPT); 2048 covers all of
// them together with room to spare while keeping an unauthenticated peer's line small.
inline constexpr std::size_t kMaxCommandLine = 2048;

// AUTH command lines and the SASL answers that follow a 334, CRLF included. A PLAIN initial
// response carries a password of any length and RFC 4954 §4 asks servers to take 12288 octets;
// 16 KiB covers that. The session frames client lines with this figure, and the command parser
// refuses any line other than AUTH that passes kMaxCommandLine.
inline constexpr std::size_t kMaxAuthLine = 16 * 1024;

// One upstream reply line, CRLF included (RFC 5321: 512; servers stay far below this).
inline constexpr std::size_t kMaxReplyLine = 4096;

// Lines in one multi-line reply (an EHLO reply has about 15; HELP texts a few dozen).
inline constexpr std::size_t kMaxReplyLines = 256;

// Text bytes kept for one multi-line reply, across its lines.
inline constexpr std::size_t kMaxReplyBytes = 64 * 1024;

// Parameters on one MAIL or RCPT command (RFC 1870, 3461, 6152, 6531 define six between them).
inline constexpr std::size_t kMaxMailParameters = 16;

// Commands sent upstream whose replies have not arrived yet. A pipelining client sends one
// transaction at a time (RFC 2920 §3.1: DATA ends a group); a recipient list of a few hundred is
// the most seen in practice. The session stops reading the client while this is reached.
inline constexpr std::size_t kMaxPendingReplies = 1024;

}  // namespace mb::protocol::smtp::limits
