// Secret: a password, token or key that refuses to be formatted. It has no operator<< and no
// fmt formatter, so a log call cannot print one; reveal() is the only way to read the bytes.
#pragma once

#include <openssl/crypto.h>

#include <string>
#include <utility>

namespace mb {

class Secret {
  public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    Secret(const Secret&) = default;
    Secret& operator=(const Secret&) = default;
    Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
    Secret& operator=(Secret&& other) noexcept {
        if (this != &other) {
            wipe();
            value_ = std::move(other.value_);
            other.wipe();
        }
        return *this;
    }
    ~Secret() { wipe(); }

    const std::string& reveal() const { return value_; }
    bool empty() const { return value_.empty(); }
    bool operator==(const Secret& other) const { return value_ == other.value_; }

  private:
    void wipe() {
        if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
        value_.clear();
    }
    std::string value_;
};

}  // namespace mb
