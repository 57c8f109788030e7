// The AUTH command line of POP3 and SMTP: see auth_command.h.
#include "protocol/sasl/auth_command.h"

#include <openssl/crypto.h>

#include <string>

namespace mb::protocol::sasl {

AuthCommand auth_command(std::string_view mechanism, const std::optional<Secret>& initial_response,
                         std::size_t max_inline_line) {
    std::string head = "AUTH ";
    for (char c : mechanism) head += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
    if (!initial_response) return {Secret(head + "\r\n"), std::nullopt, false};
    const std::string& response = initial_response->reveal();
    const std::string_view inline_response = response.empty() ? std::string_view("=") : response;
    if (head.size() + 1 + inline_response.size() + 2 > max_inline_line)
        return {Secret(head + "\r\n"), initial_response, false};
    std::string line;
    line.reserve(head.size() + inline_response.size() + 3);
    line.append(head).append(" ").append(inline_response).append("\r\n");
    AuthCommand out{Secret(line), std::nullopt, true};
    OPENSSL_cleanse(line.data(), line.size());
    return out;
}

}  // namespace mb::protocol::sasl
