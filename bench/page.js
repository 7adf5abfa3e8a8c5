// Benchmark page logic, loaded by bench/page.html and driven by bench/run.mjs (playwright-core).
// Defines window.bench; imports no library at load time (every import is timed, with a per-round
// cache-busting query).
//
// Two kinds of scenario:
// * batch: `fn()` is one operation; timed in batches of n operations (µs per operation = batch
//   time / n), after warm-up batches.
// * per-op: `prepare(i)` builds the inputs of one operation outside the timing (a fresh login
//   transaction, a freshly signed ID token...), then `fn(ctx)` is timed alone; every operation
//   is one sample.

const ISSUER = 'https://login.example.com';
const AUTHORIZATION_ENDPOINT = 'https://login.example.com/authorize';
const TOKEN_ENDPOINT = 'https://login.example.com/token';
const JWKS_URI = 'https://login.example.com/jwks';
const CLIENT_ID = 'bench-spa';
const REDIRECT_URI = 'https://app.example.com/callback';
const SCOPE = 'openid profile email';

const enc = new TextEncoder();

// How each library is loaded. `ready` runs after the dynamic import and is part of the timing.
const LIBS = {
  'spa-oauth': {
    url: '/pkg/spa_oauth.js',
    // init() fetches spa_oauth_bg.wasm next to the module (new URL(..., import.meta.url)),
    // compiles and instantiates it (WebAssembly.instantiateStreaming).
    ready: (m) => m.default(),
  },
  'oauth4webapi': { url: '/bench/dist/oauth4webapi.js', ready: async () => undefined },
  'oidc-client-ts': { url: '/bench/dist/oidc-client-ts.js', ready: async () => undefined },
};

function b64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
const b64urlJson = (o) => b64url(enc.encode(JSON.stringify(o)));
const randomToken = (bytes = 32) => b64url(crypto.getRandomValues(new Uint8Array(bytes)));

// ---------------------------------------------------------------------------------------------
// fetch stub for the callback scenarios: the token endpoint and the JWKS answered in the page
// with real Response objects built from pre-made bodies (what a fast server would send), no
// network and no playwright routing. Every library under test calls the global `fetch` at call
// time, so replacing it is enough. URLs not in `routes` go to the real fetch.
const realFetch = globalThis.fetch;
const routes = new Map(); // absolute URL -> Uint8Array body (application/json), or a function of the request giving one
const stubSeen = { requests: 0, lastUrl: null, lastBody: null };
function stubFetch(input, init) {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const route = routes.get(url);
  if (route === undefined) return realFetch(input, init);
  const body = typeof route === 'function' ? route(input, init) : route;
  stubSeen.requests++;
  stubSeen.lastUrl = url;
  stubSeen.lastBody = init?.body ?? null;
  return Promise.resolve(new Response(body, {
    status: 200,
    headers: { 'content-type': 'application/json', 'content-length': String(body.length), 'cache-control': 'no-store' },
  }));
}
function installFetchStub() { globalThis.fetch = stubFetch; }
function removeFetchStub() { globalThis.fetch = realFetch; routes.clear(); }

// ---------------------------------------------------------------------------------------------
// RS256 keys for the callback scenarios: private JWKs made once by bench/run.mjs (Node
// WebCrypto), imported once per tab. The warm variants sign with key 0 only; the new-client
// variants rotate through all of them (17 > spa-oauth's 16-entry imported-key cache), so every
// callback imports a key it has not seen recently, as the first callback of a page load does.
let keyMaterial = null; // private JWKs from run.mjs
let keysPromise = null;
function signingKeys() {
  keysPromise ??= Promise.all(keyMaterial.map(async (priv, i) => {
    const kid = `bench-${i}`;
    const privateKey = await crypto.subtle.importKey('jwk', priv, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    const publicJwk = { kty: 'RSA', n: priv.n, e: priv.e, kid, alg: 'RS256', use: 'sig' };
    const publicKey = await crypto.subtle.importKey('jwk', publicJwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
    return { kid, privateKey, publicKey, publicJwk, jwksBody: enc.encode(JSON.stringify({ keys: [publicJwk] })) };
  }));
  return keysPromise;
}
async function pickKey(rotate, i) {
  const ks = await signingKeys();
  return rotate ? ks[i % ks.length] : ks[0];
}

// A token response as an authorization server sends it: a fresh bearer access token and an
// RS256 ID token signed with `key`, with iss, sub, aud, exp, iat, the transaction's nonce and
// at_hash (OIDC Core §3.1.3.6: left half of SHA-256 of the access token).
async function tokenResponse(issuer, nonce, key) {
  const accessToken = `at-${randomToken(24)}`;
  const atHash = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(accessToken))).subarray(0, 16));
  const now = Math.floor(Date.now() / 1000);
  const signingInput = enc.encode(`${b64urlJson({ alg: 'RS256', kid: key.kid, typ: 'JWT' })}.${b64urlJson({
    iss: issuer, sub: 'user-1', aud: CLIENT_ID, exp: now + 3600, iat: now, nonce, at_hash: atHash, name: 'Bench User', email: 'user@example.com',
  })}`);
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, key.privateKey, signingInput));
  const idToken = `${new TextDecoder().decode(signingInput)}.${b64url(signature)}`;
  const body = enc.encode(JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope: 'openid profile', id_token: idToken }));
  return { accessToken, idToken, body, signingInput, signature };
}

