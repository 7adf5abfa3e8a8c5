// Benchmark page logic, loaded by bench/page.html and driven by bench/run.mjs (playwright-core).
// Defines window.bench; imports no library at load time (every import is timed, with a per-round
// cache-busting query, in a fresh tab, from a server that sends `Cache-Control: no-store`).

const ISSUER = 'https://login.example.com';
const AUTHORIZATION_ENDPOINT = 'https://login.example.com/authorize';
const TOKEN_ENDPOINT = 'https://login.example.com/token';
const CLIENT_ID = 'bench-spa';
const REDIRECT_URI = 'https://app.example.com/callback';
const SCOPE = 'openid profile email';

// How each library is loaded. `ready` runs after the dynamic import and is part of the timing.
const LIBS = {
  'spa-oauth': {
    url: '/pkg/spa_oauth.js',
    // init() fetches pkg/spa_oauth_bg.wasm next to the module, compiles and instantiates it.
    ready: (m) => m.default(),
  },
  'oauth4webapi': { url: '/bench/dist/oauth4webapi.js', ready: async () => undefined },
  'oidc-client-ts': { url: '/bench/dist/oidc-client-ts.js', ready: async () => undefined },
};

// A state store for oidc-client-ts that keeps nothing: spa-oauth's buildAuthorizationUrl and the
// oauth4webapi recipe store nothing either. (With a real store, every createSigninRequest also
// walks all stored states in clearStaleState, so its cost grows with the number kept.)
const discardingStateStore = {
  async set() {},
  async get() { return null; },
  async remove() { return null; },
  async getAllKeys() { return []; },
};

// A signed ID token and its key, made once per tab and algorithm (outside the timed batches: the
// first call of each op, used for the sample, creates it).
const idTokenFixtures = {};
function idTokenFixture(alg) {
  idTokenFixtures[alg] ??= (async () => {
    const rsa = alg === 'RS256';
    const gen = rsa
      ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: 'P-256' };
    const sign = rsa ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' };
    const pair = await crypto.subtle.generateKey(gen, true, ['sign', 'verify']);
    const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
    delete jwk.key_ops; delete jwk.ext;
    jwk.kid = 'k1'; jwk.alg = alg; jwk.use = 'sig';
    const now = Math.floor(Date.now() / 1000);
    const enc = (o) => b64url(new TextEncoder().encode(JSON.stringify(o)));
    const input = enc({ alg, kid: 'k1', typ: 'JWT' }) + '.' +
      enc({ iss: ISSUER, sub: 'user-1', aud: CLIENT_ID, exp: now + 3600, iat: now, nonce: 'n-1', name: 'Bench User' });
    const data = new TextEncoder().encode(input);
    const sig = new Uint8Array(await crypto.subtle.sign(sign, pair.privateKey, data));
    return { token: `${input}.${b64url(sig)}`, jwks: { keys: [jwk] }, publicKey: pair.publicKey, sign, data, sig };
  })();
  return idTokenFixtures[alg];
}

function idTokenScenario(alg) {
  return {
    title: `ID-token validation, ${alg} (parse + key selection + WebCrypto verify + claims)`,
    libs: {
      'spa-oauth': (m) => ({
        sync: false,
        fn: async () => {
          const f = await idTokenFixture(alg);
          return m.validateIdToken(f.token, { issuer: ISSUER, clientId: CLIENT_ID, jwks: f.jwks, nonce: 'n-1' });
        },
      }),
    },
    floor: () => ({
      sync: false,
      fn: async () => {
        const f = await idTokenFixture(alg);
        const ok = await crypto.subtle.verify(f.sign, f.publicKey, f.sig, f.data);
        if (!ok) throw new Error('floor: signature did not verify');
        return null;
      },
    }),
  };
}

