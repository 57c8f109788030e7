// Login → account lookup (exact, then "*@domain") for AccountDirectory.
#include "bridge/session/account_directory.h"

#include <algorithm>
#include <cctype>

namespace mb::session {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

}  // namespace

AccountDirectory::AccountDirectory(const config::Config& config) {
    for (const auto& account : config.accounts) {
        if (account.login.rfind("*@", 0) == 0)
            domains_.push_back(&account);
        else
            exact_.push_back(&account);
    }
}

const config::AccountSettings* AccountDirectory::find(std::string_view login) const {
    for (const auto* account : exact_)
        if (iequals(account->login, login)) return account;
    size_t at = login.rfind('@');
    if (at == std::string_view::npos || at == 0) return nullptr;
    std::string_view domain = login.substr(at + 1);
    for (const auto* account : domains_)
        if (iequals(std::string_view(account->login).substr(2), domain)) return account;
    return nullptr;
}

std::string AccountDirectory::upstream_identity(const config::AccountSettings& account,
                                                std::string_view login) {
    return account.upstream_user.empty() ? std::string(login) : account.upstream_user;
}

}  // namespace mb::session
