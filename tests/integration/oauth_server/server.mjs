// Test-only OAuth2 authorization server for the mailbridge integration rig (oidc-provider 9.13).
// Usage: node server.mjs CONFIG.json  -- config written by tests/integration/rig/oauth_server.py.
// Adds a headless login/consent interaction, /_rig/stats, /_rig/reset_stats and /_rig/fail_* hooks.
import fs from 'node:fs';
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
// cfg: { port, ready_file, users: {email: password}, clients: [oidc client metadata...],
//        client_emails: {clientId: email}, client_ttl: {clientId: seconds},
//        access_token_ttl, refresh_token_ttl, admin_client_id, scopes: [..],
//        access_token_bytes: N (optional: access tokens issued as N-byte JWTs, see longToken) }

const stats = { token: { total: 0, by_grant_type: {}, by_client: {}, by_client_grant: {} },
  routes: {}, injected_failures: 0 };
const failures = { token: [], introspection: [] };   // queue of {status, error, delay_ms}

function bump(obj, key) { obj[key] = (obj[key] || 0) + 1; }
function countToken(grantType, clientId) {
  stats.token.total += 1;
  bump(stats.token.by_grant_type, grantType || 'unknown');
  bump(stats.token.by_client, clientId || 'unknown');
  bump(stats.token.by_client_grant, `${clientId || 'unknown'} ${grantType || 'unknown'}`);
}
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
function esc(s) { return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`); }
function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

// Real providers' access tokens are 1.5-3 KB JWTs (Microsoft); oidc-provider's opaque ones are 43
// bytes, and JWT access tokens cannot be introspected. With access_token_bytes the rig hands out a
// JWT-shaped token of that size whose payload names the opaque token (`ref`), and maps it back
// when Dovecot introspects it: a client, the bridge and Dovecot see realistic sizes.
function b64url(buf) { return Buffer.from(buf).toString('base64url'); }
function longToken(opaque, issuer) {
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'rig' }));
  const signature = b64url(randomBytes(256));
  const claims = { iss: issuer, ref: opaque, aud: 'https://outlook.office365.com',
    scp: 'IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send', pad: '' };
  const fixed = header.length + b64url(JSON.stringify(claims)).length + signature.length + 2;
  // pad is base64url inside a payload that is base64url again: 9/16 of the missing bytes.
  claims.pad = b64url(randomBytes(Math.max(0, Math.floor(((cfg.access_token_bytes - fixed) * 9) / 16))));
  return `${header}.${b64url(JSON.stringify(claims))}.${signature}`;
}
function opaqueOf(token) {
  const parts = (token || '').split('.');
  if (parts.length !== 3) return null;
  try { return JSON.parse(Buffer.from(parts[1], 'base64url').toString()).ref || null; } catch { return null; }
}

let provider;   // created once the socket is bound (the issuer needs the real port)

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname.startsWith('/_rig/')) return await rigHandler(req, res, url);
    if (url.pathname.startsWith('/interaction/')) return await interactionHandler(req, res, url);
    return provider.callback()(req, res);
  } catch (e) {
    console.error('handler error', e);
    if (!res.headersSent) { res.statusCode = 500; res.end(String(e)); }
  }
});

function sendJson(res, status, obj) {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(obj));
}

async function rigHandler(req, res, url) {
  if (url.pathname === '/_rig/stats') return sendJson(res, 200, stats);
  if (url.pathname === '/_rig/reset_stats' && req.method === 'POST') {
    stats.token = { total: 0, by_grant_type: {}, by_client: {}, by_client_grant: {} };
    stats.routes = {}; stats.injected_failures = 0;
    return sendJson(res, 200, stats);
  }
  const m = url.pathname.match(/^\/_rig\/fail_(token|introspection)$/);
  if (m && req.method === 'POST') {
    const body = JSON.parse((await readBody(req)) || '{}');
    const n = body.count ?? 1;
    failures[m[1]] = [];
    for (let i = 0; i < n; i += 1) {
      failures[m[1]].push({ status: body.status ?? 503, error: body.error ?? 'temporarily_unavailable',
        delay_ms: body.delay_ms ?? 0 });
    }
    return sendJson(res, 200, { queued: n });
  }
  return sendJson(res, 404, { error: 'not_found' });
}

function page(title, inner) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head>`
    + `<body><h1>${esc(title)}</h1>${inner}</body></html>`;
}

async function interactionHandler(req, res, url) {
  const parts = url.pathname.split('/');   // ['', 'interaction', uid, action?]
  const action = parts[3];
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (!action && req.method === 'GET') {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    if (prompt.name === 'login') {
      return res.end(page('Sign in', `<form method="post" action="/interaction/${uid}/login" data-prompt="login">`
        + `<input name="login" value="${esc(params.login_hint || '')}"><input name="password" type="password">`
        + '<button type="submit">Sign in</button></form>'));
    }
    return res.end(page('Consent', `<form method="post" action="/interaction/${uid}/confirm" data-prompt="consent">`
      + `<p>client ${esc(params.client_id)} wants ${esc(params.scope || '')}</p>`
      + '<button type="submit">Allow</button></form>'
      + `<form method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`));
  }
  if (req.method !== 'POST') { res.statusCode = 405; return res.end(); }
  const form = new URLSearchParams(await readBody(req));
  if (action === 'login') {
    const login = form.get('login');
    if (!login || !(login in cfg.users) || cfg.users[login] !== form.get('password')) {
      res.statusCode = 200;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      return res.end(page('Sign in failed', `<form method="post" action="/interaction/${uid}/login" data-prompt="login">`
        + '<input name="login"><input name="password" type="password"><button type="submit">Sign in</button></form>'));
    }
    return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }
  if (action === 'confirm') {
    const { details: missing } = prompt;
    let { grantId } = details;
    let grant;
    if (grantId) grant = await provider.Grant.find(grantId);
    else grant = new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    if (missing.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    grantId = await grant.save();
    const consent = details.grantId ? {} : { grantId };
    return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
  }
  if (action === 'abort') {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'denied' },
      { mergeWithLastSubmission: false });
  }
  res.statusCode = 404;
  return res.end();
}

