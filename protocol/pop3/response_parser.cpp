// POP3 status line and CAPA parsing.
#include "protocol/pop3/response_parser.h"

#include <optional>

#include "protocol/pop3/limits.h"
#include "protocol/pop3/syntax.h"

namespace mb::protocol::pop3 {

namespace {
std::string_view strip_line_end(std::string_view line) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

// Splits "[CODE] text" into code and text; leaves `text` whole when it has no complete code.
void split_code(std::string_view rest, StatusLine& out) {
    out.text = rest;
    if (rest.empty() || rest.front() != '[') return;
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return;
    out.code = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    out.text = rest;
}
}  // namespace

Result<StatusLine> parse_status_line(std::string_view line) {
    line = strip_line_end(line);
    StatusLine out;
    auto after = [&](std::size_t length) -> std::optional<std::string_view> {
        if (line.size() == length) return std::string_view{};
        if (line[length] != ' ') return std::nullopt;
        return line.substr(length + 1);
    };
    if (line.starts_with("+OK")) {
        if (auto rest = after(3)) {
            out.kind = StatusLine::Kind::Ok;
            split_code(*rest, out);
            return out;
        }
    } else if (line.starts_with("-ERR")) {
        if (auto rest = after(4)) {
            out.kind = StatusLine::Kind::Err;
            split_code(*rest, out);
            return out;
        }
    } else if (line.starts_with("+")) {
        if (auto rest = after(1)) {
            out.kind = StatusLine::Kind::Continuation;
            out.text = *rest;
            return out;
        }
    }
    return make_error("POP3 response does not start with +OK, -ERR or \"+ \"");
}

bool Capabilities::has_sasl(std::string_view mechanism) const {
    for (const std::string& offered : sasl_mechanisms)
        if (iequals(offered, mechanism)) return true;
    return false;
}

Result<Capabilities> parse_capa_response(std::string_view response) {
    if (response.size() > limits::kMaxCapaResponse)
        return make_error("POP3 CAPA response is larger than the bridge accepts");
    std::size_t end = response.find('\n');
    if (end == std::string_view::npos) return make_error("POP3 CAPA response has no status line");
    auto status = parse_status_line(response.substr(0, end + 1));
    if (!status || status->kind != StatusLine::Kind::Ok)
        return make_error("POP3 server refused CAPA or answered it malformed");
    Capabilities out;
    std::size_t at = end + 1;
    for (;;) {
        end = response.find('\n', at);
        if (end == std::string_view::npos)
            return make_error("POP3 CAPA response ends without its \".\" line");
        std::string_view line = strip_line_end(response.substr(at, end + 1 - at));
        at = end + 1;
        if (line == ".") break;
        if (line.starts_with(".")) line.remove_prefix(1);
        if (out.lines.size() == limits::kMaxCapabilities)
            return make_error("POP3 CAPA response lists more capabilities than the bridge accepts");
        out.lines.emplace_back(line);
        std::string_view keyword = first_word(line);
        if (iequals(keyword, "SASL")) {
            std::string_view list = line.substr(keyword.size());
            while (!list.empty()) {
                if (list.front() == ' ') {
                    list.remove_prefix(1);
                    continue;
                }
                std::string_view mechanism = first_word(list);
                if (!out.has_sasl(mechanism)) out.sasl_mechanisms.push_back(to_upper(mechanism));
                list.remove_prefix(mechanism.size());
            }
        }
        out.stls |= iequals(keyword, "STLS");
        out.pipelining |= iequals(keyword, "PIPELINING");
        out.user |= iequals(keyword, "USER");
        out.resp_codes |= iequals(keyword, "RESP-CODES");
        out.auth_resp_code |= iequals(keyword, "AUTH-RESP-CODE");
        out.uidl |= iequals(keyword, "UIDL");
        out.top |= iequals(keyword, "TOP");
    }
    if (at != response.size())
        return make_error("POP3 CAPA response has bytes after its \".\" line");
    return out;
}

}  // namespace mb::protocol::pop3
