// ResponseUnitParser implementation: the first segment decides the kind of response; a FETCH list
// is scanned token by token as segments and literal chunks arrive, keeping the raw bytes of the
// wanted item values only, which are interpreted when each value ends. Other responses are one
// line and are read with parse_response at finish().
#include "protocol/imap/fetch_response.h"

#include <algorithm>

#include "protocol/imap/lexer.h"
#include "protocol/imap/stream_framer.h"
#include "protocol/imap/syntax.h"
#include "protocol/limits.h"
#include "protocol/printable_text.h"

namespace mb::protocol::imap {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::optional<std::uint64_t> parse_u64(std::string_view digits) {
    if (digits.empty() || digits.size() > 20) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : digits) {
        if (!is_digit(c)) return std::nullopt;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

std::optional<std::uint32_t> parse_u32(std::string_view digits) {
    auto value = parse_u64(digits);
    if (!value || *value > UINT32_MAX) return std::nullopt;
    return static_cast<std::uint32_t>(*value);
}

std::optional<std::uint32_t> parse_nz32(std::string_view digits) {
    auto value = parse_u32(digits);
    if (!value || *value == 0) return std::nullopt;
    return value;
}

bool wanted_item(std::string_view item) {
    return item == "UID" || item == "FLAGS" || item == "RFC822.SIZE" || item == "INTERNALDATE" ||
           item == "MODSEQ" || item == "ENVELOPE";
}

// "(a b c)" → {"a","b","c"}; nullopt when the value is not a flat list of atoms.
std::optional<std::vector<std::string>> parse_atom_list(std::string_view value) {
    if (value.size() < 2 || value.front() != '(' || value.back() != ')') return std::nullopt;
    value = value.substr(1, value.size() - 2);
    std::vector<std::string> out;
    while (!value.empty()) {
        const std::size_t end = value.find(' ');
        std::string_view token = value.substr(0, end);
        value = end == std::string_view::npos ? std::string_view{} : value.substr(end + 1);
        if (token.empty()) continue;
        for (char c : token)
            if (c == '(' || c == ')' || c == '"' || c == '{') return std::nullopt;
        out.emplace_back(token);
    }
    return out;
}

// A whole quoted string: '"' … '"' with \" and \\ escapes.
std::optional<std::string> unquote(std::string_view value) {
    if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::nullopt;
    std::string out;
    for (std::size_t i = 1; i + 1 < value.size(); ++i) {
        if (value[i] == '\\') ++i;
        if (i + 1 >= value.size()) return std::nullopt;
        out.push_back(value[i]);
    }
    return out;
}

// Reads "[(EARLIER) ]uid-set".
Result<ResponseUnit> read_vanished(std::string_view text) {
    Vanished vanished;
    if (istarts_with(text, "(EARLIER)")) {
        vanished.earlier = true;
        text.remove_prefix(9);
        while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    }
    auto uids = parse_uid_set(text);
    if (!uids) return uids.error();
    vanished.uids = std::move(*uids);
    return ResponseUnit{std::move(vanished)};
}

// Reads "n n n [(MODSEQ n)]".
Result<ResponseUnit> read_search(std::string_view text) {
    SearchResult result;
    while (!text.empty()) {
        if (text.front() == ' ') {
            text.remove_prefix(1);
            continue;
        }
        if (text.front() == '(') {
            const std::size_t close = text.find(')');
            std::string_view inside = text.substr(
                1, close == std::string_view::npos ? std::string_view::npos : close - 1);
            if (close == std::string_view::npos || !istarts_with(inside, "MODSEQ ") ||
                !(result.modseq = parse_u64(inside.substr(7))))
                return make_error("SEARCH response has a malformed (MODSEQ n) part");
            text.remove_prefix(close + 1);
            continue;
        }
        const std::size_t end = text.find(' ');
        auto number = parse_nz32(text.substr(0, end));
        if (!number) return make_error("SEARCH response holds something other than numbers");
        if (result.numbers.size() == kMaxSetEntries)
            return make_error("SEARCH response holds more than " + std::to_string(kMaxSetEntries) +
                              " numbers");
        result.numbers.push_back(*number);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end);
    }
    return ResponseUnit{std::move(result)};
}

Result<ResponseUnit> read_single_line(std::string_view line) {
    auto parsed = parse_response(line);
    if (!parsed) return parsed.error();
    const Response& response = *parsed;
    if (response.kind == Response::Kind::Continuation) return ResponseUnit{};
    if (response.status != ResponseStatus::None) {
        StatusResponse status;
        status.tag = std::string(response.tag);
        status.status = response.status;
        if (response.code) {
            status.code = to_upper(response.code->name);
            std::string_view arguments = response.code->arguments;
            status.code_number = parse_u64(arguments.substr(0, arguments.find(' ')));
        }
        return ResponseUnit{std::move(status)};
    }
    if (response.kind != Response::Kind::Untagged) return ResponseUnit{};
    if (response.number && iequals(response.data_name, "EXISTS"))
        return ResponseUnit{Exists{*response.number}};
    if (response.number && iequals(response.data_name, "EXPUNGE")) {
        if (*response.number == 0) return make_error("EXPUNGE of sequence number 0");
        return ResponseUnit{Expunge{*response.number}};
    }
    if (!response.number && iequals(response.data_name, "VANISHED"))
        return read_vanished(response.text);
    if (!response.number && iequals(response.data_name, "SEARCH"))
        return read_search(response.text);
    return ResponseUnit{};
}

}  // namespace

