// A real OpenID provider for confab's sign-in tests and demo: panva's oidc-provider
// (OpenID-certified), with its development interactions (a login page that takes any
// name and password, then a consent page) and accounts made up from the login name.
//
//   node provider.mjs --port 8092 [--issuer URL] [--client ID:SECRET:REDIRECT_URI ...]
//
// The login name is the account's `sub` and `preferred_username`; a name with an `@` is
// an email instead (`email`, no `preferred_username`). Every account has `name` and
// `email`. ID tokens carry these claims (as Google's, Keycloak's and Dex's do).
//
// For tests, POST /__test/clients registers a client at run time (like an administrator
// would in a provider's console): {client_id, client_secret, redirect_uris,
// id_token_overrides?, foreign_key?}. `id_token_overrides` are claims written over the
// ID tokens its token endpoint returns (say `aud`, `iss` or `nonce`), re-signed with the
// provider's own key, or with a key nobody published when `foreign_key` is true: a
// provider that misbehaves in exactly one way, for the checks confab must make.
// "ready on <issuer>" on stdout says it is listening.
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8092' },
    host: { type: 'string', default: '127.0.0.1' },
    issuer: { type: 'string' },
    client: { type: 'string', multiple: true, default: [] },
  },
});
const port = Number(args.port);
const issuer = args.issuer ?? `http://${args.host}:${port}`;

/** An RS256 key pair: the private half as a JWK with a `kid`, and as a KeyObject. */
function rsaKey(kid) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }, privateKey };
}
const signing = rsaKey('confab-test-provider');
const foreign = rsaKey('confab-test-provider');

/** Per client id: what its ID tokens get wrong on purpose. */
const misbehaviour = new Map();

function staticClient(spec) {
  const [clientId, clientSecret, ...redirect] = spec.split(':');
  const redirectUri = redirect.join(':');
  if (!clientId || !clientSecret || !redirectUri) {
    throw new Error(`--client wants ID:SECRET:REDIRECT_URI, got ${spec}`);
  }
  return clientMetadata({ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri] });
}

function clientMetadata({ client_id, client_secret, redirect_uris }) {
  return {
    client_id,
    client_secret,
    redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

/** The claims of the account a login name stands for. */
function claimsOf(login) {
  if (login.includes('@')) {
    const local = login.split('@')[0];
    return { sub: login, email: login, email_verified: true, name: `${local} (by email)` };
  }
  return { sub: login, preferred_username: login, name: `${login} (test provider)`, email: `${login}@example.test`, email_verified: true };
}

const provider = new Provider(issuer, {
  clients: args.client.map(staticClient),
  jwks: { keys: [signing.jwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  // Short-lived, as a test provider's things should be (and said, which keeps it quiet).
  ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  async findAccount(_ctx, id) {
    return { accountId: id, async claims() { return claimsOf(id); } };
  },
});

function base64url(value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** The ID token with `overrides` written over its claims, signed with `key`. */
function tampered(idToken, overrides, key) {
  const [header, payload] = idToken.split('.');
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), ...overrides };
  const input = `${header}.${base64url(claims)}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

// Misbehaving clients' token responses, rewritten on the way out.
provider.use(async (ctx, next) => {
  await next();
  const wrong = misbehaviour.get(ctx.oidc?.client?.clientId);
  if (ctx.path === '/token' && wrong && ctx.body?.id_token) {
    const key = wrong.foreign_key ? foreign.privateKey : signing.privateKey;
    ctx.body = { ...ctx.body, id_token: tampered(ctx.body.id_token, wrong.id_token_overrides ?? {}, key) };
  }
});

// Test-only registration of clients at run time, in the provider's own client store.
provider.use(async (ctx, next) => {
  if (ctx.path !== '/__test/clients' || ctx.method !== 'POST') {
    return next();
  }
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
  const metadata = clientMetadata(body);
  await provider.Client.validate(metadata);
  await provider.Client.adapter.upsert(metadata.client_id, metadata);
  if (body.id_token_overrides || body.foreign_key) {
    misbehaviour.set(metadata.client_id, { id_token_overrides: body.id_token_overrides, foreign_key: body.foreign_key });
  }
  ctx.status = 201;
  ctx.body = { client_id: metadata.client_id };
});

provider.listen(port, args.host, () => {
  process.stdout.write(`ready on ${issuer}\n`);
});
// Stopped at once: clients' idle keep-alive connections don't hold it up.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
