# Starts/stops the test OAuth2 server (tests/integration/oauth_server/server.mjs, oidc-provider 9.13)
# and offers client helpers: client-credentials tokens, headless authorization code + PKCE, device
# flow approval, refresh, revocation, introspection, and the rig-only /_rig/stats and /_rig/fail_* hooks.
import base64
import hashlib
import html
import http.cookiejar
import json
import os
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request

from .ports import wait_listen
from .process import Proc
from .waiting import WaitTimeout, wait_until

SERVER_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "oauth_server"))
NODE = os.environ.get("RIG_NODE", "/usr/bin/node")
NATIVE_REDIRECT = "http://127.0.0.1/callback"
HTTP_TIMEOUT = 10


class OAuthError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def pkce_pair():
    """Return (code_verifier, code_challenge) for PKCE S256."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None


class HttpSession:
    """Tiny cookie-keeping HTTP client that never follows redirects."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect,
                                                  urllib.request.ProxyHandler({}))

    def request(self, method, url, form=None, headers=None, json_body=None):
        data = None
        hdrs = dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
        try:
            with self.opener.open(req, timeout=HTTP_TIMEOUT) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            body = e.read()
            return e.code, dict(e.headers), body


class OAuthServer:
    """oidc-provider configured for the rig. users: {email: password}.

    Clients (see .clients, name -> dict(client_id, client_secret, email, auth_method)):
      cc:<email>  client_credentials, client_secret_post, token `email` claim = <email>
      cc_basic    client_credentials for the first user, client_secret_basic
      cc_short    client_credentials for the first user, tokens live `short_ttl` seconds
      native      public, authorization_code+PKCE S256 + refresh_token, redirect http://127.0.0.1/callback
      device      public, device_code + refresh_token
      introspect  confidential; Dovecot's introspection client (also may revoke any token)
    """

    def __init__(self, tmp, users, access_token_ttl=3600, short_ttl=3, refresh_token_ttl=14 * 24 * 3600,
                 port=0, extra_scopes=(), access_token_bytes=None):
        self.tmp = tmp
        self.access_token_bytes = access_token_bytes  # None: oidc-provider's 43-byte opaque tokens
        self.users = dict(users)
        self.access_token_ttl = access_token_ttl
        self.short_ttl = short_ttl
        self.refresh_token_ttl = refresh_token_ttl
        self.requested_port = port
        self.scopes = ["openid", "offline_access", "email", "mail"] + list(extra_scopes)
        self.port = None
        self.issuer = None
        self.proc = None
        self.log_path = os.path.join(tmp, "oauth.log")
        self.config_path = os.path.join(tmp, "oauth.json")
        self.ready_file = os.path.join(tmp, "oauth.ready")
        self.clients = {}
        first = next(iter(self.users))
        for email in self.users:  # e.g. alice@example.com -> cc-alice-example-com / cc-alice-example-com-secret
            cid = "cc-" + re.sub(r"[^A-Za-z0-9]", "-", email)
            self.clients[f"cc:{email}"] = dict(client_id=cid, client_secret=f"{cid}-secret",
                                               email=email, auth_method="client_secret_post")
        self.clients["cc_basic"] = dict(client_id="cc-basic", client_secret="cc-basic-secret", email=first,
                                        auth_method="client_secret_basic")
        self.clients["cc_short"] = dict(client_id="cc-short", client_secret="cc-short-secret", email=first,
                                        auth_method="client_secret_post", ttl=short_ttl)
        self.clients["native"] = dict(client_id="mailbridge-native", client_secret=None, email=None,
                                      auth_method="none", redirect_uri=NATIVE_REDIRECT)
        self.clients["device"] = dict(client_id="mailbridge-device", client_secret=None, email=None,
                                      auth_method="none")
        self.clients["introspect"] = dict(client_id="dovecot-introspect", client_secret="dovecot-introspect-secret",
                                          email=None, auth_method="client_secret_basic")

    # ---- lifecycle -------------------------------------------------------------------------
    def _oidc_clients(self):
        out = []
        for name, c in self.clients.items():
            m = {"client_id": c["client_id"], "token_endpoint_auth_method": c["auth_method"]}
            if c["client_secret"]:
                m["client_secret"] = c["client_secret"]
            if name.startswith("cc"):
                m.update(grant_types=["client_credentials"], response_types=[], redirect_uris=[],
                         scope=" ".join(self.scopes))
            elif name == "native":
                m.update(application_type="native", grant_types=["authorization_code", "refresh_token"],
                         response_types=["code"], redirect_uris=[NATIVE_REDIRECT])
            elif name == "device":
                m.update(application_type="native",
                         grant_types=["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
                         response_types=[], redirect_uris=[])
            else:
                m.update(grant_types=[], response_types=[], redirect_uris=[])
            out.append(m)
        return out

    def start(self, timeout=20):
        if os.path.exists(self.ready_file):
            os.unlink(self.ready_file)
        cfg = dict(port=self.requested_port or self.port or 0, ready_file=self.ready_file, users=self.users,
                   clients=self._oidc_clients(), scopes=self.scopes,
                   client_emails={c["client_id"]: c["email"] for n, c in self.clients.items()
                                  if n.startswith("cc")},
                   client_ttl={c["client_id"]: c["ttl"] for c in self.clients.values() if c.get("ttl")},
                   access_token_ttl=self.access_token_ttl, refresh_token_ttl=self.refresh_token_ttl,
                   admin_client_id=self.clients["introspect"]["client_id"],
                   access_token_bytes=self.access_token_bytes)
        with open(self.config_path, "w") as f:
            json.dump(cfg, f, indent=1)
        if not os.path.isdir(os.path.join(SERVER_DIR, "node_modules", "oidc-provider")):
            raise RuntimeError(f"oidc-provider missing: run `npm ci --prefix {SERVER_DIR}`")
        env = dict(os.environ, NODE_ENV="production", NODE_NO_WARNINGS="1")
        self.proc = Proc("oauth", [NODE, os.path.join(SERVER_DIR, "server.mjs"), self.config_path],
                         self.log_path, env=env, cwd=SERVER_DIR).start()
        def ready():
            if not self.proc.running():
                raise RuntimeError(f"oauth server exited: {self.proc.log_tail()}")
            return os.path.exists(self.ready_file)
        try:
            wait_until(ready, timeout, "the oauth server's ready file")
        except WaitTimeout:
            raise TimeoutError(f"oauth server not ready: {self.proc.log_tail()}")
        with open(self.ready_file) as f:
            info = json.load(f)
        self.port = info["port"]
        self.issuer = info["issuer"]
        wait_listen(self.port, proc=self.proc)
        return self

    def stop(self):
        if self.proc:
            self.proc.stop()

    def restart(self):
        """Restart on the same port (tokens are in memory: all earlier tokens become invalid)."""
        self.stop()
        self.requested_port = self.port
        self.start()

    # ---- endpoints ---------------------------------------------------------------------------
    @property
    def token_endpoint(self):
        return self.issuer + "/token"

    @property
    def introspection_endpoint(self):
        return self.issuer + "/token/introspection"

    @property
    def device_endpoint(self):
        return self.issuer + "/device/auth"

    @property
    def authorization_endpoint(self):
        return self.issuer + "/auth"

    def client(self, name):
        return self.clients[name]

    def cc_client(self, email):
        return self.clients[f"cc:{email}"]

    def _post(self, url, form, client=None):
        headers = {}
        form = dict(form)
        if client is not None:
            if client["auth_method"] == "client_secret_basic":
                cred = f"{urllib.parse.quote(client['client_id'])}:{urllib.parse.quote(client['client_secret'])}"
                headers["Authorization"] = "Basic " + base64.b64encode(cred.encode()).decode()
            else:
                form["client_id"] = client["client_id"]
                if client.get("client_secret"):
                    form["client_secret"] = client["client_secret"]
        status, _, body = HttpSession().request("POST", url, form=form, headers=headers)
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = {"raw": body.decode("utf-8", "replace")}
        if status != 200:
            raise OAuthError(status, data)
        return data

    # ---- grants --------------------------------------------------------------------------------
    def client_credentials(self, email=None, client=None, scope=None):
        """Token response dict for a client-credentials client (by mailbox email, or client name)."""
        c = self.clients[client] if client else self.cc_client(email or next(iter(self.users)))
        form = {"grant_type": "client_credentials"}
        if scope:
            form["scope"] = scope
        return self._post(self.token_endpoint, form, c)

    def cc_token(self, email=None, client=None, scope=None):
        """Just the access token string (see client_credentials)."""
        return self.client_credentials(email, client, scope)["access_token"]

    def authorization_url(self, state=None, code_challenge=None, scope="openid offline_access mail",
                          prompt="consent", redirect_uri=NATIVE_REDIRECT, login_hint=None, client="native"):
        """Build an authorization URL; returns (url, state, code_verifier)."""
        verifier = None
        if code_challenge is None:
            verifier, code_challenge = pkce_pair()
        state = state or secrets.token_urlsafe(12)
        q = {"client_id": self.clients[client]["client_id"], "response_type": "code", "redirect_uri": redirect_uri,
             "scope": scope, "state": state, "code_challenge": code_challenge, "code_challenge_method": "S256"}
        if prompt:
            q["prompt"] = prompt
        if login_hint:
            q["login_hint"] = login_hint
        return self.authorization_endpoint + "?" + urllib.parse.urlencode(q), state, verifier

    def _run_interactions(self, session, status, headers, body, login, password, max_steps=12):
        """Drive our login/consent pages until a redirect leaves the issuer; returns (status, headers, body)."""
        for _ in range(max_steps):
            if status in (302, 303):
                loc = urllib.parse.urljoin(self.issuer + "/", headers.get("Location") or headers.get("location"))
                if not loc.startswith(self.issuer + "/"):
                    return status, {"Location": loc}, body
                status, headers, body = session.request("GET", loc)
                continue
            text = body.decode("utf-8", "replace")
            m = re.search(r'<form method="post" action="([^"]+)" data-prompt="(\w+)"', text)
            if status != 200 or not m:
                return status, headers, body
            action, prompt = html.unescape(m.group(1)), m.group(2)
            form = {"login": login, "password": password} if prompt == "login" else {}
            status, headers, body = session.request("POST", self.issuer + action, form=form)
        raise RuntimeError("too many interaction steps")

    def complete_authorization(self, auth_url, login, password):
        """Headless browser: GET auth_url, log in, consent; returns dict of the final redirect's
        query (code, state, iss or error...) plus 'location'."""
        s = HttpSession()
        status, headers, body = s.request("GET", auth_url)
        status, headers, body = self._run_interactions(s, status, headers, body, login, password)
        loc = headers.get("Location")
        if not loc:
            raise RuntimeError(f"authorization did not redirect: {status} {body[:500]!r}")
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        q["location"] = loc
        return q

    def exchange_code(self, code, code_verifier, redirect_uri=NATIVE_REDIRECT, client="native"):
        return self._post(self.token_endpoint, {"grant_type": "authorization_code", "code": code,
                                                "code_verifier": code_verifier, "redirect_uri": redirect_uri},
                          self.clients[client])

    def authorization_code_tokens(self, login, password=None, scope="openid offline_access mail",
                                  redirect_uri="http://127.0.0.1:1/callback"):
        """Whole authorization code + PKCE flow; returns the token response."""
        password = self.users[login] if password is None else password
        url, state, verifier = self.authorization_url(scope=scope, redirect_uri=redirect_uri)
        q = self.complete_authorization(url, login, password)
        if q.get("state") != state or "code" not in q:
            raise RuntimeError(f"bad authorization response {q}")
        return self.exchange_code(q["code"], verifier, redirect_uri=redirect_uri)

    def refresh(self, refresh_token, client="native", scope=None):
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if scope:
            form["scope"] = scope
        return self._post(self.token_endpoint, form, self.clients[client])

    def device_authorize(self, scope="openid offline_access mail", client="device"):
        """POST /device/auth; returns device_code, user_code, verification_uri(_complete), expires_in."""
        return self._post(self.device_endpoint, {"scope": scope}, self.clients[client])

    def approve_device(self, user_code, login, password=None):
        """Act as the user in a browser: confirm user_code, log in and consent."""
        password = self.users[login] if password is None else password
        s = HttpSession()
        status, _, body = s.request("GET", self.issuer + "/device?" + urllib.parse.urlencode({"user_code": user_code}))
        m = re.search(r'name="xsrf" value="([^"]+)"', body.decode("utf-8", "replace"))
        if status != 200 or not m:
            raise RuntimeError(f"device page: {status} {body[:300]!r}")
        status, headers, body = s.request("POST", self.issuer + "/device",
                                          form={"xsrf": m.group(1), "user_code": user_code, "confirm": "yes"})
        status, headers, body = self._run_interactions(s, status, headers, body, login, password)
        if status != 200 or b"Success" not in body:
            raise RuntimeError(f"device approval failed: {status} {body[:300]!r}")

    def device_token(self, device_code, client="device", timeout=30, interval=5):
        """Poll the token endpoint for a device code every `interval` s (the pace RFC 8628 asks
        for) until granted (or raise)."""
        def granted():
            try:
                return self._post(self.token_endpoint, {"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                                                        "device_code": device_code}, self.clients[client])
            except OAuthError as e:
                if e.body.get("error") not in ("authorization_pending", "slow_down"):
                    raise
                return None
        return wait_until(granted, timeout, "the device grant", interval=interval)

    def device_flow_tokens(self, login, password=None, scope="openid offline_access mail"):
        d = self.device_authorize(scope)
        self.approve_device(d["user_code"], login, password)
        return self.device_token(d["device_code"])

    def revoke(self, token, token_type_hint=None, client="introspect"):
        form = {"token": token}
        if token_type_hint:
            form["token_type_hint"] = token_type_hint
        self._post(self.issuer + "/token/revocation", form, self.clients[client])

    def introspect(self, token):
        return self._post(self.introspection_endpoint, {"token": token}, self.clients["introspect"])

    # ---- rig hooks -------------------------------------------------------------------------------
    def _rig(self, method, path, body=None):
        status, _, data = HttpSession().request(method, self.issuer + path, json_body=body)
        if status != 200:
            raise OAuthError(status, data)
        return json.loads(data)

    def stats(self):
        """{'token': {'total', 'by_grant_type', 'by_client', 'by_client_grant': {'<client> <grant>': n}},
        'routes': {...}, 'injected_failures': n}"""
        return self._rig("GET", "/_rig/stats")

    def token_requests(self, client_id=None, grant_type=None):
        t = self.stats()["token"]
        if client_id and grant_type:
            return t["by_client_grant"].get(f"{client_id} {grant_type}", 0)
        if client_id:
            return t["by_client"].get(client_id, 0)
        if grant_type:
            return t["by_grant_type"].get(grant_type, 0)
        return t["total"]

    def reset_stats(self):
        return self._rig("POST", "/_rig/reset_stats", {})

    def fail_token(self, count=1, status=503, error="temporarily_unavailable", delay_ms=0):
        """The next `count` POST /token requests get HTTP `status` with {"error": error}."""
        return self._rig("POST", "/_rig/fail_token", dict(count=count, status=status, error=error, delay_ms=delay_ms))

    def fail_introspection(self, count=1, status=503, error="temporarily_unavailable", delay_ms=0):
        return self._rig("POST", "/_rig/fail_introspection",
                         dict(count=count, status=status, error=error, delay_ms=delay_ms))
