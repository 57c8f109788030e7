// Human-readable text for OpenSSL failures: drains the thread's OpenSSL error queue into one
// reason ("certificate verify failed", "no such file or directory"). No state of its own.
#pragma once

#include <string>

namespace mb::net {

// Reasons of every queued OpenSSL error, oldest first, joined by "; ", and clears the queue.
// Returns fallback when the queue is empty.
std::string take_openssl_errors(const std::string& fallback);

}  // namespace mb::net
