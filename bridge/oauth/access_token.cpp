// Names of the token values (see access_token.h), for logs, /readyz and metrics labels.
#include "bridge/oauth/access_token.h"

namespace mb::oauth {

std::string_view to_string(TokenState state) {
    switch (state) {
        case TokenState::unknown:
            return "unknown";
        case TokenState::valid:
            return "valid";
        case TokenState::needs_authorization:
            return "needs_authorization";
        case TokenState::failing:
            return "failing";
    }
    return "unknown";
}

std::string_view to_string(TokenOrigin origin) {
    switch (origin) {
        case TokenOrigin::stored:
            return "from the token store";
        case TokenOrigin::refreshed:
            return "refreshed";
        case TokenOrigin::obtained:
            return "obtained";
    }
    return "obtained";
}

std::string_view to_string(RefreshResult result) {
    switch (result) {
        case RefreshResult::success:
            return "success";
        case RefreshResult::transient_error:
            return "transient_error";
        case RefreshResult::permanent_error:
            return "permanent_error";
    }
    return "permanent_error";
}

}  // namespace mb::oauth
