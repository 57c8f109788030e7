// Builders for the responses the bridge sends its local POP3 clients itself (greeting, answers to
// the commands it handles before login, refusals). Each returns the bytes to write, CRLF
// included. Text is made safe for one line (CR, LF and NUL become spaces).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mb::protocol::pop3 {

// RFC 2449 / RFC 3206 extended response codes the bridge uses.
enum class ResponseCode {
    None,
    Auth,     // [AUTH]: the credentials were refused
    SysTemp,  // [SYS/TEMP]: a temporary failure (upstream unreachable, token unavailable)
    SysPerm,  // [SYS/PERM]: a permanent failure that retrying will not fix
    InUse     // [IN-USE]: the mailbox is locked by another session
};

std::string_view response_code_name(ResponseCode code);  // "AUTH", "SYS/TEMP", …; "" for None

// "+OK <text>\r\n" ("+OK\r\n" when empty)
std::string ok_response(std::string_view text);
// "-ERR [<code>] <text>\r\n" (without the brackets for ResponseCode::None)
std::string err_response(ResponseCode code, std::string_view text);
// "+ <payload>\r\n" ("+ \r\n" when empty): a SASL continuation.
std::string sasl_continuation(std::string_view payload_base64);

// A multi-line +OK response: "+OK <status_text>\r\n", each line (dot-stuffed), ".\r\n".
std::string multiline_response(std::string_view status_text,
                               const std::vector<std::string_view>& lines);

struct PreAuthOffer {
    bool stls = false;  // the local connection can still be upgraded
    bool login = true;  // credentials are taken now (false on a STARTTLS listener before TLS)
};

// What the bridge advertises before login: USER and SASL PLAIN while login is offered, then
// RESP-CODES, AUTH-RESP-CODE, and STLS while the local connection can still be upgraded.
std::vector<std::string_view> pre_auth_capabilities(PreAuthOffer offer);

// The CAPA answer for a capability list.
std::string capa_response(const std::vector<std::string_view>& capabilities);

// The answer to a bare "AUTH": the mechanisms the bridge takes (PLAIN), as a multi-line list.
std::string auth_mechanisms_response();

}  // namespace mb::protocol::pop3
