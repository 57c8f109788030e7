// SMTP command builders for the upstream side.
#include "protocol/smtp/command_builder.h"

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

}  // namespace mb::protocol::smtp
