// POP3 response builders.
#include "protocol/pop3/response_builder.h"

#include "protocol/pop3/syntax.h"

namespace mb::protocol::pop3 {

std::string_view response_code_name(ResponseCode code) {
    switch (code) {
        case ResponseCode::None:
            return "";
        case ResponseCode::Auth:
            return "AUTH";
        case ResponseCode::SysTemp:
            return "SYS/TEMP";
        case ResponseCode::SysPerm:
            return "SYS/PERM";
        case ResponseCode::InUse:
            return "IN-USE";
    }
    return "";
}

std::string ok_response(std::string_view text) {
    if (text.empty()) return "+OK\r\n";
    return "+OK " + one_line(text) + "\r\n";
}

std::string err_response(ResponseCode code, std::string_view text) {
    std::string out = "-ERR";
    if (code != ResponseCode::None) {
        out.append(" [").append(response_code_name(code)).append("]");
    }
    if (!text.empty()) out.append(" ").append(one_line(text));
    out.append("\r\n");
    return out;
}

std::string sasl_continuation(std::string_view payload_base64) {
    return "+ " + one_line(payload_base64) + "\r\n";
}

std::string multiline_response(std::string_view status_text,
                               const std::vector<std::string_view>& lines) {
    std::string out = ok_response(status_text);
    for (std::string_view line : lines) {
        if (!line.empty() && line.front() == '.') out.push_back('.');
        out.append(one_line(line)).append("\r\n");
    }
    out.append(".\r\n");
    return out;
}

std::vector<std::string_view> pre_auth_capabilities(PreAuthOffer offer) {
    std::vector<std::string_view> out;
    if (offer.login) out.insert(out.end(), {"USER", "SASL PLAIN"});
    out.insert(out.end(), {"RESP-CODES", "AUTH-RESP-CODE"});
    if (offer.stls) out.push_back("STLS");
    return out;
}

std::string capa_response(const std::vector<std::string_view>& capabilities) {
    return multiline_response("Capability list follows", capabilities);
}

std::string auth_mechanisms_response() {
    return multiline_response("", {"PLAIN"});
}

}  // namespace mb::protocol::pop3
