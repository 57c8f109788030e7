// Provider endpoint and scope presets (see provider_presets.h).
#include "protocol/oauth/provider_presets.h"

#include <algorithm>
#include <cctype>

namespace mb::protocol::oauth {
namespace {

std::string_view microsoft_scope_name(MailProtocol protocol) {
    switch (protocol) {
        case MailProtocol::imap:
            return "IMAP.AccessAsUser.All";
        case MailProtocol::pop3:
            return "POP.AccessAsUser.All";
        case MailProtocol::smtp:
            return "SMTP.Send";
    }
    return "";
}

}  // namespace

std::string_view microsoft_login_host(CloudKind cloud) {
    switch (cloud) {
        case CloudKind::global:
            return "login.microsoftonline.com";
        case CloudKind::usgov:
            return "login.microsoftonline.us";
        case CloudKind::china:
            return "login.chinacloudapi.cn";
    }
    return "";
}

std::string_view microsoft_mail_host(CloudKind cloud) {
    switch (cloud) {
        case CloudKind::global:
            return "outlook.office365.com";
        case CloudKind::usgov:
            return "outlook.office365.us";
        case CloudKind::china:
            return "partner.outlook.cn";
    }
    return "";
}

Result<ProviderEndpoints> microsoft_endpoints(CloudKind cloud, std::string_view tenant) {
    if (tenant.empty())
        return make_error(
            "microsoft accounts need a tenant (the tenant id or domain, e.g. "
            "contoso.onmicrosoft.com)");
    if (!std::all_of(tenant.begin(), tenant.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '.' || c == '-' || c == '_';
        }))
        return make_error("tenant \"" + std::string(tenant.substr(0, 100)) +
                          "\" is not a tenant id or domain (letters, digits, '.', '-', '_')");
    std::string base =
        "https://" + std::string(microsoft_login_host(cloud)) + "/" + std::string(tenant);
    return ProviderEndpoints{base + "/oauth2/v2.0/authorize", base + "/oauth2/v2.0/token",
                             base + "/oauth2/v2.0/devicecode"};
}

ProviderEndpoints google_endpoints() {
    return {"https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token",
            "https://oauth2.googleapis.com/device/code"};
}

std::vector<std::string> default_scopes(ProviderKind provider, CloudKind cloud, GrantFlow flow,
                                        std::span<const MailProtocol> protocols) {
    switch (provider) {
        case ProviderKind::microsoft: {
            std::string host = "https://" + std::string(microsoft_mail_host(cloud)) + "/";
            if (flow == GrantFlow::client_credentials) return {host + ".default"};
            static constexpr MailProtocol kAll[] = {MailProtocol::imap, MailProtocol::pop3,
                                                    MailProtocol::smtp};
            if (protocols.empty()) protocols = kAll;
            std::vector<std::string> scopes;
            for (MailProtocol protocol : protocols) {
                std::string scope = host + std::string(microsoft_scope_name(protocol));
                if (std::find(scopes.begin(), scopes.end(), scope) == scopes.end())
                    scopes.push_back(std::move(scope));
            }
            scopes.push_back("offline_access");
            return scopes;
        }
        case ProviderKind::google:
            return {"https://mail.google.com/"};
        case ProviderKind::generic:
            return {};
    }
    return {};
}

}  // namespace mb::protocol::oauth
