// SMTP reply line parsing and multi-line assembly.
#include "protocol/smtp/reply_parser.h"

#include "protocol/smtp/limits.h"
#include "protocol/smtp/syntax.h"

namespace mb::protocol::smtp {

namespace {
std::size_t digit_run(std::string_view text, std::size_t from) {
    std::size_t end = from;
    while (end < text.size() && is_digit(text[end])) ++end;
    return end - from;
}
}  // namespace

Result<ReplyLine> parse_reply_line(std::string_view line) {
    if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]))
        return make_error("SMTP reply line does not start with a three-digit code");
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (code < 200 || code > 599)
        return make_error("SMTP reply code " + std::string(line.substr(0, 3)) +
                          " is outside 200-599");
    if (line.size() == 3) return ReplyLine{code, true, {}};
    if (line[3] != ' ' && line[3] != '-')
        return make_error("SMTP reply code must be followed by a space, a hyphen or the line end");
    return ReplyLine{code, line[3] == ' ', line.substr(4)};
}

std::optional<std::string_view> enhanced_code_prefix(std::string_view text) {
    if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.')
        return std::nullopt;
    const std::size_t subject = digit_run(text, 2);
    if (subject == 0 || subject > 3 || 2 + subject >= text.size() || text[2 + subject] != '.')
        return std::nullopt;
    const std::size_t detail_at = 3 + subject;
    const std::size_t detail = digit_run(text, detail_at);
    const std::size_t end = detail_at + detail;
    if (detail == 0 || detail > 3 || (end < text.size() && text[end] != ' ')) return std::nullopt;
    return text.substr(0, end);
}

std::string Reply::text() const {
    std::string out;
    for (const std::string& line : lines) {
        std::string_view part = line;
        if (auto prefix = enhanced_code_prefix(part)) {
            part.remove_prefix(prefix->size());
            if (!part.empty()) part.remove_prefix(1);
        }
        if (part.empty()) continue;
        if (!out.empty()) out.push_back(' ');
        out.append(part);
    }
    return out;
}

ReplyAssembler::Outcome ReplyAssembler::add_line(std::string_view line) {
    if (!in_reply_) {
        reply_ = Reply{};
        bytes_ = 0;
    }
    auto parsed = parse_reply_line(line);
    Outcome failure{Status::Error, {}};
    if (!parsed) {
        failure.error = parsed.error().message;
    } else if (in_reply_ && parsed->code != reply_.code) {
        failure.error = "SMTP multi-line reply changes its code from " +
                        std::to_string(reply_.code) + " to " + std::to_string(parsed->code);
    } else if (reply_.lines.size() == limits::kMaxReplyLines ||
               bytes_ + parsed->text.size() > limits::kMaxReplyBytes) {
        failure.error = "SMTP multi-line reply is longer than the bridge accepts";
    }
    if (!failure.error.empty()) {
        in_reply_ = false;
        reply_ = Reply{};
        return failure;
    }
    if (!in_reply_) {
        reply_.code = parsed->code;
        auto code = enhanced_code_prefix(parsed->text);
        if (code && (*code)[0] == static_cast<char>('0' + parsed->code / 100))
            reply_.enhanced = std::string(*code);
    }
    reply_.lines.emplace_back(parsed->text);
    bytes_ += parsed->text.size();
    in_reply_ = !parsed->last;
    return {in_reply_ ? Status::NeedMore : Status::Complete, {}};
}

}  // namespace mb::protocol::smtp
