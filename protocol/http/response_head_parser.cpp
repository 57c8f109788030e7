// ResponseHeadParser: see response_head_parser.h. Bytes are taken one at a time in the head and
// chunk lines, and in runs inside bodies being discarded.
#include "protocol/http/response_head_parser.h"

#include <algorithm>
#include <charconv>

#include "protocol/http/token_syntax.h"

namespace mb::protocol::http {

std::optional<std::string_view> ResponseHead::header(std::string_view name) const {
    for (const auto& h : headers)
        if (equals_ignoring_case(h.name, name)) return std::string_view(h.value);
    return std::nullopt;
}

std::vector<std::string_view> ResponseHead::headers_named(std::string_view name) const {
    std::vector<std::string_view> values;
    for (const auto& h : headers)
        if (equals_ignoring_case(h.name, name)) values.emplace_back(h.value);
    return values;
}

namespace {

// True when a comma-separated list in any of the values holds `token` (case-insensitive).
bool list_has(const std::vector<std::string_view>& values, std::string_view token) {
    for (auto value : values)
        for (auto item : split_list(value))
            if (equals_ignoring_case(item, token)) return true;
    return false;
}

}  // namespace

ResponseProgress ResponseHeadParser::feed(std::string_view bytes) {
    std::size_t i = 0;
    while (i < bytes.size()) {
        switch (phase_) {
            case Phase::done:
                return {ResponseState::done, i};
            case Phase::failed:
                return {ResponseState::failed, i};
            case Phase::fixed_body:
            case Phase::chunk_data: {
                auto run =
                    static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, bytes.size() - i));
                i += run;
                body_left_ -= run;
                if (body_left_ == 0) {
                    if (phase_ == Phase::fixed_body) {
                        finish();
                    } else {
                        phase_ = Phase::chunk_data_end;
                    }
                }
                break;
            }
            case Phase::head:
                take_head_byte(bytes[i++]);
                break;
            case Phase::chunk_size:
                take_line_byte(bytes[i++], kMaxChunkLineBytes, "chunk size line");
                break;
            case Phase::chunk_data_end:
            case Phase::trailer:
                take_line_byte(bytes[i++], kMaxChunkLineBytes,
                               phase_ == Phase::trailer ? "trailer line" : "chunk end");
                break;
        }
    }
    if (phase_ == Phase::done) return {ResponseState::done, i};
    if (phase_ == Phase::failed) return {ResponseState::failed, i};
    return {ResponseState::need_more, i};
}

bool ResponseHeadParser::fail(std::string reason) {
    phase_ = Phase::failed;
    error_ = std::move(reason);
    return false;
}

void ResponseHeadParser::finish() {
    phase_ = Phase::done;
    line_.clear();
    line_.shrink_to_fit();
}

bool ResponseHeadParser::take_head_byte(char c) {
    if (++head_bytes_ > kMaxResponseHeadBytes)
        return fail("response head longer than " + std::to_string(kMaxResponseHeadBytes) +
                    " bytes");
    if (c == '\n') return end_head_line();
    if (!line_.empty() && line_.back() == '\r') return fail("CR not followed by LF in head");
    line_.push_back(c);
    return true;
}

bool ResponseHeadParser::end_head_line() {
    std::string_view line = line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool ok = true;
    if (!status_line_seen_) {
        ok = parse_status_line(line);
        status_line_seen_ = true;
    } else if (line.empty()) {
        ok = end_head();
    } else {
        ok = parse_header_line(line);
    }
    line_.clear();
    return ok;
}

bool ResponseHeadParser::parse_status_line(std::string_view line) {
    // HTTP/1.D SP 3DIGIT [SP reason]
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !is_digit(line[7]) ||
        line[8] != ' ' || !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) ||
        (line.size() > 12 && line[12] != ' '))
        return fail("malformed status line (expected \"HTTP/1.x NNN reason\")");
    head_.version_minor = line[7] - '0';
    head_.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (head_.status < 100 || head_.status > 599)
        return fail("malformed status line (status outside 100-599)");
    std::string_view reason = line.size() > 12 ? line.substr(13) : std::string_view();
    for (char c : reason)
        if (is_control(c) && c != '\t') return fail("control character in the reason phrase");
    head_.reason = std::string(reason);
    return true;
}

bool ResponseHeadParser::parse_header_line(std::string_view line) {
    if (line.front() == ' ' || line.front() == '\t') {
        if (head_.headers.empty()) return fail("folded line before the first header");
        std::string_view more = trim_whitespace(line);
        for (char c : more)
            if (is_control(c) && c != '\t') return fail("control character in a header value");
        auto& value = head_.headers.back().value;
        if (!more.empty()) {
            if (!value.empty()) value.push_back(' ');
            value.append(more);
        }
        return true;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return fail("header line without a colon");
    std::string_view name = line.substr(0, colon);
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char))
        return fail("malformed header name");
    std::string_view value = trim_whitespace(line.substr(colon + 1));
    for (char c : value)
        if (is_control(c) && c != '\t') return fail("control character in a header value");
    if (head_.headers.size() >= kMaxResponseHeaders)
        return fail("more than " + std::to_string(kMaxResponseHeaders) + " header lines");
    head_.headers.push_back({std::string(name), std::string(value)});
    return true;
}