// What each participant of the callback scenarios checks (printed beside the table).
const CALLBACK_CHECKS = {
  'spa-oauth': 'state (single-use sessionStorage transaction), iss (RFC 9207), redirect URI; token response; ID token: RS256 signature (JWKS, WebCrypto), iss, aud/azp, exp, iat, nonce, at_hash (WebCrypto SHA-256); then keeps the session: sessionStorage marker, session posted to the other tabs (BroadcastChannel), renewal timer',
  'oauth4webapi': 'state, iss (RFC 9207); token response; ID token claims: alg, iss, aud/azp, exp, iat, sub, nonce (no signature, no at_hash)',
  'oauth4webapi+sig': 'as oauth4webapi, then validateApplicationLevelSignature: RS256 signature (JWKS, WebCrypto)',
  'oidc-client-ts': 'state (stored state, localStorage), authority and client_id of the stored state; token response; ID token decoded only (jwt-decode): sub present, nonce (no signature, no iss/aud/exp); OidcClient stores no user (UserManager would)',
  floor: 'crypto.subtle.verify of the same kind of token with an already-imported key: the bare signature check',
  'floor+import': 'crypto.subtle.importKey of the JWK + crypto.subtle.verify: the bare key import and signature check',
};

// `rotate`: a new client (and JWKS fetch) per callback, keys rotated; otherwise one client per
// tab, JWKS fetched and key imported once (during the warm-up operations).
function callbackScenario(rotate) {
  const label = rotate ? 'new client per callback: JWKS fetched and key imported each time' : 'one client: JWKS and key cached after the first callback';
  return {
    title: `callback → tokens in memory, token endpoint + JWKS stubbed in the page (${label})`,
    perOp: true,
    checks: { ...CALLBACK_CHECKS, floor: CALLBACK_CHECKS[rotate ? 'floor+import' : 'floor'], 'floor+import': undefined },
    libs: {
      'spa-oauth': async (m) => {
        const origin = location.origin;
        const options = {
          issuer: origin,
          authorizationEndpoint: `${origin}/bench/authorize`,
          tokenEndpoint: `${origin}/bench/stub/token`,
          jwksUri: `${origin}/bench/stub/jwks`,
          clientId: CLIENT_ID,
          redirectUri: `${origin}/bench/callback`,
          scope: 'openid profile',
        };
        const shared = rotate ? null : await m.AuthClient.create(options);
        return {
          async prepare(i) {
            const key = await pickKey(rotate, i);
            const auth = shared ?? await m.AuthClient.create(options);
            const url = new URL(await auth.createAuthorizationUrl());
            const state = url.searchParams.get('state');
            const nonce = url.searchParams.get('nonce');
            const tr = await tokenResponse(origin, nonce, key);
            routes.set(options.tokenEndpoint, tr.body);
            routes.set(options.jwksUri, key.jwksBody);
            // The callback URL is passed explicitly; it is not the page's location (so the
            // address bar is not touched).
            const callbackUrl = `${options.redirectUri}?code=code-${i}&state=${encodeURIComponent(state)}&iss=${encodeURIComponent(origin)}`;
            return { auth, callbackUrl, tr, nonce };
          },
          fn: (c) => c.auth.handleRedirectCallback(c.callbackUrl),
          async check(c) {
            const claims = c.auth.getIdTokenClaims();
            return { tokenInMemory: (await c.auth.getAccessToken()) === c.tr.accessToken, nonceChecked: claims?.nonce === c.nonce };
          },
          cleanup(c) { if (rotate) c.auth.free(); },
        };
      },
      ...Object.fromEntries([false, true].map((sig) => [sig ? 'oauth4webapi+sig' : 'oauth4webapi', {
        lib: 'oauth4webapi',
        make: (m) => {
          const makeAs = () => ({
            issuer: ISSUER,
            authorization_endpoint: AUTHORIZATION_ENDPOINT,
            token_endpoint: TOKEN_ENDPOINT,
            jwks_uri: JWKS_URI,
            authorization_response_iss_parameter_supported: true,
          });
          const shared = rotate ? null : makeAs();
          const client = { client_id: CLIENT_ID };
          return {
            async prepare(i) {
              const key = await pickKey(rotate, i);
              // oauth4webapi caches the JWKS per `as` object and imported keys per JWK object:
              // a new `as` is a new client.
              const as = shared ?? makeAs();
              const state = m.generateRandomState();
              const nonce = m.generateRandomNonce();
              const codeVerifier = m.generateRandomCodeVerifier();
              const tr = await tokenResponse(ISSUER, nonce, key);
              routes.set(TOKEN_ENDPOINT, tr.body);
              routes.set(JWKS_URI, key.jwksBody);
              const callbackUrl = `${REDIRECT_URI}?code=code-${i}&state=${encodeURIComponent(state)}&iss=${encodeURIComponent(ISSUER)}`;
              return { as, state, nonce, codeVerifier, tr, callbackUrl };
            },
            fn: async (c) => {
              const params = m.validateAuthResponse(c.as, client, new URL(c.callbackUrl), c.state);
              const response = await m.authorizationCodeGrantRequest(c.as, client, m.None(), params, REDIRECT_URI, c.codeVerifier);
              const result = await m.processAuthorizationCodeResponse(c.as, client, response, { expectedNonce: c.nonce });
              if (sig) await m.validateApplicationLevelSignature(c.as, response);
              return result;
            },
            check: (c, r) => ({ tokenInMemory: r.access_token === c.tr.accessToken, nonceChecked: true }),
          };
        },
      }])),
      'oidc-client-ts': (m) => {
        const settings = {
          authority: ISSUER,
          client_id: CLIENT_ID,
          redirect_uri: REDIRECT_URI,
          scope: 'openid profile',
          response_type: 'code',
          // Explicit metadata: no discovery fetch. Default state store (localStorage).
          metadata: { issuer: ISSUER, authorization_endpoint: AUTHORIZATION_ENDPOINT, token_endpoint: TOKEN_ENDPOINT, jwks_uri: JWKS_URI },
        };
        const shared = rotate ? null : new m.OidcClient(settings);
        return {
          async prepare(i) {
            const key = await pickKey(rotate, i);
            const client = shared ?? new m.OidcClient(settings);
            const nonce = randomToken();
            const req = await client.createSigninRequest({ nonce });
            const state = new URL(req.url).searchParams.get('state');
            const tr = await tokenResponse(ISSUER, nonce, key);
            routes.set(TOKEN_ENDPOINT, tr.body);
            routes.set(JWKS_URI, key.jwksBody);
            const callbackUrl = `${REDIRECT_URI}?code=code-${i}&state=${encodeURIComponent(state)}&iss=${encodeURIComponent(ISSUER)}`;
            return { client, nonce, tr, callbackUrl, sentNonce: new URL(req.url).searchParams.get('nonce') };
          },
          fn: (c) => c.client.processSigninResponse(c.callbackUrl),
          // It compares the ID token's nonce with the stored one (and drops nonce from `profile`).
          check: (c, r) => ({ tokenInMemory: r.access_token === c.tr.accessToken, nonceChecked: c.sentNonce === c.nonce && r.id_token === c.tr.idToken }),
        };
      },
    },
    // The bare WebCrypto work of the signature check (RS256, 2048-bit key).
    floor: () => ({
      async prepare(i) {
        const key = await pickKey(rotate, i);
        return { key, tr: await tokenResponse(ISSUER, 'n', key) };
      },
      fn: async (c) => {
        const k = rotate
          ? await crypto.subtle.importKey('jwk', c.key.publicJwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify'])
          : c.key.publicKey;
        if (!(await crypto.subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, k, c.tr.signature, c.tr.signingInput))) throw new Error('floor: signature did not verify');
        return null;
      },
      check: () => ({ tokenInMemory: null, nonceChecked: null }),
    }),
    floorLabel: rotate ? 'WebCrypto importKey + verify (floor)' : 'WebCrypto verify (our own signature check, floor)',
  };
}