Result<std::vector<UidRange>> parse_uid_set(std::string_view text) {
    std::vector<UidRange> out;
    if (text.empty()) return make_error("uid set is empty");
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (comma != std::string_view::npos && text.empty())
            return make_error("uid set ends with ','");
        const std::size_t colon = item.find(':');
        auto first = parse_nz32(item.substr(0, colon));
        auto last = colon == std::string_view::npos ? first : parse_nz32(item.substr(colon + 1));
        if (!first || !last)
            return make_error("uid set holds \"" + std::string(item.substr(0, 32)) +
                              "\", which is not a UID or a range of UIDs");
        if (out.size() == kMaxSetEntries)
            return make_error("uid set has more than " + std::to_string(kMaxSetEntries) +
                              " ranges");
        out.push_back({std::min(*first, *last), std::max(*first, *last)});
    }
    return out;
}

void ResponseUnitParser::fail(std::string reason) {
    if (state_ == State::Failed) return;
    state_ = State::Failed;
    error_ = std::move(reason);
}

void ResponseUnitParser::segment(std::string_view bytes) {
    switch (state_) {
        case State::Failed:
        case State::Other:
            return;
        case State::Start:
            start(bytes);
            return;
        case State::Single:
            fail("response continues after a line that announced no literal");
            return;
        case State::Literal:
            fail("line segment arrived before the announced literal was complete");
            return;
        case State::ItemName:
        case State::ItemValue:
        case State::AfterList:
            scan(without_line_end(bytes));
            return;
    }
}

void ResponseUnitParser::start(std::string_view line) {
    std::string_view text = without_line_end(line);
    const bool has_literal = literal_announcement_start(text) != std::string_view::npos;
    std::string_view rest = text;
    if (rest.starts_with("* ")) {
        rest.remove_prefix(2);
        std::size_t digits = 0;
        while (digits < rest.size() && is_digit(rest[digits])) ++digits;
        if (digits > 0 && istarts_with(rest.substr(digits), " FETCH ")) {
            auto sequence = parse_nz32(rest.substr(0, digits));
            rest.remove_prefix(digits + 7);
            if (!sequence) return fail("FETCH response has an invalid sequence number");
            if (!rest.starts_with('(')) return fail("FETCH response data does not start with '('");
            fetch_.sequence = *sequence;
            state_ = State::ItemName;
            scan(text.substr(text.size() - rest.size() + 1));
            return;
        }
    }
    if (has_literal) {
        state_ = State::Other;
        return;
    }
    single_line_.assign(text);
    state_ = State::Single;
}

void ResponseUnitParser::scan(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size() && state_ != State::Failed && state_ != State::Literal) {
        if (state_ == State::ItemName) {
            pos = scan_item_name(text, pos);
        } else if (state_ == State::ItemValue) {
            pos = scan_value(text, pos);
        } else {
            if (text[pos] != ' ') fail("bytes follow the closed FETCH list");
            ++pos;
        }
    }
}