bool ResponseHeadParser::end_head() {
    const int status = head_.status;
    if (status < 200) {
        if (status == 101) return fail("unexpected 101 Switching Protocols to CONNECT");
        if (++interim_heads_ > kMaxInterimResponses)
            return fail("more than " + std::to_string(kMaxInterimResponses) +
                        " interim (1xx) responses");
        head_ = {};
        status_line_seen_ = false;
        head_bytes_ = 0;
        return true;
    }

    const auto connection = head_.headers_named("Connection");
    const auto proxy_connection = head_.headers_named("Proxy-Connection");
    const bool close = list_has(connection, "close") || list_has(proxy_connection, "close");
    const bool keep_alive =
        list_has(connection, "keep-alive") || list_has(proxy_connection, "keep-alive");
    reusable_ = !close && (head_.version_minor >= 1 || keep_alive);

    if ((status >= 200 && status < 300) || status == 204 || status == 304) {
        finish();
        return true;
    }

    const auto encodings = head_.headers_named("Transfer-Encoding");
    const auto lengths = head_.headers_named("Content-Length");
    if (!encodings.empty()) {
        std::string_view last;
        for (auto value : encodings)
            for (auto item : split_list(value)) last = item;
        if (!lengths.empty()) reusable_ = false;  // RFC 9112 §6.1: do not trust this connection
        if (equals_ignoring_case(last, "chunked")) {
            phase_ = Phase::chunk_size;
            return true;
        }
        reusable_ = false;  // body until close; the caller does not read it
        finish();
        return true;
    }
    if (!lengths.empty()) {
        std::optional<std::uint64_t> length;
        for (auto value : lengths) {
            for (auto item : split_list(value)) {
                std::uint64_t parsed = 0;
                if (item.empty() || item.size() > 19 ||
                    !std::all_of(item.begin(), item.end(), is_digit))
                    return fail("malformed Content-Length");
                std::from_chars(item.data(), item.data() + item.size(), parsed);
                if (length && *length != parsed) return fail("conflicting Content-Length values");
                length = parsed;
            }
        }
        if (!length) return fail("malformed Content-Length");
        if (*length > kMaxDiscardedBodyBytes)
            return fail("response body of " + std::to_string(*length) + " bytes is over the " +
                        std::to_string(kMaxDiscardedBodyBytes) + " byte limit");
        body_left_ = *length;
        if (body_left_ == 0) {
            finish();
        } else {
            phase_ = Phase::fixed_body;
        }
        return true;
    }
    reusable_ = false;  // the body runs until the proxy closes
    finish();
    return true;
}

bool ResponseHeadParser::take_line_byte(char c, std::size_t limit, const char* what) {
    if (c != '\n') {
        if (!line_.empty() && line_.back() == '\r')
            return fail(std::string("CR not followed by LF in ") + what);
        if (line_.size() >= limit)
            return fail(std::string(what) + " longer than " + std::to_string(limit) + " bytes");
        line_.push_back(c);
        return true;
    }
    std::string_view line = line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    switch (phase_) {
        case Phase::chunk_size:
            if (!end_chunk_size_line()) return false;
            break;
        case Phase::chunk_data_end:
            if (!line.empty()) return fail("chunk data longer than its size");
            phase_ = Phase::chunk_size;
            break;
        case Phase::trailer:
            if (line.empty()) {
                finish();
                return true;
            }
            if (++trailer_lines_ > kMaxResponseHeaders) return fail("too many trailer lines");
            break;
        default:
            break;
    }
    line_.clear();
    return true;
}

bool ResponseHeadParser::end_chunk_size_line() {
    std::string_view line = line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t digits = 0;
    while (digits < line.size() && is_hex_digit(line[digits])) ++digits;
    if (digits == 0 || digits > 15) return fail("malformed chunk size");
    std::string_view rest = line.substr(digits);
    // chunk-ext: *( BWS ";" ... ); only its syntax start is checked, its content is ignored
    rest = trim_whitespace(rest);
    if (!rest.empty() && rest.front() != ';') return fail("malformed chunk size");
    for (char c : rest)
        if (is_control(c) && c != '\t') return fail("control character in a chunk extension");
    std::uint64_t size = 0;
    std::from_chars(line.data(), line.data() + digits, size, 16);
    body_total_ += size;
    if (body_total_ > kMaxDiscardedBodyBytes)
        return fail("chunked response body over the " + std::to_string(kMaxDiscardedBodyBytes) +
                    " byte limit");
    if (size == 0) {
        phase_ = Phase::trailer;
    } else {
        body_left_ = size;
        phase_ = Phase::chunk_data;
    }
    return true;
}

}  // namespace mb::protocol::http