// ---------------------------------------------------------------------------------------------
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
    const input = b64urlJson({ alg, kid: 'k1', typ: 'JWT' }) + '.' +
      b64urlJson({ iss: ISSUER, sub: 'user-1', aud: CLIENT_ID, exp: now + 3600, iat: now, nonce: 'n-1', name: 'Bench User' });
    const data = enc.encode(input);
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
    floorLabel: 'WebCrypto verify (floor)',
  };
}

// ---------------------------------------------------------------------------------------------
// The full build (pkg/full/, `spa-oauth-wasm/full`: auth.fetch, DPoP, PAR), imported and
// initialized once per tab, untimed, next to the default build the tab timed.
let fullBuildPromise = null;
function fullBuild() {
  fullBuildPromise ??= (async () => {
    const m = await import('/pkg/full/spa_oauth.js');
    const initOutput = await m.default();
    return { m, memory: initOutput.memory };
  })();
  return fullBuildPromise;
}

// The in-page resource server of the stubbed rows (the fetch stub's route for the resource URL).
// The same work for both schemes: two header reads and a look-up of a body made on the first
// request of each kind (it says what that request carried, like the bench server's answer).
const stubAnswers = new Map();
function stubResource(input) {
  const scheme = /^(\w+) /.exec(input.headers.get('authorization') ?? '')?.[1] ?? null;
  const proof = input.headers.get('dpop');
  const key = `${scheme} ${proof !== null}`;
  let body = stubAnswers.get(key);
  if (!body) stubAnswers.set(key, (body = enc.encode(JSON.stringify({ scheme, proofChars: proof?.length ?? 0, stubbed: true }))));
  return body;
}

