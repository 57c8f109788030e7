// Builds the text of `mailbridge version` from the libraries' own version calls.
#include "bridge/cli/version_command.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <uv.h>

#include "bridge/version.h"

namespace mb::cli {

std::string version_text() {
    std::string text = "mailbridge " MAILBRIDGE_VERSION "\n";
    text += std::string("libuv ") + uv_version_string() + "\n";
    text += std::string(OpenSSL_version(OPENSSL_VERSION)) + "\n";
    text += std::string("SQLite ") + sqlite3_libversion() + "\n";
    text += std::string("libcurl ") + curl_version_info(CURLVERSION_NOW)->version + "\n";
    return text;
}

}  // namespace mb::cli
