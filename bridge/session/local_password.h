// Local passwords: the scrypt hash format written by `mailbridge hash-password` and its
// constant-time verification. Hashing is memory-hard and slow on purpose: call it off the loop.
#pragma once

#include <string>

#include "protocol/result.h"
#include "protocol/secret.h"

namespace mb::session {

// Returns "$scrypt$ln=15,r=8,p=1$<salt base64>$<hash base64>" for a fresh random salt.
Result<std::string> hash_local_password(const Secret& password);

// Verifies password against an encoded hash in constant time. Error when the hash text is
// malformed (the message says how to make a new one); ok(false) when the password is wrong.
Result<bool> verify_local_password(const std::string& encoded_hash, const Secret& password);

// Constant-time comparison for literal (unhashed) local passwords.
bool equal_secrets_constant_time(const Secret& a, const Secret& b);

}  // namespace mb::session