// One full-build client logged in once for real against the bench server (as in the cached
// getAccessToken scenario: createAuthorizationUrl, then handleRedirectCallback with the matching
// state against POST /bench/as/token, which answers token_type DPoP when the request carries a
// DPoP header, Bearer otherwise), with the resource server `${origin}/bench/api`; then one
// operation = `await auth.fetch(${origin}/bench/api/ping)` + reading the tiny body. The first
// call (untimed) gets the resource server's token (RFC 8707: one refresh grant naming it) and
// the body echoes how the request was authorized (the sample).
//
// `stubbed`: the resource server is answered in the page instead (the fetch stub of the callback
// scenarios, installed around the batches; login and the resource server's token still go to the
// bench server): the proof's cost without the loopback round trip and its jitter.
function resourceFetchClient(dpop, stubbed = false) {
  return async () => {
    const { m, memory } = await fullBuild();
    const origin = location.origin;
    const auth = await m.AuthClient.create({
      issuer: origin,
      authorizationEndpoint: `${origin}/bench/authorize`,
      tokenEndpoint: `${origin}/bench/as/token`,
      // A client id per client, so the two sessions of the tab stay apart.
      clientId: dpop ? 'bench-spa-dpop' : 'bench-spa-bearer',
      redirectUri: `${origin}/bench/callback`,
      scope: 'profile',
      resourceServers: [`${origin}/bench/api`],
      dpop,
    });
    const state = new URL(await auth.createAuthorizationUrl()).searchParams.get('state');
    await auth.handleRedirectCallback(`${origin}/bench/callback?code=bench-code&state=${state}&iss=${encodeURIComponent(origin)}`);
    const url = `${origin}/bench/api/ping`;
    if (stubbed) await auth.fetch(url).then((r) => r.text()); // the resource server's token, from the bench server
    return {
      sync: false,
      memory,
      enter: stubbed ? () => { routes.set(url, stubResource); installFetchStub(); } : undefined,
      leave: stubbed ? removeFetchStub : undefined,
      fn: async () => {
        const r = await auth.fetch(url);
        if (r.status !== 200) throw new Error(`auth.fetch: status ${r.status}`);
        return r.text();
      },
      describe: (body) => ({ ...JSON.parse(body), dpopThumbprint: auth.dpopThumbprint() !== null }),
    };
  };
}

