// SMTP command builders for the upstream side.
#include "protocol/smtp/command_builder.h"

#include <openssl/crypto.h>

#include "protocol/smtp/syntax.h"

namespace mb::protocol::smtp {

std::string ehlo_command(std::string_view domain) {
    return "EHLO " + one_line(domain) + "\r\n";
}

std::string starttls_command() {
    return "STARTTLS\r\n";
}

std::string quit_command() {
    return "QUIT\r\n";
}

AuthCommand auth_command(std::string_view mechanism, const Secret& initial_response,
                         std::size_t max_inline_line) {
    const std::string& response = initial_response.reveal();
    const std::string_view inline_response = response.empty() ? std::string_view("=") : response;
    const std::string head = "AUTH " + one_line(mechanism);
    if (head.size() + 1 + inline_response.size() + 2 <= max_inline_line) {
        std::string line;
        line.reserve(head.size() + inline_response.size() + 3);
        line.append(head).append(" ").append(inline_response).append("\r\n");
        AuthCommand out{Secret(line), std::nullopt};
        OPENSSL_cleanse(line.data(), line.size());
        return out;
    }
    std::string deferred;
    deferred.reserve(response.size() + 2);
    deferred.append(response).append("\r\n");
    AuthCommand out{Secret(head + "\r\n"), Secret(deferred)};
    OPENSSL_cleanse(deferred.data(), deferred.size());
    return out;
}

std::string bearer_error_answer_line(sasl::BearerMechanism mechanism) {
    return std::string(sasl::bearer_error_answer(mechanism)) + "\r\n";
}

std::string auth_cancel_line() {
    return "*\r\n";
}

}  // namespace mb::protocol::smtp
