// The TokenManager's side of the token store (tokens.sqlite): typed jobs on a TokenStoreWorker
// (every row at start, one row, a new token saved, a refused refresh token recorded), and the
// rule that turns a stored row back into a token that may be handed out.
// Owned by the TokenManager; a job's `done` runs on the loop, never after this object is gone.
#pragma once

#include <uv.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bridge/config/config_model.h"
#include "bridge/oauth/access_token.h"
#include "bridge/oauth/secret_cache.h"
#include "bridge/oauth/token_store_worker.h"
#include "bridge/oauth/token_timing.h"
#include "protocol/result.h"
#include "store/token_store.h"

namespace mb::oauth {

class TokenPersistence {
  public:
    TokenPersistence(uv_loop_t* loop, std::filesystem::path state_dir,
                     config::SecretSource token_key, SecretResolver resolve_secret);

    void load_all(std::function<void(Result<std::vector<store::StoredToken>>)> done);
    void read(std::string account, std::string login,
              std::function<void(Result<std::optional<store::StoredToken>>)> done);
    void save(store::StoredToken row, std::function<void(Result<void>)> done);
    // The refresh token `used` was refused: the row forgets it and keeps `text` as its error.
    void record_refusal(std::string account, std::string login, Secret used, std::string text);

  private:
    TokenStoreWorker worker_;
};

struct StoredAccess {
    AccessToken token;  // origin: stored
    std::chrono::seconds lifetime{0};
    Millis until_refresh{0};  // when to refresh ahead, counted from `now` (may be negative)
};

// The row's access token, unless it has none, is not valid for more than another second, or is
// `rejected` (the one upstream refused last).
std::optional<StoredAccess> stored_access(const store::StoredToken& row, const Secret& rejected,
                                          std::chrono::steady_clock::time_point now,
                                          std::chrono::system_clock::time_point system_now);

}  // namespace mb::oauth
