// Response parser implementation: classifies the line by its first token, then reads the status
// word, the optional bracketed response code and the text.
#include "protocol/imap/response_parser.h"

#include <string>

#include "protocol/imap/syntax.h"
#include "protocol/limits.h"
#include "protocol/printable_text.h"

namespace mb::protocol::imap {

namespace {

std::string_view take_token(std::string_view& rest) {
    const std::size_t end = rest.find(' ');
    std::string_view token = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    return token;
}

std::optional<ResponseStatus> status_word(std::string_view word) {
    if (iequals(word, "OK")) return ResponseStatus::Ok;
    if (iequals(word, "NO")) return ResponseStatus::No;
    if (iequals(word, "BAD")) return ResponseStatus::Bad;
    if (iequals(word, "PREAUTH")) return ResponseStatus::PreAuth;
    if (iequals(word, "BYE")) return ResponseStatus::Bye;
    return std::nullopt;
}

std::optional<std::uint32_t> parse_number(std::string_view digits) {
    if (digits.empty() || digits.size() > 10) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value > UINT32_MAX) return std::nullopt;
    return static_cast<std::uint32_t>(value);
}

// Reads "[name args] text" (the code is optional) into the response.
Result<void> parse_status_rest(std::string_view rest, Response& response) {
    if (!rest.empty() && rest.front() == '[') {
        const std::size_t close = rest.find(']');
        if (close == std::string_view::npos)
            return make_error("response code is not closed with ']'");
        if (close + 1 > limits::kMaxResponseCodeLength)
            return make_error("response code longer than " +
                              std::to_string(limits::kMaxResponseCodeLength) + " bytes");
        std::string_view inside = rest.substr(1, close - 1);
        ResponseCode code;
        code.name = take_token(inside);
        code.arguments = inside;
        if (code.name.empty()) return make_error("response code has no name");
        for (char c : code.name)
            if (!is_atom_char(static_cast<unsigned char>(c)))
                return make_error("response code name contains an invalid character");
        if (code.is("CAPABILITY")) {
            auto capabilities = split_capabilities(code.arguments);
            if (!capabilities) return capabilities.error();
            response.capabilities = std::move(*capabilities);
        }
        response.code = code;
        rest = rest.substr(close + 1);
        if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    }
    response.text = rest;
    return {};
}

}  // namespace

bool ResponseCode::is(std::string_view code_name) const {
    return iequals(name, code_name);
}

Result<std::vector<std::string_view>> split_capabilities(std::string_view list) {
    std::vector<std::string_view> out;
    while (!list.empty()) {
        std::string_view token = take_token(list);
        if (token.empty()) continue;
        if (out.size() == limits::kMaxCapabilities)
            return make_error("capability list has more than " +
                              std::to_string(limits::kMaxCapabilities) + " entries");
        out.push_back(token);
    }
    return out;
}

bool has_capability(const std::vector<std::string_view>& capabilities, std::string_view name) {
    for (std::string_view capability : capabilities)
        if (iequals(capability, name)) return true;
    return false;
}

Result<Response> parse_response(std::string_view line) {
    std::string_view rest = without_line_end(line);
    for (char c : rest)
        if (c == '\0' || c == '\r' || c == '\n')
            return make_error("response line contains NUL, CR or LF");
    Response response;
    if (rest.empty()) return make_error("empty response line");

    if (rest.front() == '+') {
        if (rest.size() > 1 && rest[1] != ' ')
            return make_error("continuation request must be \"+\" followed by a space");
        response.kind = Response::Kind::Continuation;
        response.text = rest.size() > 1 ? rest.substr(2) : std::string_view{};
        return response;
    }

    std::string_view first = take_token(rest);
    if (first == "*") {
        response.kind = Response::Kind::Untagged;
        std::string_view word = take_token(rest);
        if (word.empty()) return make_error("untagged response has no content");
        if (auto status = status_word(word)) {
            response.status = *status;
            auto parsed = parse_status_rest(rest, response);
            if (!parsed) return parsed.error();
            return response;
        }
        if (auto number = parse_number(word)) {
            response.number = number;
            word = take_token(rest);
            if (word.empty()) return make_error("numeric untagged response has no name");
        }
        response.data_name = word;
        response.text = rest;
        if (iequals(word, "CAPABILITY")) {
            auto capabilities = split_capabilities(rest);
            if (!capabilities) return capabilities.error();
            response.capabilities = std::move(*capabilities);
        }
        return response;
    }

    if (first.empty() || first.size() > limits::kMaxTagLength)
        return make_error("response tag is empty or too long");
    for (char c : first)
        if (!is_tag_char(static_cast<unsigned char>(c)))
            return make_error("response tag contains an invalid character");
    response.kind = Response::Kind::Tagged;
    response.tag = first;
    auto status = status_word(take_token(rest));
    if (!status || *status == ResponseStatus::PreAuth || *status == ResponseStatus::Bye)
        return make_error("tagged response must be OK, NO or BAD");
    response.status = *status;
    auto parsed = parse_status_rest(rest, response);
    if (!parsed) return parsed.error();
    return response;
}

}  // namespace mb::protocol::imap