// Operation scenarios. Each library entry gets the imported module and returns
// { sync, fn }: fn() performs one operation and returns { url, codeVerifier } (used for a sanity
// check of the first result). `floor` needs no module. bench/run.mjs runs every scenario listed
// here and prints a table for each, so adding a scenario here adds it to the report.
const SCENARIOS = {
  authUrl: {
    title: 'PKCE pair + authorization URL (state, nonce, S256 challenge)',
    libs: {
      'spa-oauth': (m) => {
        const options = {
          issuer: ISSUER,
          authorizationEndpoint: AUTHORIZATION_ENDPOINT,
          clientId: CLIENT_ID,
          redirectUri: REDIRECT_URI,
          scope: SCOPE,
        };
        // Synchronous: random bytes, SHA-256 and URL building all happen inside the wasm call.
        return { sync: true, fn: () => m.buildAuthorizationUrl(options) };
      },
      'oauth4webapi': (m) => ({
        sync: false,
        fn: async () => {
          const codeVerifier = m.generateRandomCodeVerifier();
          const codeChallenge = await m.calculatePKCECodeChallenge(codeVerifier);
          const state = m.generateRandomState();
          const nonce = m.generateRandomNonce();
          const url = new URL(AUTHORIZATION_ENDPOINT);
          const p = url.searchParams; // URLSearchParams
          p.set('client_id', CLIENT_ID);
          p.set('redirect_uri', REDIRECT_URI);
          p.set('response_type', 'code');
          p.set('scope', SCOPE);
          p.set('state', state);
          p.set('nonce', nonce);
          p.set('code_challenge', codeChallenge);
          p.set('code_challenge_method', 'S256');
          return { url: url.href, codeVerifier };
        },
      }),
      'oidc-client-ts': (m) => {
        const client = new m.OidcClient({
          authority: ISSUER,
          client_id: CLIENT_ID,
          redirect_uri: REDIRECT_URI,
          scope: SCOPE,
          response_type: 'code',
          // Explicit metadata: no discovery fetch.
          metadata: {
            issuer: ISSUER,
            authorization_endpoint: AUTHORIZATION_ENDPOINT,
            token_endpoint: TOKEN_ENDPOINT,
          },
          stateStore: discardingStateStore,
        });
        return {
          sync: false,
          fn: async () => {
            const req = await client.createSigninRequest({});
            return { url: req.url, codeVerifier: req.state.code_verifier };
          },
        };
      },
    },
    // The raw WebCrypto work under one operation: 96 random bytes (verifier, state and nonce
    // entropy, 32 bytes each) and one SHA-256 of a 43-byte verifier, awaited. No encoding, no URL.
    floor: () => {
      const buf = new Uint8Array(96);
      return {
        sync: false,
        fn: async () => {
          crypto.getRandomValues(buf);
          await crypto.subtle.digest('SHA-256', buf.subarray(0, 43));
          return null;
        },
      };
    },
  },

  // ID-token validation (issue 3): spa-oauth's validateIdToken does compact-JWS parsing, key
  // selection from the JWK Set, WebCrypto importKey + verify, and the claim checks. The floor is
  // a bare crypto.subtle.verify of the same token with an already-imported key. oauth4webapi and
  // oidc-client-ts are not timed here: neither verifies an ID-token signature from the token
  // endpoint by default (oauth4webapi skips it, oidc-client-ts only decodes), so there is no
  // equivalent operation to compare.
  idTokenRS256: idTokenScenario('RS256'),
  idTokenES256: idTokenScenario('ES256'),

  // The hot path of an app: asking for the access token before each API call while a valid one
  // is cached. spa-oauth logs in once for real in the page (createAuthorizationUrl, then
  // handleRedirectCallback with the matching state against the bench server's /bench/token) and
  // then times getAccessToken(). oidc-client-ts: UserManager#getUser() with a stored user (its
  // default store, sessionStorage, which it reads and parses on every call). oauth4webapi keeps
  // no session. The floor is an async function returning a string.
  cachedAccessToken: {
    title: 'cached getAccessToken() with a valid token in memory',
    libs: {
      'spa-oauth': async (m) => {
        const origin = location.origin;
        const auth = await m.AuthClient.create({
          issuer: origin,
          authorizationEndpoint: `${origin}/bench/authorize`,
          tokenEndpoint: `${origin}/bench/token`,
          clientId: CLIENT_ID,
          redirectUri: `${origin}/bench/callback`,
          scope: 'profile',
        });
        const state = new URL(await auth.createAuthorizationUrl()).searchParams.get('state');
        await auth.handleRedirectCallback(`${origin}/bench/callback?code=bench-code&state=${state}&iss=${encodeURIComponent(origin)}`);
        return { sync: false, fn: () => auth.getAccessToken() };
      },
      'oidc-client-ts': async (m) => {
        const manager = new m.UserManager({
          authority: ISSUER,
          client_id: CLIENT_ID,
          redirect_uri: REDIRECT_URI,
          scope: 'profile',
          metadata: { issuer: ISSUER, authorization_endpoint: AUTHORIZATION_ENDPOINT, token_endpoint: TOKEN_ENDPOINT },
          automaticSilentRenew: false,
        });
        const now = Math.floor(Date.now() / 1000);
        await manager.storeUser(new m.User({
          access_token: 'bench-at', token_type: 'Bearer', scope: 'profile', expires_at: now + 3600,
          profile: { iss: ISSUER, sub: 'user-1', aud: CLIENT_ID, exp: now + 3600, iat: now },
        }));
        return { sync: false, fn: async () => (await manager.getUser()).access_token };
      },
    },
    floor: () => {
      const token = 'bench-at';
      return { sync: false, fn: async () => token };
    },
  },
};