std::size_t ResponseUnitParser::scan_item_name(std::string_view text, std::size_t pos) {
    if (text[pos] == ' ') return pos + 1;
    if (text[pos] == ')') {
        state_ = State::AfterList;
        return pos + 1;
    }
    const std::size_t begin = pos;
    while (pos < text.size() && text[pos] != ' ' && text[pos] != '(' && text[pos] != ')') {
        const char c = text[pos];
        if (c == '[') {
            const std::size_t close = text.find(']', pos);
            if (close == std::string_view::npos) {
                fail("FETCH item name has an unclosed '['");
                return text.size();
            }
            pos = close + 1;
            continue;
        }
        if (!is_atom_char(static_cast<unsigned char>(c)) && c != ']') {
            fail("FETCH item name contains an invalid character");
            return text.size();
        }
        ++pos;
    }
    if (pos == begin) {
        fail("expected a FETCH item name");
        return text.size();
    }
    item_ = to_upper(text.substr(begin, pos - begin));
    keeping_ = wanted_item(item_);
    value_.clear();
    depth_ = 0;
    value_started_ = false;
    state_ = State::ItemValue;
    return pos;
}

// Reads as much of the value as `text` holds. Kept bytes are the input bytes from the value's first
// byte to its last, so they are kept as one run per call rather than token by token.
std::size_t ResponseUnitParser::scan_value(std::string_view text, std::size_t pos) {
    if (!value_started_) {
        while (pos < text.size() && text[pos] == ' ') ++pos;
        if (pos == text.size()) return pos;
        value_started_ = true;
    }
    const std::size_t run = pos;
    auto finish_value = [&](std::size_t end) {
        keep(text.substr(run, end - run));
        end_value();
        return end;
    };
    while (pos < text.size()) {
        const char c = text[pos];
        if (c == ' ') {
            ++pos;
        } else if (c == '(') {
            ++depth_;
            ++pos;
        } else if (c == ')') {
            if (depth_ == 0) {
                fail("FETCH item " + item_ + " has no value");
                return text.size();
            }
            ++pos;
            if (--depth_ == 0) return finish_value(pos);
        } else if (c == '"') {
            const Token quoted = scan_quoted(text.substr(pos), Quoting::Lenient);
            if (!quoted.ok()) {
                fail("quoted string in FETCH item " + item_ + " is not closed");
                return text.size();
            }
            pos += quoted.length;
            if (depth_ == 0) return finish_value(pos);
        } else if (c == '{' || c == '~') {
            keep(text.substr(run, pos - run));
            begin_literal(text, pos);
            return text.size();
        } else {
            std::size_t end = pos;
            while (end < text.size() && text[end] != ' ' && text[end] != '(' && text[end] != ')') {
                if (text[end] == '"' || text[end] == '{') {
                    fail("FETCH item " + item_ + " holds a malformed atom");
                    return text.size();
                }
                ++end;
            }
            pos = end;
            if (depth_ == 0) return finish_value(pos);
        }
    }
    keep(text.substr(run, pos - run));
    return pos;
}

void ResponseUnitParser::begin_literal(std::string_view text, std::size_t pos) {
    if (pos != literal_announcement_start(text))
        return fail("'{' inside FETCH data is not a literal");
    LiteralScan announced = scan_literal_announcement(text, limits::kMaxRelayLiteral);
    if (!announced.header) return fail("malformed literal announcement in FETCH data");
    keep(text.substr(pos));
    keep("\r\n");
    literal_left_ = announced.header->size;
    state_ = State::Literal;
    if (literal_left_ == 0) literal({});
}

void ResponseUnitParser::literal(std::string_view chunk) {
    if (state_ == State::Failed || state_ == State::Other) return;
    if (state_ != State::Literal) return fail("literal bytes arrived where none was announced");
    if (chunk.size() > literal_left_) return fail("literal is longer than announced");
    keep(chunk);
    literal_left_ -= chunk.size();
    if (literal_left_ > 0) return;
    state_ = State::ItemValue;
    if (depth_ == 0) end_value();
}

