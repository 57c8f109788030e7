// The nesting pre-scan (see toml_depth_guard.h). It skips strings and comments the way TOML
// defines them, so that dots and brackets inside them do not count.
#include "bridge/config/toml_depth_guard.h"

#include <vector>

namespace mb::config {
namespace {

class DepthScanner {
  public:
    DepthScanner(std::string_view text, int max_depth) : text_(text), max_depth_(max_depth) {}

    std::optional<SourcePos> scan() {
        while (i_ < text_.size()) {
            char c = text_[i_];
            if (c == '\n') {
                end_line();
            } else if (c == '#') {
                skip_to_line_end();
                continue;
            } else if (c == '"' || c == '\'') {
                skip_string(c);
                continue;
            } else if (c == '[' || c == '{') {
                if (c == '[' && at_line_start_ && brackets_ == 0) in_header_ = true;
                ++brackets_;
                enclosing_dots_ += key_dots_;
                open_dots_.push_back(key_dots_);
                key_dots_ = 0;
                dots_ = 0;
            } else if (c == ']' || c == '}') {
                if (brackets_ > 0) --brackets_;
                if (!open_dots_.empty()) {
                    enclosing_dots_ -= open_dots_.back();
                    open_dots_.pop_back();
                }
                key_dots_ = 0;
                dots_ = 0;
            } else if (c == '.') {
                ++dots_;
            } else if (c == '=') {
                key_dots_ = dots_;
                dots_ = 0;
            } else if (c == ',') {
                key_dots_ = 0;
                dots_ = 0;
            }
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') at_line_start_ = false;
            if (header_depth_ + brackets_ + enclosing_dots_ + key_dots_ + dots_ > max_depth_)
                return SourcePos{line_, column()};
            ++i_;
        }
        return std::nullopt;
    }

  private:
    int column() const { return static_cast<int>(i_ - line_begin_) + 1; }

    void end_line() {
        if (in_header_) header_depth_ = dots_ + 1;
        in_header_ = false;
        key_dots_ = 0;
        dots_ = 0;
        at_line_start_ = true;
        ++line_;
        line_begin_ = i_ + 1;
    }

    void skip_to_line_end() {
        while (i_ < text_.size() && text_[i_] != '\n') ++i_;
    }

    bool starts_with_at(std::size_t at, std::string_view what) const {
        return text_.substr(at).starts_with(what);
    }

    // At an opening quote: moves past the string (single-line strings also end at a newline, where
    // toml++ reports the error anyway).
    void skip_string(char quote) {
        at_line_start_ = false;
        const bool escapes = quote == '"';
        const std::string_view triple = escapes ? "\"\"\"" : "'''";
        if (starts_with_at(i_, triple)) {
            i_ += 3;
            while (i_ < text_.size() && !starts_with_at(i_, triple)) {
                if (escapes && text_[i_] == '\\') ++i_;
                if (i_ < text_.size() && text_[i_] == '\n') {
                    ++line_;
                    line_begin_ = i_ + 1;
                }
                ++i_;
            }
            i_ += 3;
            for (int extra = 0; extra < 2 && i_ < text_.size() && text_[i_] == quote; ++extra) ++i_;
            return;
        }
        ++i_;
        while (i_ < text_.size() && text_[i_] != quote && text_[i_] != '\n') {
            if (escapes && text_[i_] == '\\' && i_ + 1 < text_.size() && text_[i_ + 1] != '\n')
                ++i_;
            ++i_;
        }
        if (i_ < text_.size() && text_[i_] == quote) ++i_;
    }

    std::string_view text_;
    int max_depth_;
    std::size_t i_ = 0;
    int line_ = 1;
    std::size_t line_begin_ = 0;
    int brackets_ = 0;
    int dots_ = 0;                // dots in the key (or value) being scanned
    int key_dots_ = 0;            // dots in the key whose value is being scanned
    int enclosing_dots_ = 0;      // sum of open_dots_
    std::vector<int> open_dots_;  // dots of the keys whose inline table or array is open
    int header_depth_ = 0;
    bool in_header_ = false;
    bool at_line_start_ = true;
};

}  // namespace

std::optional<SourcePos> find_excessive_nesting(std::string_view text, int max_depth) {
    return DepthScanner(text, max_depth).scan();
}

}  // namespace mb::config