const loaded = {}; // lib -> { module, initOutput }

function percentileSorted(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

async function timeBatch(op, n) {
  let sink;
  let t0;
  let t1;
  if (op.sync) {
    t0 = performance.now();
    for (let i = 0; i < n; i++) sink = op.fn();
    t1 = performance.now();
  } else {
    t0 = performance.now();
    for (let i = 0; i < n; i++) sink = await op.fn();
    t1 = performance.now();
  }
  globalThis.__benchSink = sink;
  return ((t1 - t0) * 1000) / n; // µs per operation
}

function b64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// Parameter names and value lengths of one result, and whether code_challenge is
// BASE64URL(SHA-256(code_verifier)) (RFC 7636 §4.2).
async function describe(result) {
  if (!result || typeof result.url !== 'string') return null; // only authorization URLs have a shape
  const u = new URL(result.url);
  const params = {};
  for (const [k, v] of u.searchParams) params[k] = k.endsWith('_uri') || k === 'scope' || k === 'client_id' || k === 'response_type' || k === 'code_challenge_method' ? v : `<${v.length} chars>`;
  const expected = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(result.codeVerifier)));
  return {
    origin: u.origin + u.pathname,
    params,
    codeVerifierLength: result.codeVerifier.length,
    challengeMatchesVerifier: u.searchParams.get('code_challenge') === expected,
    resultKeys: Object.keys(result),
  };
}

window.bench = {
  info() {
    return {
      userAgent: navigator.userAgent,
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      isSecureContext: globalThis.isSecureContext === true,
      hardwareConcurrency: navigator.hardwareConcurrency,
      scenarios: Object.fromEntries(
        Object.entries(SCENARIOS).map(([k, s]) => [k, { title: s.title, libs: Object.keys(s.libs), floor: !!s.floor }]),
      ),
    };
  },

  // Time from dynamic import to a usable library (spa-oauth: import + await init()).
  async importReady(lib, tag) {
    const L = LIBS[lib];
    const t0 = performance.now();
    const module = await import(`${L.url}?round=${encodeURIComponent(tag)}`);
    const initOutput = await L.ready(module);
    const t1 = performance.now();
    loaded[lib] = { module, initOutput };
    return t1 - t0;
  },

  // Exported names of a loaded library (and AuthClient's methods) that look like ID-token
  // validation (the idToken* scenarios above use validateIdToken).
  idTokenApiCandidates(lib) {
    const m = loaded[lib]?.module;
    if (!m) return [];
    const names = Object.keys(m);
    if (typeof m.AuthClient === 'function') {
      for (const k of Object.getOwnPropertyNames(m.AuthClient.prototype)) names.push(`AuthClient#${k}`);
      for (const k of Object.getOwnPropertyNames(m.AuthClient)) names.push(`AuthClient.${k}`);
    }
    return names.filter((n) => /id.?token|jwt|jws|jwks|verify|validat/i.test(n));
  },

  // Runs one scenario for a library that importReady loaded in this tab (or the floor, lib =
  // 'floor'): one warm-up batch, then `batches` timed batches of `n` operations.
  async ops(scenario, lib, { n, batches, warmupBatches }) {
    const S = SCENARIOS[scenario];
    const op = await (lib === 'floor' ? S.floor() : S.libs[lib](loaded[lib].module));
    const first = op.sync ? op.fn() : await op.fn();
    const sample = await describe(first);
    const memory = loaded[lib]?.initOutput?.memory;
    const memBefore = memory ? memory.buffer.byteLength : null;
    for (let w = 0; w < warmupBatches; w++) await timeBatch(op, n);
    const perOpUs = [];
    for (let b = 0; b < batches; b++) perOpUs.push(await timeBatch(op, n));
    const memAfter = memory ? memory.buffer.byteLength : null;
    const sorted = [...perOpUs].sort((a, b) => a - b);
    return { perOpUs, median: percentileSorted(sorted, 0.5), sample, wasmMemoryBytes: memory ? [memBefore, memAfter] : null };
  },
};
