// Worker-pool verification and the verdict cache of LocalPasswordChecker.
#include "bridge/session/local_password_checker.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "bridge/config/secret_resolver.h"
#include "bridge/session/local_password.h"
#include "bridge/session/local_password_table.h"

namespace mb::session {

namespace {
constexpr std::size_t kMaxRemembered = 100000;
}

struct LocalPasswordChecker::Pending {
    Done done;
};

struct LocalPasswordChecker::Job {
    uv_work_t req{};
    std::weak_ptr<LocalPasswordChecker*> owner;
    std::weak_ptr<Pending> pending;
    config::SecretSource source;
    config::SecretSource per_login;  // local_passwords of a "*@domain" account
    std::string login;
    Secret password;
    std::string key;
    unsigned generation = 0;
    Result<bool> verdict = false;
};

LocalPasswordChecker::LocalPasswordChecker(uv_loop_t* loop)
    : loop_(loop), self_(std::make_shared<LocalPasswordChecker*>(this)) {}

LocalPasswordChecker::~LocalPasswordChecker() {
    *self_ = nullptr;
}

std::string LocalPasswordChecker::cache_key(const config::AccountSettings& account,
                                            const std::string& login,
                                            const Secret& password) const {
    std::string material = account.name + '\0' + login + '\0' + password.reveal();
    for (const auto* source : {&account.local_password, &account.local_passwords}) {
        material += '\0' + std::to_string(static_cast<int>(source->kind)) + '\0' + source->literal +
                    '\0' + source->env_name + '\0' + source->file.string();
        for (const auto& arg : source->command) material += '\0' + arg;
    }
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(material.data()), material.size(), digest);
    OPENSSL_cleanse(material.data(), material.size());
    return std::string(reinterpret_cast<char*>(digest), sizeof digest);
}

LocalPasswordChecker::Check LocalPasswordChecker::check(const config::AccountSettings& account,
                                                        const std::string& login,
                                                        const Secret& password, Done done) {
    auto pending = std::make_shared<Pending>(Pending{std::move(done)});
    auto* job = new Job;
    job->req.data = job;
    job->owner = self_;
    job->pending = pending;
    job->source = account.local_password;
    job->per_login = account.local_passwords;
    job->login = login;
    job->password = password;
    job->key = cache_key(account, login, password);
    job->generation = generation_;
    if (verified_.count(job->key)) {
        job->verdict = true;
        job->source = {};  // nothing to do on the worker: the verdict is known
        job->per_login = {};
    }
    if (uv_queue_work(loop_, &job->req, &LocalPasswordChecker::work,
                      &LocalPasswordChecker::after) != 0) {
        work(&job->req);
        after(&job->req, 0);
    }
    return pending;
}

void LocalPasswordChecker::work(uv_work_t* req) {
    auto* job = static_cast<Job*>(req->data);
    using Kind = config::SecretSource::Kind;
    if (!job->per_login.empty()) {
        auto table = config::resolve_secret(job->per_login);
        if (!table) {
            job->verdict = make_error("cannot read local_passwords: " + table.error().message);
            return;
        }
        auto hash = find_login_hash(table->reveal(), job->login);
        if (!hash) {
            job->verdict = make_error("local_passwords: " + hash.error().message);
            return;
        }
        if (!hash->empty()) {
            job->verdict = verify_local_password(hash->reveal(), job->password);
            return;
        }
        // Not listed: the account's local_password (if any) decides.
    }
    switch (job->source.kind) {
        case Kind::none:
            break;  // verdict already set (cached), or no password configured
        case Kind::hash:
            job->verdict = verify_local_password(job->source.literal, job->password);
            break;
        default: {
            auto expected = config::resolve_secret(job->source);
            if (!expected) {
                job->verdict =
                    make_error("cannot read local_password: " + expected.error().message);
                break;
            }
            job->verdict = equal_secrets_constant_time(*expected, job->password);
        }
    }
}

void LocalPasswordChecker::after(uv_work_t* req, int) {
    std::unique_ptr<Job> job(static_cast<Job*>(req->data));
    auto owner = job->owner.lock();
    if (!owner || !*owner) return;
    LocalPasswordChecker* self = *owner;
    if (job->verdict.ok() && *job->verdict && job->generation == self->generation_ &&
        self->verified_.size() < kMaxRemembered)
        self->verified_.insert(job->key);
    auto pending = job->pending.lock();
    if (!pending || !pending->done) return;
    auto done = std::move(pending->done);
    done(std::move(job->verdict));
}

}  // namespace mb::session
