// Envelope parser: a recursive-descent reader over the complete ENVELOPE bytes (bounded by the
// caller), with strings copied out byte for byte.
#include "protocol/imap/envelope.h"

#include <cstdint>

#include "protocol/imap/syntax.h"

namespace mb::protocol::imap {

namespace {

constexpr std::size_t kMaxLiteralDigits = 10;

class EnvelopeReader {
  public:
    explicit EnvelopeReader(std::string_view raw) : raw_(raw) {}

    Result<Envelope> read() {
        Envelope envelope;
        skip_spaces();
        if (!take('(')) return fail("ENVELOPE does not start with '('");
        bool ok = read_nstring(envelope.date) && read_nstring(envelope.subject) &&
                  read_addresses(envelope.from) && read_addresses(envelope.sender) &&
                  read_addresses(envelope.reply_to) && read_addresses(envelope.to) &&
                  read_addresses(envelope.cc) && read_addresses(envelope.bcc) &&
                  read_nstring(envelope.in_reply_to) && read_nstring(envelope.message_id);
        if (!ok) return make_error(error_);
        skip_spaces();
        if (!take(')')) return fail("ENVELOPE has more than ten fields or is not closed");
        skip_spaces();
        if (pos_ != raw_.size()) return fail("bytes follow the ENVELOPE list");
        return envelope;
    }

  private:
    Error fail(std::string what) {
        return make_error("malformed ENVELOPE at byte " + std::to_string(pos_) + ": " + what);
    }
    bool failed(std::string what) {
        error_ = fail(std::move(what)).message;
        return false;
    }

    void skip_spaces() {
        while (pos_ < raw_.size() && raw_[pos_] == ' ') ++pos_;
    }
    bool take(char c) {
        if (pos_ < raw_.size() && raw_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    bool at_nil() const {
        if (!iequals(raw_.substr(pos_, 3), "NIL")) return false;
        return pos_ + 3 == raw_.size() || raw_[pos_ + 3] == ' ' || raw_[pos_ + 3] == ')' ||
               raw_[pos_ + 3] == '(';
    }

    bool read_nstring(std::optional<std::string>& out) {
        skip_spaces();
        if (at_nil()) {
            pos_ += 3;
            out.reset();
            return true;
        }
        std::string value;
        if (!read_string(value)) return false;
        out = std::move(value);
        return true;
    }

    bool read_string(std::string& out) {
        if (take('"')) return read_quoted(out);
        if (pos_ < raw_.size() && (raw_[pos_] == '{' || raw_[pos_] == '~'))
            return read_literal(out);
        return failed("expected a string or NIL");
    }

    bool read_quoted(std::string& out) {
        while (pos_ < raw_.size()) {
            const char c = raw_[pos_++];
            if (c == '"') return true;
            if (c == '\r' || c == '\n') return failed("quoted string contains CR or LF");
            if (c == '\\') {
                if (pos_ == raw_.size()) break;
                out.push_back(raw_[pos_++]);
                continue;
            }
            out.push_back(c);
        }
        return failed("quoted string is not closed");
    }

    bool read_literal(std::string& out) {
        take('~');
        if (!take('{')) return failed("expected '{' of a literal");
        std::uint64_t size = 0;
        std::size_t digits = 0;
        while (pos_ < raw_.size() && raw_[pos_] >= '0' && raw_[pos_] <= '9') {
            if (++digits > kMaxLiteralDigits) return failed("literal size has too many digits");
            size = size * 10 + static_cast<std::uint64_t>(raw_[pos_++] - '0');
        }
        if (digits == 0) return failed("literal size has no digits");
        take('+');
        if (!take('}') || !take('\r') || !take('\n'))
            return failed("literal announcement is not \"{n}\" followed by CRLF");
        if (size > raw_.size() - pos_) return failed("literal is shorter than announced");
        out.assign(raw_.substr(pos_, static_cast<std::size_t>(size)));
        pos_ += static_cast<std::size_t>(size);
        return true;
    }

    bool read_addresses(std::vector<Address>& out) {
        skip_spaces();
        if (at_nil()) {
            pos_ += 3;
            return true;
        }
        if (!take('(')) return failed("expected an address list or NIL");
        for (;;) {
            skip_spaces();
            if (take(')')) return true;
            if (!take('(')) return failed("expected '(' of an address");
            Address address;
            if (!read_nstring(address.name) || !read_nstring(address.adl) ||
                !read_nstring(address.mailbox) || !read_nstring(address.host))
                return false;
            skip_spaces();
            if (!take(')')) return failed("address does not have exactly four fields");
            out.push_back(std::move(address));
        }
    }

    std::string_view raw_;
    std::size_t pos_ = 0;
    std::string error_;
};

}  // namespace

Result<Envelope> parse_envelope(std::string_view raw) {
    return EnvelopeReader(raw).read();
}

std::string format_addresses(const std::vector<Address>& addresses) {
    std::string out;
    for (const Address& address : addresses) {
        const bool group_end = !address.mailbox && !address.host;
        if (!out.empty() && !group_end) out.append(out.back() == ':' ? " " : ", ");
        if (group_end) {
            out.push_back(';');
            continue;
        }
        if (!address.host) {
            out.append(address.mailbox.value_or(""));
            out.push_back(':');
            continue;
        }
        const std::string spec = address.mailbox.value_or("") + "@" + *address.host;
        if (address.name && !address.name->empty())
            out.append(*address.name).append(" <").append(spec).append(">");
        else
            out.append(spec);
    }
    return out;
}

}  // namespace mb::protocol::imap
