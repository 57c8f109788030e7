// Builders for the commands the bridge sends upstream itself while it connects and logs in:
// CAPABILITY, STARTTLS, LOGOUT, AUTHENTICATE (with or without SASL-IR) and the SASL exchange
// lines. Each returns the bytes to write, CRLF included. Lines that carry credentials come back
// as Secret so they cannot reach a log by accident. Tags are the caller's (tag characters only).
#pragma once

#include <string>
#include <string_view>

#include "protocol/secret.h"

namespace mb::protocol::imap {

std::string capability_command(std::string_view tag);
std::string starttls_command(std::string_view tag);
std::string logout_command(std::string_view tag);

// "<tag> AUTHENTICATE <mechanism> <initial response>\r\n" (RFC 4959 SASL-IR); an empty initial
// response is sent as "=". `initial_response_base64` is already base64 (see protocol/sasl).
Secret authenticate_command(std::string_view tag, std::string_view mechanism,
                            const Secret& initial_response_base64);
// "<tag> AUTHENTICATE <mechanism>\r\n": for servers without SASL-IR (the responses follow the
// server's "+", see protocol/sasl/client_exchange).
std::string authenticate_command(std::string_view tag, std::string_view mechanism);

}  // namespace mb::protocol::imap