void ResponseUnitParser::keep(std::string_view bytes) {
    if (!keeping_) return;
    if (bytes.size() > max_kept_ - kept_) {
        keeping_ = false;
        kept_ -= value_.size();
        std::string().swap(value_);
        fetch_.dropped_items.push_back(item_);
        return;
    }
    value_.append(bytes);
    kept_ += bytes.size();
}

void ResponseUnitParser::end_value() {
    state_ = State::ItemName;
    if (!keeping_) return;
    keeping_ = false;
    bool used = false;
    if (item_ == "UID") {
        auto uid = parse_nz32(value_);
        if ((used = uid.has_value())) fetch_.uid = uid;
    } else if (item_ == "RFC822.SIZE") {
        auto size = parse_u64(value_);
        if ((used = size.has_value())) fetch_.rfc822_size = size;
    } else if (item_ == "FLAGS") {
        auto flags = parse_atom_list(value_);
        if ((used = flags.has_value())) fetch_.flags = std::move(flags);
    } else if (item_ == "INTERNALDATE") {
        auto date = unquote(value_);
        if ((used = date.has_value())) fetch_.internal_date = std::move(date);
    } else if (item_ == "MODSEQ") {
        auto list = parse_atom_list(value_);
        std::optional<std::uint64_t> modseq;
        if (list && list->size() == 1) modseq = parse_u64(list->front());
        if ((used = modseq.has_value())) fetch_.modseq = modseq;
    } else if (item_ == "ENVELOPE" && envelopes_ == EnvelopeReading::RawOnly) {
        if ((used = value_.size() >= 2 && value_.front() == '(' && value_.back() == ')'))
            fetch_.raw_envelope = std::move(value_);
    } else if (item_ == "ENVELOPE") {
        auto envelope = parse_envelope(value_);
        if ((used = envelope.ok())) {
            fetch_.envelope = std::move(*envelope);
            fetch_.raw_envelope = std::move(value_);
        }
    }
    if (!used) fetch_.dropped_items.push_back(item_);
    value_.clear();
}

Result<ResponseUnit> ResponseUnitParser::finish() {
    const State state = state_;
    std::string error = std::move(error_);
    std::string line = std::move(single_line_);
    FetchData fetch = std::move(fetch_);
    *this = ResponseUnitParser(max_kept_, envelopes_);
    switch (state) {
        case State::Failed:
            return make_error("unreadable IMAP response: " + error);
        case State::Start:
            return make_error("no IMAP response was fed");
        case State::Other:
            return ResponseUnit{};
        case State::Single:
            return read_single_line(line);
        case State::AfterList: {
            // Built in place: moving a FetchData variant into the Result made GCC 12 report
            // -Wmaybe-uninitialized inside the variant's move (a false positive).
            Result<ResponseUnit> unit{ResponseUnit{}};
            unit->emplace<FetchData>(std::move(fetch));
            return unit;
        }
        case State::ItemName:
        case State::ItemValue:
        case State::Literal:
            break;
    }
    return make_error("FETCH response ended before its list was closed");
}

Result<ResponseUnit> parse_response_unit(std::string_view unit, std::size_t max_kept) {
    StreamFramer framer({StreamFramer::Direction::ServerToClient, limits::kMaxLineLength,
                         limits::kMaxRelayLiteral});
    ResponseUnitParser parser(max_kept);
    std::optional<std::string> error;
    bool ended = false;
    const std::size_t consumed = framer.feed(unit, [&](const StreamEvent& event) {
        if (error) return;
        if (ended) {
            error = "more than one response";
        } else if (event.kind == StreamEvent::Kind::Error) {
            error = event.error;
        } else if (event.kind == StreamEvent::Kind::LineSegment) {
            parser.segment(event.bytes);
            ended = event.ends_unit;
        } else {
            parser.literal(event.bytes);
        }
    });
    if (!error && (consumed != unit.size() || !ended)) error = "the response is incomplete";
    Result<ResponseUnit> result = parser.finish();
    if (error) return make_error("unreadable IMAP response: " + *error);
    return result;
}

}  // namespace mb::protocol::imap