function buildProvider(issuer) {
  const clientEmails = cfg.client_emails || {};
  const clientTtl = cfg.client_ttl || {};
  const configuration = {
    clients: cfg.clients,
    scopes: cfg.scopes || ['openid', 'offline_access', 'mail'],
    // The id_token names the user (preferred_username), so mailbridge can check whose token it is.
    claims: { openid: ['sub', 'preferred_username'], email: ['email'] },
    conformIdTokenClaims: false,
    cookies: { keys: ['mailbridge-rig-test-cookie-key'] },
    pkce: { required: (ctx, client) => client.clientAuthMethod === 'none' },
    findAccount: async (ctx, sub) => ({
      accountId: sub,
      async claims() { return { sub, email: sub, preferred_username: sub }; },
    }),
    extraTokenClaims: async (ctx, token) => {
      if (token.kind === 'ClientCredentials') {
        const email = clientEmails[token.clientId];
        return email ? { email } : undefined;
      }
      if (token.kind === 'AccessToken' && token.accountId) return { email: token.accountId };
      return undefined;
    },
    interactions: { url: async (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => client.clientId === cfg.admin_client_id
          || !(client.clientAuthMethod === 'none' && token.clientId !== client.clientId),
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => client.clientId === cfg.admin_client_id
          || token.clientId === client.clientId,
      },
      deviceFlow: { enabled: true },
    },
    ttl: {
      AccessToken: (ctx, token, client) => clientTtl[client?.clientId] ?? cfg.access_token_ttl ?? 3600,
      ClientCredentials: (ctx, token, client) => clientTtl[client?.clientId] ?? cfg.access_token_ttl ?? 3600,
      RefreshToken: () => cfg.refresh_token_ttl ?? 14 * 24 * 3600,
      AuthorizationCode: () => 120,
      DeviceCode: () => 600,
      IdToken: () => 3600,
      Interaction: () => 3600,
      Session: () => 3600,
      Grant: () => 14 * 24 * 3600,
    },
    // refresh tokens for the device-flow client too (it asks for offline_access)
    issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token')
      && code.scopes.has('offline_access'),
  };
  const p = new Provider(issuer, configuration);
  p.proxy = false;
  // failure injection + stats, around every provider request
  p.use(async (ctx, next) => {
    const kind = ctx.method === 'POST' && ctx.path === '/token' ? 'token'
      : (ctx.method === 'POST' && ctx.path === '/token/introspection' ? 'introspection' : null);
    if (kind && failures[kind].length > 0) {
      const f = failures[kind].shift();
      const form = new URLSearchParams(await readBody(ctx.req));
      let clientId = form.get('client_id');
      const auth = ctx.get('authorization');
      if (!clientId && auth.startsWith('Basic ')) {
        clientId = decodeURIComponent(Buffer.from(auth.slice(6), 'base64').toString().split(':')[0]);
      }
      if (kind === 'token') countToken(form.get('grant_type'), clientId);
      bump(stats.routes, kind === 'token' ? 'token' : 'introspection');
      stats.injected_failures += 1;
      if (f.delay_ms) await sleep(f.delay_ms);
      ctx.status = f.status;
      ctx.set('cache-control', 'no-store');
      ctx.body = { error: f.error, error_description: 'injected by the mailbridge test rig' };
      return;
    }
    if (cfg.access_token_bytes && kind === 'introspection') {
      const form = new URLSearchParams(await readBody(ctx.req));
      const ref = opaqueOf(form.get('token'));
      if (ref) form.set('token', ref);
      ctx.req.body = form.toString();   // oidc-provider reads an already-read body from here
    }
    await next();
    if (cfg.access_token_bytes && ctx.oidc?.route === 'token' && ctx.body?.access_token) {
      ctx.body = { ...ctx.body, access_token: longToken(ctx.body.access_token, ctx.oidc.issuer) };
    }
    if (ctx.oidc?.route) bump(stats.routes, ctx.oidc.route);
    if (ctx.oidc?.route === 'token') {
      countToken(ctx.oidc.params?.grant_type, ctx.oidc.client?.clientId || ctx.oidc.params?.client_id);
    }
  });
  p.on('server_error', (ctx, err) => console.error('server_error', err));
  return p;
}

server.listen(cfg.port || 0, '127.0.0.1', () => {
  const { port } = server.address();
  provider = buildProvider(`http://127.0.0.1:${port}`);
  const ready = JSON.stringify({ port, issuer: `http://127.0.0.1:${port}`, pid: process.pid, id: randomUUID() });
  if (cfg.ready_file) {
    fs.writeFileSync(`${cfg.ready_file}.tmp`, ready);
    fs.renameSync(`${cfg.ready_file}.tmp`, cfg.ready_file);
  }
  console.log(`ready ${ready}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => { server.close(); process.exit(0); });
}
