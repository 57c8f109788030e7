// OpenSSL error text: see openssl_error.h.
#include "bridge/net/openssl_error.h"

#include <openssl/err.h>

namespace mb::net {

std::string take_openssl_errors(const std::string& fallback) {
    std::string text;
    while (unsigned long code = ERR_get_error()) {
        const char* reason = ERR_reason_error_string(code);
        std::string piece;
        if (reason != nullptr) {
            piece = reason;
        } else {
            char buffer[256];
            ERR_error_string_n(code, buffer, sizeof buffer);
            piece = buffer;
        }
        if (text.find(piece) != std::string::npos) continue;
        if (!text.empty()) text += "; ";
        text += piece;
    }
    return text.empty() ? fallback : text;
}

}  // namespace mb::net