// The floor of one proof: crypto.subtle.sign (ECDSA, SHA-256) with a non-extractable P-256 key
// generated in the page (untimed), of an input shaped and sized like a proof's signing input
// (header with the public JWK; payload with jti, htm, htu, iat, ath: 433 bytes on the bench
// origin, the length of spa-oauth's own).
async function ecdsaSignFloor() {
  const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const data = enc.encode(`${b64urlJson({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: randomToken(32), y: randomToken(32) } })}.${b64urlJson({
    jti: randomToken(16), htm: 'GET', htu: `${location.origin}/bench/api/ping`, iat: Math.floor(Date.now() / 1000), ath: randomToken(32),
  })}`);
  const alg = { name: 'ECDSA', hash: 'SHA-256' };
  return {
    sync: false,
    fn: async () => {
      await crypto.subtle.sign(alg, privateKey, data);
      return null;
    },
    describe: () => ({ inputBytes: data.length }),
  };
}

// Operation scenarios. A `libs` entry is either a function of the imported module, or
// { lib, make } for a second entry on the same library (e.g. oauth4webapi with its optional
// signature check). It returns { sync, fn } (batch; optionally `memory`: the wasm memory to watch,
// `enter`/`leave`: around the batches, `describe(first)`: the sample) or
// { prepare, fn, check, cleanup } (per-op scenarios). Batch `fn()` returns { url, codeVerifier } when it builds an authorization URL
// (sanity-checked on the first result). `floor` needs no module. bench/run.mjs runs every
// scenario listed here and prints a table for each, so adding a scenario here adds it to the
// report.
const SCENARIOS = {
  pkcePair: {
    title: 'PKCE pair (32 random bytes → verifier, S256 challenge)',
    libs: {
      // Synchronous: random bytes and SHA-256 inside one wasm call.
      'spa-oauth': (m) => ({ sync: true, fn: () => m.createPkcePair() }),
      'oauth4webapi': (m) => ({
        sync: false,
        fn: async () => {
          const codeVerifier = m.generateRandomCodeVerifier();
          return { codeVerifier, codeChallenge: await m.calculatePKCECodeChallenge(codeVerifier) };
        },
      }),
    },
    // The raw WebCrypto work: 32 random bytes, one awaited SHA-256 of a 43-byte verifier.
    floor: () => {
      const buf = new Uint8Array(43);
      return {
        sync: false,
        fn: async () => {
          crypto.getRandomValues(buf.subarray(0, 32));
          await crypto.subtle.digest('SHA-256', buf);
          return null;
        },
      };
    },
    floorLabel: 'WebCrypto getRandomValues + digest (floor)',
  },

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
    floorLabel: 'WebCrypto getRandomValues + digest (floor)',
  },

  // ID-token validation on its own: spa-oauth's validateIdToken does compact-JWS parsing, key
  // selection from the JWK Set, WebCrypto importKey (cached) + verify, and the claim checks. The
  // floor is a bare crypto.subtle.verify of the same token with an already-imported key. The
  // peers have no equivalent stand-alone call (oauth4webapi verifies ID-token signatures only
  // inside a processed token response: see the callback scenarios; oidc-client-ts never does).
  idTokenRS256: idTokenScenario('RS256'),
  idTokenES256: idTokenScenario('ES256'),

  // A login completed from the redirect callback URL to tokens in memory, with the token
  // endpoint and the JWKS answered by the in-page fetch stub.
  callback: callbackScenario(false),
  callbackNewClient: callbackScenario(true),

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
    floorLabel: 'async function returning a string (floor)',
  },

  // The cost of one DPoP proof (RFC 9449 §7) per resource-server request (issue 13): the full
  // build's auth.fetch with a DPoP-bound token (proof: random jti, JSON, base64url, ath = SHA-256
  // of the token, one WebCrypto ECDSA P-256 sign) against the same client with a Bearer token, in
  // the same tab, same server, same tiny answer. DPoP − Bearer is what the proof costs; the floor
  // is the bare crypto.subtle.sign of an input the size of the proof's. Batches of --fetch-ops;
  // the DPoP and Bearer batches alternate in the tab (`interleave`). Two scenarios: the resource
  // server on the bench server (loopback HTTP: a fetch is milliseconds, with jitter far above the
  // proof's cost on a loaded machine), and answered in the page (the fetch stub).
  dpopProof: dpopProofScenario(false),
  dpopProofStub: dpopProofScenario(true),
};

