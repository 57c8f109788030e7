// AccountDirectory: finds the [[account]] a client's login name belongs to — an exact login
// first, then a "*@domain" pattern — and the identity to present upstream for it.
// Holds pointers into one Config, which must outlive it (one directory per config generation).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bridge/config/config_model.h"

namespace mb::session {

class AccountDirectory {
  public:
    explicit AccountDirectory(const config::Config& config);

    // The account serving this login, or nullptr. Logins and domains compare case-insensitively.
    const config::AccountSettings* find(std::string_view login) const;

    // The SASL identity sent upstream: upstream_user when set, else the login itself.
    static std::string upstream_identity(const config::AccountSettings& account,
                                         std::string_view login);

  private:
    std::vector<const config::AccountSettings*> exact_;
    std::vector<const config::AccountSettings*> domains_;
};

}  // namespace mb::session
