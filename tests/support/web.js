// Test support for tests/web.rs and tests/oidc_web.rs (run in headless Chromium by
// wasm-bindgen-test-runner): browser helpers, and a scripted replacement for `globalThis.fetch`
// that plays the authorization server for the Rust `AuthClient` (discovery, token, JWKS,
// UserInfo, revocation), answering with real `Response` objects and recording every request.

/** `n` bytes from the browser's CSPRNG. */
export function randomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** SHA-256 of `bytes` with WebCrypto (an implementation independent of the Rust core). */
export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** base64url (no padding) of the SHA-256 of the UTF-8 text, with WebCrypto and btoa. */
export async function sha256Base64url(text) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A promise resolved after `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ------------------------------------------------------------------------------ fake fetch

const realFetch = globalThis.fetch;
let fake = null;

/** True while the replacement is installed. */
export function fetchIsFake() {
  return globalThis.fetch !== realFetch;
}

/** Puts the browser's own fetch back (idempotent). */
export function restoreFetch() {
  globalThis.fetch = realFetch;
  fake = null;
}

function wait(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject(signal.reason);
      return;
    }
    const t = setTimeout(resolve, ms);
    if (signal) {
      signal.addEventListener("abort", () => {
        clearTimeout(t);
        reject(signal.reason);
      }, { once: true });
    }
  });
}

/**
 * Replaces `globalThis.fetch` with a scripted server. Each call is recorded (method, url,
 * headers, body, and the request options the caller set: redirect, credentials, cache, mode,
 * referrerPolicy) and answered by the first response queued for its URL with `route` /
 * `routeNetworkError`; a URL with nothing queued is a network error (and recorded as unrouted).
 */
export function installFetch() {
  restoreFetch();
  const f = { routes: new Map(), log: [] };
  fake = f;
  globalThis.fetch = async function fakeFetch(input, init) {
    const req = new Request(input, init);
    const headers = {};
    req.headers.forEach((value, name) => { headers[name] = value; });
    const body = req.method === "GET" || req.method === "HEAD" ? "" : await req.clone().text();
    const record = {
      method: req.method,
      url: req.url,
      headers,
      body,
      redirect: req.redirect,
      credentials: req.credentials,
      cache: req.cache,
      mode: req.mode,
      referrerPolicy: req.referrerPolicy,
      hasSignal: !!req.signal,
      unrouted: false,
    };
    f.log.push(record);
    const queue = f.routes.get(req.url) || [];
    const spec = queue[0];
    if (!spec) {
      record.unrouted = true;
      throw new TypeError("fake fetch: no route for " + req.url);
    }
    if (!spec.repeat) queue.shift();
    if (spec.delayMs > 0) await wait(spec.delayMs, req.signal);
    if (req.signal && req.signal.aborted) throw req.signal.reason;
    if (spec.networkError) throw new TypeError("fake fetch: network error");
    const h = new Headers();
    if (spec.contentType) h.set("content-type", spec.contentType);
    if (spec.challenge) h.set("www-authenticate", spec.challenge);
    return new Response(spec.body, { status: spec.status, headers: h });
  };
}

function queueFor(url) {
  if (!fake) throw new Error("installFetch() first");
  if (!fake.routes.has(url)) fake.routes.set(url, []);
  return fake.routes.get(url);
}

/**
 * Queues an answer for `url`: `status`, `contentType` ("" for none), `body` (text; "" for none),
 * delivered after `delayMs` (aborted with the request's signal), once or, with `repeat`, for
 * every later request too.
 */
export function route(url, status, contentType, body, delayMs, repeat) {
  queueFor(url).push({ status, contentType, body: body === "" ? null : body, delayMs, repeat, networkError: false });
}

/** Queues an answer for `url` with a `WWW-Authenticate` challenge (resource servers). */
export function routeChallenge(url, status, challenge) {
  queueFor(url).push({ status, contentType: "application/json", body: "{}", delayMs: 0, repeat: false, networkError: false, challenge });
}

/** Queues a network failure (fetch rejects with a TypeError) for `url`. */
export function routeNetworkError(url, repeat) {
  queueFor(url).push({ networkError: true, delayMs: 0, repeat });
}

/** Drops every answer still queued for `url`. */
export function clearRoute(url) {
  if (fake) fake.routes.delete(url);
}

/** The requests received so far, oldest first (plain objects, see installFetch). */
export function requests() {
  return fake ? fake.log.slice() : [];
}

// ------------------------------------------------------------------------------ Web Locks

/** Hides `navigator.locks` (as in browsers or contexts without the Web Locks API). */
export function hideWebLocks() {
  Object.defineProperty(navigator, "locks", { value: undefined, configurable: true });
  return navigator.locks === undefined;
}

/** Shows `navigator.locks` again (idempotent). */
export function restoreWebLocks() {
  if (Object.prototype.hasOwnProperty.call(navigator, "locks")) delete navigator.locks;
  return navigator.locks !== undefined;
}