function dpopProofScenario(stubbed) {
  return {
    title: stubbed
      ? 'DPoP proof per request: auth.fetch, resource server answered in the page (fetch stub; full build)'
      : 'DPoP proof per request: auth.fetch to a resource server on the bench server (loopback HTTP; full build)',
    fetchBatches: true,
    proofPair: true,
    interleave: ['spa-oauth', 'spa-oauth:bearer'],
    labels: {
      'spa-oauth': 'spa-oauth full, auth.fetch with DPoP (one proof per request)',
      'spa-oauth:bearer': 'spa-oauth full, auth.fetch with Bearer (the same without dpop)',
    },
    libs: {
      'spa-oauth': resourceFetchClient(true, stubbed),
      'spa-oauth:bearer': { lib: 'spa-oauth', make: resourceFetchClient(false, stubbed) },
    },
    floor: ecdsaSignFloor,
    floorLabel: 'WebCrypto ECDSA P-256 sign, proof-sized input (floor)',
  };
}

// Entry name -> { lib, make } for every scenario (entry name = library name unless it is a
// second entry on the same library).
function entriesOf(S) {
  const out = {};
  for (const [name, v] of Object.entries(S.libs)) out[name] = typeof v === 'function' ? { lib: name, make: v } : v;
  if (S.floor) out.floor = { lib: 'floor', make: S.floor };
  return out;
}

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

