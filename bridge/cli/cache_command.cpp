// The `cache` command: open the cache file (never creating it), read one account's rows, print
// them in aligned columns with every value made terminal-safe.
#include "bridge/cli/cache_command.h"

#include <cstdio>
#include <iostream>
#include <vector>

#include "bridge/cli/exit_codes.h"
#include "bridge/config/config_loader.h"
#include "store/cache_store.h"

namespace mb::cli {
namespace {

std::string hex_escape(unsigned char byte) {
    char out[5];
    std::snprintf(out, sizeof out, "\\x%02X", byte);
    return out;
}

// Length of the valid UTF-8 sequence at `text[pos]` (0 when invalid), and its code point.
std::size_t utf8_sequence(std::string_view text, std::size_t pos, char32_t& code) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
    unsigned char lead = byte(0);
    std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
    if (length == 0 || lead > 0xF4 || pos + length > text.size()) return 0;
    code = lead & (0x7F >> length);
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(i) & 0xC0) != 0x80) return 0;
        code = (code << 6) | (byte(i) & 0x3F);
    }
    if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10FFFF)) ||
        (code >= 0xD800 && code <= 0xDFFF))
        return 0;
    return length;
}

std::string text_or_dash(const std::optional<std::string>& value) {
    return value ? terminal_safe(*value) : "-";
}

template <typename T>
std::string number_or_dash(const std::optional<T>& value) {
    return value ? std::to_string(*value) : "-";
}

// Display width: one column per code point (good enough for aligning ASCII-heavy columns).
std::size_t width(std::string_view text) {
    std::size_t columns = 0;
    for (unsigned char c : text)
        if ((c & 0xC0) != 0x80) ++columns;
    return columns;
}

void print_table(const std::vector<std::vector<std::string>>& rows, std::string_view indent) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        if (widths.size() < row.size()) widths.resize(row.size(), 0);
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
    }
    for (const auto& row : rows) {
        std::string line(indent);
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(widths[i] - width(row[i]) + 2, ' ');
        }
        std::cout << line << "\n";
    }
}

int list_mailboxes(store::CacheStore& cache, const store::Owner& owner) {
    auto mailboxes = cache.mailboxes(owner);
    if (!mailboxes) {
        std::cerr << "cache: cannot read the mailboxes of " << terminal_safe(owner.login) << ": "
                  << mailboxes.error().message << "\n";
        return kExitRuntimeFailure;
    }
    std::cout << "account " << terminal_safe(owner.account) << ", login "
              << terminal_safe(owner.login) << ": " << mailboxes->size() << " mailbox(es)\n";
    std::vector<std::vector<std::string>> rows = {
        {"MAILBOX", "MESSAGES", "UIDVALIDITY", "UIDNEXT", "STALE"}};
    for (const auto& m : *mailboxes)
        rows.push_back({terminal_safe(m.name), std::to_string(m.messages),
                        number_or_dash(m.uidvalidity), number_or_dash(m.uidnext),
                        m.stale ? "yes" : "no"});
    print_table(rows, "  ");
    return kExitOk;
}

int list_messages(store::CacheStore& cache, const store::Owner& owner, const std::string& mailbox) {
    auto messages = cache.messages(owner, mailbox);
    if (!messages) {
        std::cerr << "cache: cannot read " << terminal_safe(mailbox) << " of "
                  << terminal_safe(owner.login) << ": " << messages.error().message << "\n";
        return kExitRuntimeFailure;
    }
    std::cout << "account " << terminal_safe(owner.account) << ", login "
              << terminal_safe(owner.login) << ", mailbox " << terminal_safe(mailbox) << ": "
              << messages->size() << " message(s)\n";
    std::vector<std::vector<std::string>> rows = {
        {"UID", "FLAGS", "SIZE", "INTERNALDATE", "FROM", "SUBJECT"}};
    for (const auto& m : *messages)
        rows.push_back({std::to_string(m.uid), m.flags ? "(" + terminal_safe(*m.flags) + ")" : "-",
                        number_or_dash(m.rfc822_size), text_or_dash(m.internal_date),
                        text_or_dash(m.from), text_or_dash(m.subject)});
    print_table(rows, "  ");
    return kExitOk;
}

}  // namespace

std::string terminal_safe(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        auto c = static_cast<unsigned char>(text[pos]);
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F)
                out += hex_escape(c);
            else if (c == '\\')
                out += "\\\\";
            else
                out.push_back(static_cast<char>(c));
            ++pos;
            continue;
        }
        char32_t code = 0;
        std::size_t length = utf8_sequence(text, pos, code);
        if (length == 0) {
            out += hex_escape(c);
            ++pos;
        } else if (code < 0xA0 || code == 0x2028 || code == 0x2029 ||
                   (code >= 0x202A && code <= 0x202E) || (code >= 0x2066 && code <= 0x2069)) {
            // C1 controls, line separators and bidirectional overrides.
            char escaped[9];
            std::snprintf(escaped, sizeof escaped, "\\u%04X", static_cast<unsigned>(code));
            out += escaped;
            pos += length;
        } else {
            out.append(text.substr(pos, length));
            pos += length;
        }
    }
    return out;
}

int cache_command(const std::filesystem::path& config_path, const std::string& account,
                  const std::optional<std::string>& mailbox,
                  const std::optional<std::string>& login) {
    auto loaded = config::load_config_file(config_path);
    if (!loaded.config) {
        for (const auto& problem : loaded.problems) std::cerr << problem.to_string() << "\n";
        std::cerr << "cache: fix the configuration first (mailbridge check-config --config "
                  << config_path.string() << ")\n";
        return kExitUsage;
    }
    const config::Config& config = *loaded.config;
    bool known = false;
    for (const auto& settings : config.accounts) known = known || settings.name == account;
    if (!known) {
        std::cerr << "cache: no account named \"" << terminal_safe(account) << "\" in "
                  << config_path.string() << "; the accounts are:";
        for (const auto& settings : config.accounts) std::cerr << " " << settings.name;
        std::cerr << "\n";
        return kExitUsage;
    }
    const std::filesystem::path file = config.daemon.state_dir / "cache.sqlite";
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        std::cerr << "cache: there is no metadata cache yet (" << file.string()
                  << " does not exist); the daemon creates it when it first runs\n";
        return kExitRuntimeFailure;
    }
    // Read-only: never migrates, rewrites or moves aside the running daemon's file.
    auto cache = store::CacheStore::open_read_only(file);
    if (!cache) {
        std::cerr << "cache: cannot open " << file.string() << ": " << cache.error().message
                  << "\n";
        return kExitRuntimeFailure;
    }
    for (const auto& notice : cache->database().notices()) std::cerr << "cache: " << notice << "\n";
    std::vector<std::string> logins;
    if (login) {
        logins.push_back(*login);
    } else {
        auto stored = cache->logins(account);
        if (!stored) {
            std::cerr << "cache: cannot read the logins of " << terminal_safe(account) << ": "
                      << stored.error().message << "\n";
            return kExitRuntimeFailure;
        }
        logins = std::move(*stored);
    }
    if (logins.empty())
        std::cout << "account " << terminal_safe(account) << ": nothing cached yet\n";
    for (const auto& user : logins) {
        store::Owner owner{account, user};
        int status =
            mailbox ? list_messages(*cache, owner, *mailbox) : list_mailboxes(*cache, owner);
        if (status != kExitOk) return status;
    }
    return kExitOk;
}

}  // namespace mb::cli
