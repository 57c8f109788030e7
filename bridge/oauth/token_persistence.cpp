// TokenPersistence (see token_persistence.h): each job reads or writes the store on the worker
// and hands its result to `done` on the loop.
#include "bridge/oauth/token_persistence.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace mb::oauth {

TokenPersistence::TokenPersistence(uv_loop_t* loop, std::filesystem::path state_dir,
                                   config::SecretSource token_key, SecretResolver resolve_secret)
    : worker_(loop, std::move(state_dir), std::move(token_key), std::move(resolve_secret)) {}

void TokenPersistence::load_all(std::function<void(Result<std::vector<store::StoredToken>>)> done) {
    auto rows = std::make_shared<Result<std::vector<store::StoredToken>>>(
        make_error("the token store was not read"));
    worker_.post(
        [rows](Result<store::TokenStore*> store) {
            if (!store) {
                *rows = store.error();
                return;
            }
            *rows = (*store)->load_all();
        },
        [rows, done = std::move(done)] { done(std::move(*rows)); });
}

void TokenPersistence::read(std::string account, std::string login,
                            std::function<void(Result<std::optional<store::StoredToken>>)> done) {
    auto row = std::make_shared<Result<std::optional<store::StoredToken>>>(
        make_error("the token store was not read"));
    worker_.post(
        [row, account = std::move(account),
         login = std::move(login)](Result<store::TokenStore*> store) {
            if (!store) {
                *row = store.error();
                return;
            }
            *row = (*store)->get(account, login);
        },
        [row, done = std::move(done)] { done(std::move(*row)); });
}

void TokenPersistence::save(store::StoredToken row, std::function<void(Result<void>)> done) {
    auto saved = std::make_shared<Result<void>>(make_error("the token store was not written"));
    worker_.post(
        [saved, row = std::move(row)](Result<store::TokenStore*> store) {
            *saved = store ? (*store)->put(row) : Result<void>(store.error());
        },
        [saved, done = std::move(done)] { done(std::move(*saved)); });
}

void TokenPersistence::record_refusal(std::string account, std::string login, Secret used,
                                      std::string text) {
    worker_.post(
        [account = std::move(account), login = std::move(login), used = std::move(used),
         text = std::move(text)](Result<store::TokenStore*> store) {
            if (store) (void)(*store)->record_refusal(account, login, used, text);
        },
        nullptr);
}

std::optional<StoredAccess> stored_access(const store::StoredToken& row, const Secret& rejected,
                                          std::chrono::steady_clock::time_point now,
                                          std::chrono::system_clock::time_point system_now) {
    if (row.access_token.empty() || !row.expires_at || row.access_token == rejected)
        return std::nullopt;
    const auto left = *row.expires_at - system_now;
    if (left <= std::chrono::seconds(1)) return std::nullopt;
    StoredAccess access;
    access.lifetime = std::max(
        std::chrono::duration_cast<std::chrono::seconds>(*row.expires_at - row.obtained_at),
        std::chrono::seconds(1));
    access.token.value = row.access_token;
    access.token.origin = TokenOrigin::stored;
    access.token.expires_at =
        now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(left);
    access.token.valid_until = *row.expires_at;
    access.until_refresh = refresh_delay(access.lifetime) -
                           std::chrono::duration_cast<Millis>(system_now - row.obtained_at);
    return access;
}

}  // namespace mb::oauth
