// What the bridge knows about OAuth2 providers: endpoints and default scopes for Microsoft (per
// national cloud and tenant) and Google, by flow and mail protocol. Generic providers have none
// (explicit endpoints or OpenID discovery). Pure; the bridge maps its config enums onto these.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"

namespace mb::protocol::oauth {

enum class ProviderKind { microsoft, google, generic };
enum class CloudKind { global, usgov, china };
enum class GrantFlow { client_credentials, authorization_code, device_code };
enum class MailProtocol { imap, pop3, smtp };

struct ProviderEndpoints {
    std::string authorization;
    std::string token;
    std::string device_authorization;
};

// login.microsoftonline.com | login.microsoftonline.us | login.chinacloudapi.cn
std::string_view microsoft_login_host(CloudKind cloud);
// outlook.office365.com | outlook.office365.us | partner.outlook.cn
std::string_view microsoft_mail_host(CloudKind cloud);

// https://LOGIN/TENANT/oauth2/v2.0/{authorize,token,devicecode}. The tenant (a GUID, a domain,
// "organizations" or "common") must be non-empty and made of letters, digits, '.', '-', '_'.
Result<ProviderEndpoints> microsoft_endpoints(CloudKind cloud, std::string_view tenant);
ProviderEndpoints google_endpoints();

// Default scopes when the account lists none. Microsoft delegated flows: the AccessAsUser/Send
// scope of each protocol (all three when `protocols` is empty) plus offline_access; Microsoft
// client_credentials: https://HOST/.default; Google: https://mail.google.com/; generic: none.
std::vector<std::string> default_scopes(ProviderKind provider, CloudKind cloud, GrantFlow flow,
                                        std::span<const MailProtocol> protocols = {});

}  // namespace mb::protocol::oauth