// Parameter names and value lengths of one result, and whether code_challenge is
// BASE64URL(SHA-256(code_verifier)) (RFC 7636 §4.2). A PKCE pair alone: the challenge check.
async function describe(result) {
  if (!result || typeof result.codeVerifier !== 'string') return null;
  const expected = b64url(await crypto.subtle.digest('SHA-256', enc.encode(result.codeVerifier)));
  if (typeof result.url !== 'string') {
    return { params: null, codeVerifierLength: result.codeVerifier.length, challengeMatchesVerifier: result.codeChallenge === expected };
  }
  const u = new URL(result.url);
  const params = {};
  for (const [k, v] of u.searchParams) params[k] = k.endsWith('_uri') || k === 'scope' || k === 'client_id' || k === 'response_type' || k === 'code_challenge_method' ? v : `<${v.length} chars>`;
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
        Object.entries(SCENARIOS).map(([k, s]) => [k, {
          title: s.title,
          perOp: !!s.perOp,
          checks: s.checks ?? null,
          floorLabel: s.floorLabel ?? null,
          labels: s.labels ?? null,
          fetchBatches: !!s.fetchBatches,
          proofPair: !!s.proofPair,
          interleave: s.interleave ?? null,
          entries: Object.fromEntries(Object.entries(entriesOf(s)).map(([name, e]) => [name, e.lib])),
        }]),
      ),
    };
  },

  // Private RS256 JWKs (from bench/run.mjs) for the callback scenarios.
  setKeys(jwks) {
    keyMaterial = jwks;
  },

  // Time from dynamic import to a usable library (spa-oauth: import + await init()), once per
  // tab, from the no-store mount (nothing comes from the HTTP cache).
  async importReady(lib, tag) {
    const L = LIBS[lib];
    const t0 = performance.now();
    const module = await import(`${L.url}?round=${encodeURIComponent(tag)}`);
    const initOutput = await L.ready(module);
    const t1 = performance.now();
    loaded[lib] = { module, initOutput };
    return t1 - t0;
  },

  // The same in a page that is already loaded and has loaded the library before: `count` timed
  // imports, each of a fresh module URL (a query string: a new module record, so nothing comes
  // from the module registry), from the /cached/ mount (Cache-Control: max-age), after one
  // untimed priming import. The module's JS (new URL) comes from the network (loopback); the
  // wasm (same URL every time: init() resolves it against import.meta.url, without the query)
  // comes from the warm HTTP cache. Each import is a separate instance (its own wasm memory).
  async importWarm(lib, tag, count) {
    const L = LIBS[lib];
    const url = `/cached${L.url}`;
    // The Resource Timing buffer holds 250 entries and the fetch scenarios fill it: start empty
    // (everything counted below happens after this point).
    performance.clearResourceTimings();
    await L.ready(await import(`${url}?prime=${encodeURIComponent(tag)}`));
    const ms = [];
    for (let j = 0; j < count; j++) {
      const t0 = performance.now();
      const module = await import(`${url}?warm=${encodeURIComponent(tag)}-${j}`);
      await L.ready(module);
      ms.push(performance.now() - t0);
    }
    // Resource Timing: how many of the timed fetches came from the HTTP cache (transferSize 0).
    const fetched = performance.getEntriesByType('resource').filter((e) => e.name.includes('/cached/') && /[?&]warm=/.test(e.name) || e.name.endsWith('/cached/pkg/spa_oauth_bg.wasm'));
    return { ms, resources: fetched.map((e) => ({ name: new URL(e.name).pathname, fromHttpCache: e.transferSize === 0 })) };
  },

  // Runs one entry of a scenario for a library importReady loaded in this tab (or the floor).
  // Batch scenarios: `warmupBatches` batches, then `batches` timed batches of `n` operations.
  // Per-op scenarios: `warmupOps` operations, then `perOpCount` timed operations, each prepared
  // outside the timing.
  async ops(scenario, entry, { n, batches, warmupBatches, perOpCount, warmupOps }) {
    const S = SCENARIOS[scenario];
    const E = entriesOf(S)[entry];
    const op = await E.make(loaded[E.lib]?.module);
    // The wasm memory of the build the operation runs on (the full build's, for the fetch rows).
    const memory = op.memory ?? loaded[E.lib]?.initOutput?.memory;
    if (S.perOp) {
      installFetchStub();
      try {
        const perOpUs = [];
        let sample = null;
        for (let i = 0; i < warmupOps + perOpCount; i++) {
          const ctx = await op.prepare(i);
          const seenBefore = stubSeen.requests;
          const t0 = performance.now();
          const r = await op.fn(ctx);
          const t1 = performance.now();
          if (i === 0) sample = { ...(await op.check(ctx, r)), stubRequests: stubSeen.requests - seenBefore };
          op.cleanup?.(ctx);
          if (i >= warmupOps) perOpUs.push((t1 - t0) * 1000);
        }
        const sorted = [...perOpUs].sort((a, b) => a - b);
        return { perOpUs, median: percentileSorted(sorted, 0.5), sample, wasmMemoryBytes: null };
      } finally {
        removeFetchStub();
      }
    }
    const b = await firstCall(op, memory);
    try {
      b.memBefore = memory ? memory.buffer.byteLength : null;
      for (let w = 0; w < warmupBatches; w++) await timeBatch(op, n);
      for (let i = 0; i < batches; i++) b.perOpUs.push(await timeBatch(op, n));
    } finally {
      op.leave?.();
    }
    return batchResult(b);
  },

  // Batch scenarios with `interleave`: the listed entries (one library) made in this tab, then
  // their warm-up batches and timed batches alternate (A B, B A, A B...), so that the entries
  // share the tab's drift batch by batch (the DPoP and Bearer clients). Returns entry -> result.
  async opsInterleaved(scenario, entries, { n, batches, warmupBatches }) {
    const S = SCENARIOS[scenario];
    const list = [];
    try {
      for (const entry of entries) {
        const E = entriesOf(S)[entry];
        const op = await E.make(loaded[E.lib]?.module);
        list.push({ entry, op, b: await firstCall(op, op.memory ?? loaded[E.lib]?.initOutput?.memory) });
      }
      for (const x of list) x.b.memBefore = x.b.memory ? x.b.memory.buffer.byteLength : null;
      for (let w = 0; w < warmupBatches; w++) for (const x of list) await timeBatch(x.op, n);
      for (let i = 0; i < batches; i++) {
        for (const x of i % 2 ? [...list].reverse() : list) x.b.perOpUs.push(await timeBatch(x.op, n));
      }
    } finally {
      for (const x of list) x.op.leave?.();
    }
    return Object.fromEntries(list.map((x) => [x.entry, batchResult(x.b)]));
  },
};

// Batch scenarios: `enter` (e.g. the fetch stub), the first (untimed) call and its sample.
async function firstCall(op, memory) {
  op.enter?.();
  const first = op.sync ? op.fn() : await op.fn();
  const sample = op.describe ? await op.describe(first) : await describe(first);
  return { memory, sample, memBefore: null, perOpUs: [] };
}
function batchResult(b) {
  const memAfter = b.memory ? b.memory.buffer.byteLength : null;
  const sorted = [...b.perOpUs].sort((x, y) => x - y);
  return { perOpUs: b.perOpUs, median: percentileSorted(sorted, 0.5), sample: b.sample, wasmMemoryBytes: b.memory ? [b.memBefore, memAfter] : null };
}
