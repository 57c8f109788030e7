// Response builder implementation.
#include "protocol/imap/response_builder.h"

#include <stdexcept>

#include "protocol/imap/string_quoting.h"

namespace mb::protocol::imap {

namespace {

std::string one_line(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c == '\r' || c == '\n' || c == '\0') c = ' ';
    return out;
}

std::string_view status_name(ResponseStatus status) {
    switch (status) {
        case ResponseStatus::Ok:
            return "OK";
        case ResponseStatus::No:
            return "NO";
        case ResponseStatus::Bad:
            return "BAD";
        case ResponseStatus::PreAuth:
            return "PREAUTH";
        case ResponseStatus::Bye:
            return "BYE";
        case ResponseStatus::None:
            break;
    }
    throw std::invalid_argument("IMAP status response needs a status");
}

std::string joined(const std::vector<std::string_view>& words) {
    std::string out;
    for (std::string_view word : words) {
        if (!out.empty()) out.push_back(' ');
        out.append(word);
    }
    return one_line(out);
}

// "<status> [<code>] <text>\r\n". Without a code, text starting with '[' would read as one, so
// its bracket becomes '('.
std::string status_rest(ResponseStatus status, std::string_view code, std::string_view text) {
    std::string out(status_name(status));
    if (!code.empty()) {
        std::string clean = one_line(code);
        for (char& c : clean)
            if (c == ']') c = ' ';
        out += " [" + clean + "]";
    }
    std::string body = one_line(text);
    if (code.empty() && !body.empty() && body.front() == '[') body.front() = '(';
    if (!body.empty()) out += " " + body;
    out += "\r\n";
    return out;
}

}  // namespace

std::string greeting_response(const std::vector<std::string_view>& capabilities,
                              std::string_view text) {
    return "* " + status_rest(ResponseStatus::Ok, "CAPABILITY " + joined(capabilities), text);
}

std::string capability_response(const std::vector<std::string_view>& capabilities) {
    return "* CAPABILITY " + joined(capabilities) + "\r\n";
}

std::string tagged_response(std::string_view tag, ResponseStatus status, std::string_view code,
                            std::string_view text) {
    if (status != ResponseStatus::Ok && status != ResponseStatus::No &&
        status != ResponseStatus::Bad)
        throw std::invalid_argument("tagged IMAP response must be OK, NO or BAD");
    return one_line(tag) + " " + status_rest(status, code, text);
}

std::string untagged_response(ResponseStatus status, std::string_view code, std::string_view text) {
    return "* " + status_rest(status, code, text);
}

std::string bye_response(std::string_view text) {
    return untagged_response(ResponseStatus::Bye, {}, text);
}

std::string continuation_response(std::string_view payload) {
    return "+ " + one_line(payload) + "\r\n";
}

std::string id_response(
    const std::vector<std::pair<std::string_view, std::optional<std::string_view>>>& fields) {
    if (fields.empty()) return "* ID NIL\r\n";
    std::string out = "* ID (";
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) out.push_back(' ');
        out += encode_string(fields[i].first, false, false) + " ";
        out += fields[i].second ? encode_string(*fields[i].second, false, false) : "NIL";
    }
    return out + ")\r\n";
}

}  // namespace mb::protocol::imap
