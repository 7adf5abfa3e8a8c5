// Browser plumbing that wasm-bindgen would otherwise express with dozens of web-sys imports
// (ARCHITECTURE §9: small snippets for what wasm-bindgen expresses poorly). No protocol logic:
// the Rust core decides what to send and judges what came back.

// fetch with the SDK's fixed transport policy: never follow redirects, never send cookies,
// never cache, no referrer, abort after `timeoutMs`. Resolves [status, contentType, bytes] or
// a number: 0 network/CORS failure, 1 timeout, 2 redirect. (WWW-Authenticate is 4th when the
// server exposes it to CORS.)
export async function httpSend(method, url, headers, body, timeoutMs) {
  let response;
  try {
    response = await fetch(url, {
      method, headers, body: method === "GET" ? undefined : body, redirect: "manual", credentials: "omit", cache: "no-store",
      mode: "cors", referrerPolicy: "no-referrer", signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) return 2;
    const bytes = new Uint8Array(await response.arrayBuffer());
    return [response.status, response.headers.get("content-type"), bytes, response.headers.get("www-authenticate")];
  } catch (e) {
    return e && e.name === "TimeoutError" ? 1 : 0;
  }
}

// Removes the named query parameters (and the fragment when `clearHash`) from the address bar
// when `url` is the current location.
export function replaceUrlWithout(url, names, clearHash) {
  if (typeof location === "undefined" || location.href !== url) return;
  const u = new URL(url);
  for (const n of names) u.searchParams.delete(n);
  if (clearHash) u.hash = "";
  history.replaceState(history.state, "", u.href);
}

// WebCrypto signature verification: importKey (public JWK, non-extractable, verify only) +
// verify. Imported public keys are cached (at most 16, oldest dropped) so a JWK is imported once,
// not per token. Any failure (unsupported algorithm, malformed key) is `false`: fail closed.
const keyCache = new Map();
export async function verifySignature(importAlg, jwk, verifyAlg, signature, data) {
  try {
    const id = JSON.stringify([importAlg, jwk]);
    let key = keyCache.get(id);
    if (!key) {
      key = await crypto.subtle.importKey("jwk", jwk, importAlg, false, ["verify"]);
      if (keyCache.size >= 16) keyCache.delete(keyCache.keys().next().value);
      keyCache.set(id, key);
    }
    return await crypto.subtle.verify(verifyAlg, key, signature, data);
  } catch (e) {
    return false;
  }
}

// ---- token lifecycle plumbing (the decisions are in Rust) ----

// Resolves with a release() function once the Web Lock `name` is held (navigator.locks: one
// refresher across the tabs of this origin). Without Web Locks: resolves at once (single-tab
// semantics; see README "Across tabs").
export function acquireLock(name) {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (!locks || typeof locks.request !== "function") return Promise.resolve(() => {});
  return new Promise((held) => {
    locks.request(name, () => new Promise((release) => held(release))).catch(() => held(() => {}));
  });
}

// A BroadcastChannel delivering messages to `onMessage`, or null where there is none.
export function openChannel(name, onMessage) {
  if (typeof BroadcastChannel === "undefined") return null;
  const channel = new BroadcastChannel(name);
  channel.onmessage = (e) => onMessage(e.data);
  return channel;
}

export function postToChannel(channel, message) {
  if (channel) channel.postMessage(message);
}

// Calls `callback` when the page may have slept: visible again, focused, back online, or
// restored from the back-forward cache (timers of background tabs are throttled or frozen).
export function onWake(callback) {
  if (typeof addEventListener !== "function" || typeof document === "undefined") return;
  const wake = () => { if (document.visibilityState !== "hidden") callback(); };
  document.addEventListener("visibilitychange", wake);
  addEventListener("focus", wake);
  addEventListener("online", wake);
  addEventListener("pageshow", wake);
}

export function setTimer(ms, callback) {
  return setTimeout(callback, ms);
}

export function clearTimer(id) {
  clearTimeout(id);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A background promise nobody awaits: its rejection is reported through the SDK's "error"
// event, not as an unhandled rejection.
export function detach(promise) {
  promise.catch(() => {});
}
