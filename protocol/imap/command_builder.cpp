// Command builder implementation.
#include "protocol/imap/command_builder.h"

namespace mb::protocol::imap {

std::string capability_command(std::string_view tag) {
    return std::string(tag) + " CAPABILITY\r\n";
}

std::string starttls_command(std::string_view tag) {
    return std::string(tag) + " STARTTLS\r\n";
}

std::string logout_command(std::string_view tag) {
    return std::string(tag) + " LOGOUT\r\n";
}

Secret authenticate_command(std::string_view tag, std::string_view mechanism,
                            const Secret& initial_response_base64) {
    const std::string& response = initial_response_base64.reveal();
    std::string line;
    line.reserve(tag.size() + mechanism.size() + response.size() + 20);
    line.append(tag).append(" AUTHENTICATE ").append(mechanism).append(" ");
    line.append(response.empty() ? "=" : response).append("\r\n");
    return Secret(std::move(line));
}

std::string authenticate_command(std::string_view tag, std::string_view mechanism) {
    return std::string(tag) + " AUTHENTICATE " + std::string(mechanism) + "\r\n";
}

}  // namespace mb::protocol::imap
