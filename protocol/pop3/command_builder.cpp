// POP3 command builders for the upstream side. Buffers that held secrets are wiped.
#include "protocol/pop3/command_builder.h"

#include <openssl/crypto.h>

#include "protocol/pop3/syntax.h"

namespace mb::protocol::pop3 {

namespace {
Secret secret_line(std::string_view head, std::string_view body) {
    std::string line;
    line.reserve(head.size() + body.size() + 2);
    line.append(head).append(body).append("\r\n");
    Secret out(line);
    OPENSSL_cleanse(line.data(), line.size());
    return out;
}
}  // namespace

std::string capa_command() {
    return "CAPA\r\n";
}

std::string stls_command() {
    return "STLS\r\n";
}

std::string quit_command() {
    return "QUIT\r\n";
}

std::string user_command(std::string_view user) {
    return "USER " + one_line(user) + "\r\n";
}

Secret pass_command(const Secret& password) {
    return secret_line("PASS ", password.reveal());
}

}  // namespace mb::protocol::pop3
