// Parsing of the local_passwords table (see local_password_table.h).
#include "bridge/session/local_password_table.h"

#include <string>

namespace mb::session {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
        text.remove_suffix(1);
    return text;
}

bool same_login(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

}  // namespace

Result<Secret> find_login_hash(std::string_view table, std::string_view login) {
    std::size_t line_number = 0;
    while (!table.empty()) {
        ++line_number;
        const auto end = table.find('\n');
        std::string_view line = trim(table.substr(0, end));
        table.remove_prefix(end == std::string_view::npos ? table.size() : end + 1);
        if (line.empty() || line.front() == '#') continue;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0 || trim(line.substr(colon + 1)).empty())
            return make_error("line " + std::to_string(line_number) +
                              " is not \"login:hash\" (make the hash with `mailbridge "
                              "hash-password`)");
        if (same_login(trim(line.substr(0, colon)), login))
            return Secret(std::string(trim(line.substr(colon + 1))));
    }
    return Secret();
}

}  // namespace mb::session
