// Account → endpoint and scope mapping (see account_endpoints.h).
#include "bridge/oauth/account_endpoints.h"

#include "protocol/oauth/discovery.h"
#include "protocol/oauth/endpoint_url.h"
#include "protocol/oauth/provider_presets.h"

namespace mb::oauth {
namespace {

namespace po = protocol::oauth;

po::CloudKind cloud_kind(config::Cloud cloud) {
    switch (cloud) {
        case config::Cloud::global:
            return po::CloudKind::global;
        case config::Cloud::usgov:
            return po::CloudKind::usgov;
        case config::Cloud::china:
            return po::CloudKind::china;
    }
    return po::CloudKind::global;
}

po::ProviderKind provider_kind(config::Provider provider) {
    switch (provider) {
        case config::Provider::microsoft:
            return po::ProviderKind::microsoft;
        case config::Provider::google:
            return po::ProviderKind::google;
        case config::Provider::generic:
            return po::ProviderKind::generic;
    }
    return po::ProviderKind::generic;
}

po::GrantFlow grant_flow(config::Flow flow) {
    switch (flow) {
        case config::Flow::client_credentials:
            return po::GrantFlow::client_credentials;
        case config::Flow::authorization_code:
            return po::GrantFlow::authorization_code;
        case config::Flow::device_code:
            return po::GrantFlow::device_code;
    }
    return po::GrantFlow::client_credentials;
}

}  // namespace

const char* flow_name(config::Flow flow) {
    switch (flow) {
        case config::Flow::client_credentials:
            return "client_credentials";
        case config::Flow::authorization_code:
            return "authorization_code";
        case config::Flow::device_code:
            return "device_code";
    }
    return "";
}

Result<EndpointPlan> plan_token_endpoint(const config::AccountSettings& account) {
    const std::string prefix = "account " + account.name + ": ";
    EndpointPlan plan;
    if (!account.token_endpoint.empty()) {
        plan.token_endpoint = account.token_endpoint;
    } else if (account.provider == config::Provider::microsoft) {
        auto endpoints = po::microsoft_endpoints(cloud_kind(account.cloud), account.tenant);
        if (!endpoints) return make_error(prefix + endpoints.error().message);
        plan.token_endpoint = endpoints->token;
    } else if (account.provider == config::Provider::google) {
        plan.token_endpoint = po::google_endpoints().token;
    } else if (!account.issuer.empty()) {
        if (auto checked = po::check_endpoint_url(account.issuer, "issuer"); !checked)
            return make_error(prefix + checked.error().message);
        plan.issuer = account.issuer;
        plan.discovery_url = po::discovery_url(account.issuer);
        return plan;
    } else {
        return make_error(prefix + "a generic provider needs token_endpoint or issuer");
    }
    if (auto checked = po::check_endpoint_url(plan.token_endpoint, "token_endpoint"); !checked)
        return make_error(prefix + checked.error().message);
    return plan;
}

std::vector<std::string> scopes_for(const config::AccountSettings& account) {
    if (!account.scopes.empty()) return account.scopes;
    return po::default_scopes(provider_kind(account.provider), cloud_kind(account.cloud),
                              grant_flow(account.flow));
}

Result<InteractiveEndpoints> plan_interactive_endpoints(const config::AccountSettings& account) {
    const std::string prefix = "account " + account.name + ": ";
    InteractiveEndpoints endpoints;
    if (account.provider == config::Provider::microsoft) {
        auto preset = po::microsoft_endpoints(cloud_kind(account.cloud), account.tenant);
        if (!preset) return make_error(prefix + preset.error().message);
        endpoints.authorization = preset->authorization;
        endpoints.device_authorization = preset->device_authorization;
        endpoints.token = preset->token;
    } else if (account.provider == config::Provider::google) {
        const auto preset = po::google_endpoints();
        endpoints.authorization = preset.authorization;
        endpoints.device_authorization = preset.device_authorization;
        endpoints.token = preset.token;
    }
    if (!account.authorization_endpoint.empty())
        endpoints.authorization = account.authorization_endpoint;
    if (!account.device_authorization_endpoint.empty())
        endpoints.device_authorization = account.device_authorization_endpoint;
    if (!account.token_endpoint.empty()) endpoints.token = account.token_endpoint;
    const bool needs_device = account.flow == config::Flow::device_code;
    const bool complete =
        !endpoints.token.empty() &&
        !(needs_device ? endpoints.device_authorization : endpoints.authorization).empty();
    if (!complete && account.provider == config::Provider::generic && !account.issuer.empty()) {
        if (auto checked = po::check_endpoint_url(account.issuer, "issuer"); !checked)
            return make_error(prefix + checked.error().message);
        endpoints.issuer = account.issuer;
        endpoints.discovery_url = po::discovery_url(account.issuer);
        return endpoints;
    }
    if (auto checked = check_interactive_endpoints(account, endpoints); !checked)
        return checked.error();
    return endpoints;
}

void complete_from_discovery(InteractiveEndpoints& endpoints,
                             const po::DiscoveryDocument& document) {
    if (endpoints.authorization.empty()) endpoints.authorization = document.authorization_endpoint;
    if (endpoints.device_authorization.empty())
        endpoints.device_authorization = document.device_authorization_endpoint;
    if (endpoints.token.empty()) endpoints.token = document.token_endpoint;
    endpoints.userinfo = document.userinfo_endpoint;
}

Result<void> check_interactive_endpoints(const config::AccountSettings& account,
                                         const InteractiveEndpoints& endpoints) {
    const std::string prefix = "account " + account.name + ": ";
    const bool device = account.flow == config::Flow::device_code;
    const std::string& first = device ? endpoints.device_authorization : endpoints.authorization;
    const char* first_key = device ? "device_authorization_endpoint" : "authorization_endpoint";
    if (first.empty())
        return make_error(prefix + "the " + flow_name(account.flow) + " flow needs " + first_key +
                          " (set it, or issuer for discovery)");
    if (endpoints.token.empty())
        return make_error(prefix + "the " + flow_name(account.flow) +
                          " flow needs token_endpoint (set it, or issuer for discovery)");
    if (auto checked = po::check_endpoint_url(first, first_key); !checked)
        return make_error(prefix + checked.error().message);
    if (auto checked = po::check_endpoint_url(endpoints.token, "token_endpoint"); !checked)
        return make_error(prefix + checked.error().message);
    return {};
}

}  // namespace mb::oauth
