// Proxy-Authenticate parsing: a cursor over one header value. After a scheme, "name=" starts an
// auth-param list; anything else is a token68. After a comma, "name=value" continues the current
// challenge's parameters and a bare token starts the next challenge.
#include "protocol/http/proxy_challenge.h"

#include "protocol/http/token_syntax.h"

namespace mb::protocol::http {

bool Challenge::is(std::string_view scheme_name) const {
    return equals_ignoring_case(scheme, scheme_name);
}

std::optional<std::string_view> Challenge::param(std::string_view name) const {
    for (const auto& p : params)
        if (equals_ignoring_case(p.name, name)) return std::string_view(p.value);
    return std::nullopt;
}

namespace {

class ChallengeReader {
  public:
    ChallengeReader(std::string_view text, std::vector<Challenge>& out) : text_(text), out_(out) {}

    Result<void> read_all() {
        while (true) {
            skip_list_separators();
            if (at_end()) return {};
            if (out_.size() >= kMaxChallenges)
                return make_error("more than " + std::to_string(kMaxChallenges) + " challenges");
            if (auto read = read_challenge(); !read) return read;
        }
    }

  private:
    bool at_end() const { return pos_ >= text_.size(); }
    char peek(std::size_t ahead = 0) const {
        return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
    }
    void skip_whitespace() {
        while (!at_end() && (peek() == ' ' || peek() == '\t')) ++pos_;
    }
    void skip_list_separators() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == ',')) ++pos_;
    }
    std::string_view read_token() {
        auto start = pos_;
        while (!at_end() && is_token_char(peek())) ++pos_;
        return text_.substr(start, pos_ - start);
    }

    // At pos_: token BWS "=" BWS followed by a value (not the end, a comma or more "=").
    bool param_follows() const {
        auto p = pos_;
        auto start = p;
        while (p < text_.size() && is_token_char(text_[p])) ++p;
        if (p == start) return false;
        while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t')) ++p;
        if (p >= text_.size() || text_[p] != '=') return false;
        ++p;
        while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t')) ++p;
        return p < text_.size() && text_[p] != ',' && text_[p] != '=';
    }

    Result<void> read_challenge() {
        Challenge challenge;
        challenge.scheme = std::string(read_token());
        if (challenge.scheme.empty()) return make_error("malformed challenge (expected a scheme)");
        const bool separated = peek() == ' ' || peek() == '\t';
        skip_whitespace();
        if (!at_end() && peek() != ',') {
            if (!separated) return make_error("malformed challenge (no space after the scheme)");
            if (param_follows()) {
                if (auto read = read_params(challenge); !read) return read;
            } else if (auto read = read_token68(challenge); !read) {
                return read;
            }
        }
        out_.push_back(std::move(challenge));
        return {};
    }

    Result<void> read_token68(Challenge& challenge) {
        auto start = pos_;
        while (!at_end() && is_token68_char(peek())) ++pos_;
        if (pos_ == start) return make_error("malformed challenge (bad token68)");
        while (!at_end() && peek() == '=') ++pos_;
        challenge.token68 = std::string(text_.substr(start, pos_ - start));
        skip_whitespace();
        if (!at_end() && peek() != ',') return make_error("malformed challenge (bad token68)");
        return {};
    }

    Result<void> read_params(Challenge& challenge) {
        while (true) {
            if (challenge.params.size() >= kMaxChallengeParams)
                return make_error("more than " + std::to_string(kMaxChallengeParams) +
                                  " parameters in one challenge");
            AuthParam param;
            param.name = to_lower(read_token());
            skip_whitespace();
            ++pos_;  // '=' (param_follows checked it)
            skip_whitespace();
            if (peek() == '"') {
                auto value = read_quoted();
                if (!value) return value.error();
                param.value = std::move(value).value();
            } else {
                auto value = read_token();
                if (value.empty()) return make_error("malformed auth-param value");
                param.value = std::string(value);
            }
            if (challenge.param(param.name))
                return make_error("auth-param \"" + param.name + "\" repeated in one challenge");
            challenge.params.push_back(std::move(param));
            skip_whitespace();
            if (at_end()) return {};
            if (peek() != ',') return make_error("malformed challenge (expected a comma)");
            skip_list_separators();
            if (at_end() || !param_follows()) return {};  // the next challenge, if any
        }
    }

    Result<std::string> read_quoted() {
        ++pos_;  // opening quote
        std::string value;
        while (!at_end()) {
            char c = text_[pos_++];
            if (c == '"') return value;
            if (c == '\\') {
                if (at_end()) break;
                c = text_[pos_++];
            }
            if (is_control(c) && c != '\t')
                return make_error("control character in a quoted string");
            value.push_back(c);
        }
        return make_error("unterminated quoted string in a challenge");
    }

    std::string_view text_;
    std::vector<Challenge>& out_;
    std::size_t pos_ = 0;
};

}  // namespace

Result<std::vector<Challenge>> parse_challenges(const std::vector<std::string_view>& values) {
    std::vector<Challenge> challenges;
    for (auto value : values) {
        ChallengeReader reader(value, challenges);
        if (auto read = reader.read_all(); !read) {
            return make_error("malformed Proxy-Authenticate header: " + read.error().message);
        }
    }
    return challenges;
}

}  // namespace mb::protocol::http
