// spa-oauth: the package's JavaScript API (docs/js-api.md) and its browser I/O.
//
// Every protocol decision is made by the Rust core compiled to WebAssembly (src/wasm/exports.rs):
// which URL and parameters to send, whether a callback, a token response, a JWK Set, an ID
// token, a UserInfo or revocation answer is acceptable, what a refreshed session may change.
// This driver only does what needs the browser, in the order the core's steps dictate: fetch
// (fixed transport policy), crypto.getRandomValues, WebCrypto verification, sessionStorage for
// the login transaction (never a token), Web Locks, BroadcastChannel, timers, events.
// Tokens live in this module's memory only (ARCHITECTURE §6).

import { send as transport } from "./transport.js";
import { toBase64url, verifySignature } from "./webcrypto.js";

// ------------------------------------------------------------------------------- the module
// spa_oauth_bg.wasm imports nothing; its exports (src/wasm/abi.rs): memory, spa_alloc,
// spa_free, spa_run, spa_drop_client.

let wasm;

function instantiated(instance) {
  wasm = (instance.instance ?? instance).exports;
  return { memory: wasm.memory };
}

/** Loads the module: `await init()` (next to this file), or `init({ module_or_path })` with a
 * URL, a Response, bytes or a compiled `WebAssembly.Module`. Resolves once it is ready. */
export default async function init(input) {
  if (wasm) return { memory: wasm.memory };
  input = await (input?.module_or_path ?? input ?? new URL("spa_oauth_bg.wasm", import.meta.url));
  if (typeof input === "string" || input instanceof URL || (typeof Request === "function" && input instanceof Request)) input = await fetch(input);
  if (typeof Response === "function" && input instanceof Response) {
    // Compile while downloading when the server sends application/wasm; else from the bytes.
    if (typeof WebAssembly.instantiateStreaming === "function") {
      try {
        return instantiated(await WebAssembly.instantiateStreaming(input.clone(), {}));
      } catch {}
    }
    input = await input.arrayBuffer();
  }
  return instantiated(await WebAssembly.instantiate(input, {}));
}

/** Loads the module synchronously from bytes or a compiled `WebAssembly.Module`. */
export function initSync(input) {
  if (wasm) return { memory: wasm.memory };
  input = input?.module ?? input;
  return instantiated(new WebAssembly.Instance(input instanceof WebAssembly.Module ? input : new WebAssembly.Module(input), {}));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Copies bytes into a buffer of the module (owned by spa_run from then on). */
function put(bytes) {
  const ptr = wasm.spa_alloc(bytes.length);
  new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
  return ptr;
}

/** Runs step `op` of the client `handle` (0: no client): the result text. */
function call(handle, op, args, bytes) {
  if (!wasm) throw fail("not_initialized");
  let json;
  try {
    // Option objects travel as members of the argument array (parsed once, by the core's strict
    // reader); what JSON cannot carry (a BigInt, a cycle) is a caller mistake.
    json = JSON.stringify(args ?? []);
  } catch {
    throw fail("invalid_config");
  }
  const a = encoder.encode(json);
  const r = wasm.spa_run(handle, op, put(a), a.length, bytes ? put(bytes) : 0, bytes ? bytes.length : -1);
  const ptr = Number(r & 0xffffffffn);
  const len = Number(r >> 32n);
  const text = decoder.decode(new Uint8Array(wasm.memory.buffer, ptr, len));
  wasm.spa_free(ptr, len);
  return text;
}

// A client's Rust half is freed by free(), or when its AuthClient is garbage-collected.
const finalizer = typeof FinalizationRegistry === "function" ? new FinalizationRegistry((h) => wasm.spa_drop_client(h)) : null;

// ------------------------------------------------------------------------------- errors

/** A `SpaOAuthError` from the JSON of a core error: the stable `code` (also the message; see
 * docs/errors.md), and the server's `error`, `error_description`, `error_uri`, `status` when it
 * sent them (untrusted text, never in the message). */
function toError(text) {
  const d = JSON.parse(text);
  const e = fail(d.code);
  for (const k of ["error", "error_description", "error_uri", "status"]) if (d[k] !== undefined) e[k] = d[k];
  return e;
}

/** A `SpaOAuthError` with `code` (and the HTTP `status` that caused it). */
function fail(code, status) {
  const e = new Error(`spa-oauth: ${code}`);
  e.name = "SpaOAuthError";
  e.code = code;
  if (status !== undefined) e.status = status;
  return e;
}

// The core's steps (src/wasm/exports.rs: `run` and `Client::run`; abi.rs), by number.
// Without a client:
const SETTINGS = 1, CALLBACK_KEY = 2, CLEANUP = 3, TXN_CLIENT = 4, LOGOUT_STATE = 5, JWKS = 6,
  SAME_AUTHENTICATION = 7, USERINFO_RESPONSE = 8, REVOCATION_RESPONSE = 9, PKCE_PAIR = 10, AUTHORIZATION_URL = 11,
  CHECK_KEY = 12, CHECK_CLAIMS = 13, NEW_CLIENT = 100;
// Of a client:
const INFO = 20, AUTHORIZE = 21, IS_CALLBACK = 22, CALLBACK = 23, TOKEN_RESPONSE = 24, KEY = 25, CLAIMS = 26,
  REFRESH_REQUEST = 27, USERINFO_REQUEST = 28, REVOCATION_REQUEST = 29, END_SESSION_URL = 30;

/** A step's JSON result text; `!` + error JSON becomes a thrown SpaOAuthError. */
function text(result) {
  if (result[0] === "!") throw toError(result.slice(1));
  return result;
}

/** Runs step `op` (of the client handle `core` when given) with `args` and optional bytes: the
 * result text. */
const raw = (op, args, bytes, core = 0) => text(call(core, op, args, bytes));
/** The same, parsed. */
const step = (op, args, bytes, core) => JSON.parse(raw(op, args, bytes, core));

/** Options read on this side (logout, restore): an object or nothing; typed members. */
function read(options, key, type) {
  if (options != null && typeof options !== "object") throw fail("invalid_config");
  const v = options?.[key];
  if (v != null && typeof v !== type) throw fail("invalid_config");
  return v ?? undefined;
}

// ------------------------------------------------------------------------------- browser

const inWindow = () => typeof window !== "undefined" && typeof location !== "undefined";

function here() {
  if (!inWindow()) throw fail("no_browser_context");
  return location.href;
}

function navigate(url) {
  if (!inWindow()) throw fail("no_browser_context");
  location.assign(url);
}

function random(n) {
  try {
    return crypto.getRandomValues(new Uint8Array(n));
  } catch {
    throw fail("crypto_unavailable");
  }
}

const now = () => Date.now();

/** The hash of an access token with the function the core named for `at_hash` (OIDC Core §3.1.3.6). */
async function digest(input, accessToken) {
  return new Uint8Array(await crypto.subtle.digest(JSON.parse(input).hash, new TextEncoder().encode(accessToken)));
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** fetch with the SDK's fixed transport policy (transport.js); failures as SpaOAuthErrors. */
async function send(request, timeoutMs) {
  try {
    return await transport(request, timeoutMs);
  } catch (code) {
    throw fail(code);
  }
}

const get = (url) => ({ method: "GET", url, headers: [["accept", "application/json"]], body: "" });

/** Removes the named query parameters (and the fragment when `hash`) from the address bar when
 * `url` is the current location. */
function scrub(url, names, hash) {
  if (!inWindow() || location.href !== url) return;
  const u = new URL(url);
  for (const n of names) u.searchParams.delete(n);
  if (hash) u.hash = "";
  history.replaceState(history.state, "", u.href);
}

// sessionStorage: the login transaction (`spa-oauth:txn:<state>`, written by the core) and two
// markers (`spa-oauth:silent:<client>`, `spa-oauth:logout:<state>`: a time, nothing secret).

function storage() {
  if (!inWindow()) throw fail("no_browser_context");
  try {
    if (sessionStorage) return sessionStorage;
  } catch {}
  throw fail("storage_unavailable");
}

function tryStorage() {
  try {
    return storage();
  } catch {
    return null;
  }
}

/** Removes and returns an item (single use: gone whatever happens next). */
function take(key) {
  const s = storage();
  let value;
  try {
    value = s.getItem(key);
  } catch {
    throw fail("storage_unavailable");
  }
  try {
    s.removeItem(key);
  } catch {}
  return value;
}

/** Deletes expired or unreadable transactions; with `clientId`, every transaction of that client. */
function sweep(seconds, clientId) {
  const s = tryStorage();
  if (!s) return;
  try {
    const keys = [];
    for (let i = 0; i < s.length; i++) {
      const k = s.key(i);
      if (k?.startsWith("spa-oauth:txn:")) keys.push(k);
    }
    for (const k of keys) {
      const owner = step(TXN_CLIENT, [s.getItem(k), seconds]);
      if (!owner || owner === clientId) s.removeItem(k);
    }
  } catch {}
}

function mark(kind, id, seconds) {
  try {
    tryStorage()?.setItem(`spa-oauth:${kind}:${id}`, String(Math.floor(seconds)));
  } catch {}
}

/** Age in seconds of a marker, or undefined; `remove` takes it (single use). */
function markAge(kind, id, seconds, remove) {
  const s = tryStorage();
  try {
    const key = `spa-oauth:${kind}:${id}`;
    const v = s?.getItem(key);
    if (remove) s?.removeItem(key);
    return v && /^\d+$/.test(v) ? Math.max(0, seconds - Number(v)) : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves a release() once the Web Lock `name` is held (one refresher across the tabs of this
 * origin). Without Web Locks: at once (each tab on its own; README "Across tabs"). */
function lock(name) {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (typeof locks?.request !== "function") return Promise.resolve(() => {});
  return new Promise((held) => {
    locks.request(name, () => new Promise((release) => held(release))).catch(() => held(() => {}));
  });
}

// ------------------------------------------------------------------------------- sessions
// A session: { at, rt, idt, claims (validated claims JSON), exp (ms | null), scope, obtained (ms) }.

const fresh = (s, t, margin) => s.exp == null || s.exp - t > margin;

/** The configured margin (ms), or half the lifetime when the margin is not shorter than it. */
function margin(s, configured) {
  const lifetime = s.exp == null ? Infinity : s.exp - s.obtained;
  return configured >= lifetime ? Math.max(lifetime / 2, 0) : configured;
}

const sub = (claims) => (claims ? JSON.parse(claims).sub : undefined);

const FIRST_RETRY_MS = 2000;
const MAX_RETRY_MS = 60000;
const JWKS_MAX_AGE_MS = 600000;
const JWKS_REFETCH_COOLDOWN_MS = 60000;
const TAB_ANSWER_MS = 250;
const SILENT_GUARD_SECONDS = 120;
const RANDOM_BYTES = 96;

const made = Symbol();

/** An OAuth 2.0 / OpenID Connect client for one authorization server (RFC 6749 §4.1 with RFC
 * 7636 PKCE). Create it with `await AuthClient.create(options)`. */
export class AuthClient {
  // Private state: nothing of it is reachable from outside (no token on the object).
  #channel;
  #core;
  #handlers;
  #inCallback;
  #info;
  #jwks;
  #kidRefetch;
  #margin;
  #name;
  #notBefore;
  #peers;
  #refreshing;
  #retry;
  #session;
  #tab;
  #timeout;
  #timer;
  #userinfo;
  #wake;

  /** Creates a client; without `authorizationEndpoint` and `tokenEndpoint` it reads the provider
   * metadata first (OIDC Discovery §4 or RFC 8414 §3; exact issuer; no redirects). */
  static async create(options) {
    // One snapshot: the options cannot change between the checks and the build (discovery
    // awaits in between).
    let snapshot;
    try {
      snapshot = JSON.stringify(options);
    } catch {
      throw fail("invalid_config");
    }
    options = snapshot === undefined ? null : JSON.parse(snapshot);
    const settings = step(SETTINGS, [options]);
    let metadata;
    if (settings.discovery) {
      let r;
      try {
        r = await send(get(settings.discovery), settings.timeoutMs);
      } catch (e) {
        throw ["network_error", "timeout", "redirect_refused"].includes(e.code) ? e : fail("discovery_invalid");
      }
      if (r.status !== 200) throw fail("discovery_invalid");
      metadata = r.body;
    }
    return new AuthClient(made, step(NEW_CLIENT, [options], metadata), settings);
  }

  /** Use `AuthClient.create`. */
  constructor(token, core, settings) {
    if (token !== made) throw fail("invalid_config");
    this.#core = core;
    finalizer?.register(this, core, this);
    this.#info = step(INFO, [], undefined, core);
    this.#timeout = settings.timeoutMs;
    this.#margin = settings.refreshMargin * 1000;
    this.#session = null;
    this.#userinfo = null;
    this.#jwks = null;
    this.#kidRefetch = -Infinity;
    this.#inCallback = false;
    this.#refreshing = null;
    this.#retry = FIRST_RETRY_MS;
    this.#notBefore = 0;
    this.#peers = false;
    this.#handlers = [];
    this.#tab = toBase64url(random(12));
    this.#name = `spa-oauth ${this.#info.issuer} ${this.#info.clientId}`;
    this.#channel = null;
    this.#timer = null;
    this.#wake = () => {
      if (document.visibilityState !== "hidden") this.#check();
    };
    if (inWindow() && typeof document !== "undefined") {
      if (typeof BroadcastChannel !== "undefined") {
        this.#channel = new BroadcastChannel(this.#name);
        this.#channel.onmessage = (e) => this.#onMessage(e.data);
      }
      // The page may have slept: visible again, focused, online, restored from the bfcache.
      document.addEventListener("visibilitychange", this.#wake);
      for (const ev of ["focus", "online", "pageshow"]) addEventListener(ev, this.#wake);
      this.#post("hello");
    }
  }

  /** Detaches the client: listeners, channel and timer removed, session dropped from memory. */
  free() {
    this.#clear();
    this.#channel?.close();
    this.#channel = null;
    if (inWindow() && typeof document !== "undefined") {
      document.removeEventListener("visibilitychange", this.#wake);
      for (const ev of ["focus", "online", "pageshow"]) removeEventListener(ev, this.#wake);
    }
    if (this.#core) {
      finalizer?.unregister(this);
      wasm.spa_drop_client(this.#core);
    }
    this.#core = null;
  }

  /** The client's handle in the module; after free() every step fails with `invalid_config`
   * (a freed client never half-works). */
  #live() {
    if (!this.#core) throw fail("invalid_config");
    return this.#core;
  }

  // ---------------------------------------------------------------- login

  #begin(options, silent) {
    const a = step(AUTHORIZE, [options, silent, now() / 1000], random(RANDOM_BYTES), this.#live());
    sweep(now() / 1000);
    const s = storage();
    try {
      s.setItem(a.key, a.value);
    } catch {
      throw fail("storage_unavailable");
    }
    return a.url;
  }

  /** Stores the login transaction and navigates to the authorization endpoint. */
  async loginWithRedirect(options) {
    navigate(this.#begin(options, false));
  }

  /** Stores the login transaction and returns the authorization URL. */
  async createAuthorizationUrl(options) {
    return this.#begin(options, false);
  }

  /** True when `url` (default: the current location) is an authorization response for this client. */
  isRedirectCallback(url) {
    url ??= inWindow() ? location.href : undefined;
    return typeof url === "string" && !!this.#core && step(IS_CALLBACK, [url], undefined, this.#core);
  }

  /** Completes a login: validates the response, cleans the address bar, exchanges the code. */
  async handleRedirectCallback(url) {
    url ??= here();
    if (this.#inCallback) throw fail("callback_in_progress");
    this.#inCallback = true;
    try {
      return await this.#callback(String(url));
    } finally {
      this.#inCallback = false;
    }
  }

  async #callback(url) {
    const core = this.#live();
    const seconds = now() / 1000;
    let accepted, error;
    try {
      const stored = take(step(CALLBACK_KEY, [url]));
      accepted = step(CALLBACK, [url, stored, seconds], undefined, core);
    } catch (e) {
      error = e;
    }
    const { names, hash } = step(CLEANUP, [url]);
    scrub(url, names, hash);
    if (error) {
      // The flow is spent: drop every transaction of this client in this tab.
      sweep(seconds, this.#info.clientId);
      throw error;
    }
    const r = await send(accepted.request, this.#timeout);
    const receivedAt = now();
    const t = step(TOKEN_RESPONSE, [r.status, r.type, r.challenge, accepted.scope, accepted.idToken, receivedAt / 1000], r.body, core);
    const claims = t.idToken ? await this.#verify(t.idToken, accepted.nonce, false, accepted.maxAge, t.accessToken) : null;
    const session = { at: t.accessToken, rt: t.refreshToken, idt: t.idToken, claims, exp: t.expiresAt, scope: t.scope, obtained: receivedAt };
    markAge("silent", this.#info.clientId, 0, true);
    // Replace the session only now that everything checked out (never half-applied).
    this.#session = session;
    this.#userinfo = null;
    this.#broadcast();
    this.#schedule();
    return { scope: session.scope, expiresAt: session.exp };
  }

  // ---------------------------------------------------------------- ID tokens

  async #fetchJwks() {
    const url = this.#info.jwksUri;
    if (!url) throw fail("metadata_missing");
    const r = await send(get(url), this.#timeout);
    if (r.status !== 200) throw fail("jwks_invalid", r.status); // JW-08: fail closed
    step(JWKS, [], r.body);
    this.#jwks = { body: r.body, at: now() };
  }

  /** The verification input of `idToken`: cached keys, else a fresh JWK Set; an unknown `kid`
   * refetches once per cooldown (a rotation is survived, a kid flood is not amplified). */
  async #keyFor(idToken) {
    const core = this.#live();
    step(KEY, [idToken], undefined, core);
    const c = this.#jwks;
    if (c && now() - c.at < JWKS_MAX_AGE_MS) {
      try {
        return raw(KEY, [idToken], c.body, core);
      } catch (e) {
        if (e.code !== "key_not_found" || now() - this.#kidRefetch < JWKS_REFETCH_COOLDOWN_MS) throw e;
        this.#kidRefetch = now();
      }
    }
    await this.#fetchJwks();
    return raw(KEY, [idToken], this.#jwks.body, core);
  }

  /** Signature with WebCrypto, then the claims (OIDC Core §3.1.3.7): the claims JSON. */
  async #verify(idToken, nonce, nonceOptional, maxAge, accessToken) {
    const input = await this.#keyFor(idToken);
    if (!(await verifySignature(input))) throw fail("signature_invalid");
    return raw(CLAIMS, [idToken, nonce, nonceOptional, maxAge, now() / 1000], await digest(input, accessToken), this.#live());
  }

  // ---------------------------------------------------------------- session accessors

  /** True when an unexpired access token is in memory. */
  isAuthenticated() {
    return !!this.#session && fresh(this.#session, now(), 0);
  }

  /** Access-token expiry in ms since the epoch; null when unknown or logged out. */
  getTokenExpiry() {
    return this.#session?.exp ?? null;
  }

  /** The granted scope; null when logged out. */
  getGrantedScope() {
    return this.#session ? this.#session.scope : null;
  }

  /** The validated claims of the current ID token, or null. */
  getIdTokenClaims() {
    const c = this.#session?.claims;
    return c ? JSON.parse(c) : null;
  }

  /** The ID-token claims merged with the last UserInfo response (which wins), or null. */
  getUser() {
    const claims = this.getIdTokenClaims();
    return claims && this.#userinfo ? Object.assign(claims, JSON.parse(this.#userinfo)) : claims;
  }

  /** Calls the UserInfo endpoint (OIDC Core §5.3) and resolves its claims; `sub` must match. */
  async getUserInfo() {
    if (!this.#info.userinfo) throw fail("metadata_missing");
    const s = this.#session;
    const expected = s && fresh(s, now(), 0) ? sub(s.claims) : undefined;
    if (typeof expected !== "string") throw fail("login_required");
    const r = await send(step(USERINFO_REQUEST, [s.at], undefined, this.#live()), this.#timeout);
    const info = raw(USERINFO_RESPONSE, [r.status, r.type, r.challenge, expected], r.body);
    // The session may have changed while the request was in flight: keep only a match.
    if (sub(this.#session?.claims) !== expected) throw fail("login_required");
    const value = JSON.parse(info);
    this.#userinfo = info;
    return value;
  }

  // ---------------------------------------------------------------- events

  /** Subscribes `handler` to `tokenRefreshed`, `sessionExpired`, `loggedOut` or `error`. */
  on(event, handler) {
    if (typeof handler !== "function") throw fail("invalid_config");
    this.#handlers.push([String(event), handler]);
  }

  /** Unsubscribes a handler given to `on`. */
  off(event, handler) {
    this.#handlers = this.#handlers.filter(([e, f]) => !(e === event && f === handler));
  }

  #emit(event, payload) {
    for (const [e, f] of this.#handlers.slice()) {
      if (e !== event) continue;
      try {
        f(payload);
      } catch {}
    }
  }

  // ---------------------------------------------------------------- tabs and timers

  #post(kind, extra) {
    this.#channel?.postMessage({ t: kind, from: this.#tab, ...extra });
  }

  #broadcast() {
    if (this.#session) this.#post("session", { s: this.#session });
  }

  #onMessage(m) {
    if (!m || typeof m.t !== "string" || typeof m.from !== "string" || m.from === this.#tab) return;
    this.#peers = true;
    if (m.t === "hello") this.#broadcast();
    else if (m.t === "session") {
      const s = m.s;
      const text = (v) => v == null || typeof v === "string";
      const valid = s && typeof s.at === "string" && s.at && typeof s.obtained === "number" && typeof s.scope === "string" &&
        text(s.rt) && text(s.idt) && text(s.claims) && (s.exp == null || typeof s.exp === "number");
      // Only a newer session replaces ours: a late answer never brings back a rotated-away RT.
      if (!valid || (this.#session && !(s.obtained > this.#session.obtained))) return;
      if (sub(this.#session?.claims) !== sub(s.claims)) this.#userinfo = null;
      this.#session = s;
      this.#schedule();
      this.#emit("tokenRefreshed", { expiresAt: s.exp ?? null, source: "tab" });
    } else if (m.t === "logout" && this.#clear()) this.#emit("loggedOut", { code: "logged_out" });
    else if (m.t === "expired" && this.#clear()) this.#emit("sessionExpired", { code: "login_required" });
  }

  /** Drops the session, cached UserInfo and renewal timer of this tab; true if there was a session. */
  #clear() {
    const had = !!this.#session;
    this.#session = null;
    this.#userinfo = null;
    this.#setTimer(null);
    return had;
  }

  #setTimer(ms) {
    clearTimeout(this.#timer);
    this.#timer = ms == null || !this.#core ? null : setTimeout(() => this.#check(), Math.min(Math.max(ms, 0), 2147483647));
  }

  /** Arms the renewal timer on the absolute expiry minus the margin (hidden tabs' timers may be
   * throttled: `#check` also runs on every wake-up). */
  #schedule() {
    const s = this.#session;
    // A little late: a timer that fires before the due instant would find nothing to do.
    this.#setTimer(s?.rt && s.exp != null ? s.exp - margin(s, this.#margin) - now() + 101 : null);
  }

  #check() {
    if (!this.#core) return;
    const s = this.#session;
    if (s?.rt && !fresh(s, now(), margin(s, this.#margin)) && now() >= this.#notBefore) this.#refresh().catch(() => {});
    else if (!this.#refreshing && now() >= this.#notBefore) this.#schedule();
  }

  // ---------------------------------------------------------------- access tokens and refresh

  /** The access token: the one in memory while it has more than the margin left, else a
   * refreshed one (one request however many callers and tabs ask at once). */
  async getAccessToken() {
    const s = this.#session;
    if (!s) throw fail("login_required");
    const t = now();
    if (fresh(s, t, margin(s, this.#margin))) return s.at;
    const valid = fresh(s, t, 0);
    // After a failed refresh, callers get the still-valid token until the backoff ends.
    if (s.rt) return valid && t < this.#notBefore ? s.at : this.#refresh();
    if (valid) return s.at;
    throw fail("login_required");
  }

  /** Starts a refresh, or joins the one in flight (single flight in this tab). */
  #refresh() {
    this.#refreshing ??= this.#acrossTabs().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /** Holds the origin-wide Web Lock while refreshing, so exactly one tab presents the refresh
   * token; the others receive the outcome over the BroadcastChannel while they wait. */
  async #acrossTabs() {
    const release = await lock(this.#name);
    try {
      if (this.#peers) await this.#catchUp();
      return await this.#refreshLocked();
    } catch (e) {
      if (e.code !== "login_required") this.#emit("error", e);
      throw e;
    } finally {
      release();
    }
  }

  /** With the lock held, wait (≤ 150 ms, only with other tabs) for their newest session: the
   * lock can be granted before the previous holder's broadcast is delivered, and a hello round
   * trip cannot overtake it (a channel delivers one sender's messages in order). */
  async #catchUp() {
    const ok = () => this.#session && fresh(this.#session, now(), margin(this.#session, this.#margin));
    if (ok()) return;
    this.#post("hello");
    for (let waited = 0; waited < 150 && !ok(); waited += 10) await sleep(10);
  }

  async #refreshLocked() {
    const core = this.#live();
    const s = this.#session;
    if (!s) throw fail("login_required");
    // Another tab may have refreshed while we waited for the lock.
    if (fresh(s, now(), margin(s, this.#margin))) return s.at;
    if (!s.rt) throw fail("login_required");
    const request = step(REFRESH_REQUEST, [s.rt], undefined, core);
    let r;
    try {
      r = await send(request, this.#timeout);
    } catch (e) {
      return this.#transient(e);
    }
    if (r.status >= 500) return this.#transient(fail("token_response_status", r.status));
    const receivedAt = now();
    let t;
    try {
      t = step(TOKEN_RESPONSE, [r.status, r.type, r.challenge, s.scope, false, receivedAt / 1000], r.body, core);
    } catch (e) {
      if (e.code === "token_error" && e.error === "invalid_grant") {
        // RT-03: revoked, expired or reused: the session is over, in every tab. No retry.
        this.#expire();
        const over = fail("login_required");
        for (const k of ["error", "error_description", "status"]) if (e[k] !== undefined) over[k] = e[k];
        throw over;
      }
      // Any other refusal or malformed answer: keep the session, back off, report.
      return this.#transient(e);
    }
    // The session may have ended while the request was in flight (logout here or in another tab).
    if (this.#session?.rt !== s.rt) throw fail("login_required");
    let claims = null;
    if (t.idToken) {
      try {
        claims = await this.#verify(t.idToken, s.claims ? JSON.parse(s.claims).nonce : undefined, true, undefined, t.accessToken);
      } catch (e) {
        // RT-09: the whole response is discarded; the session stays as it was.
        return this.#transient(e);
      }
      if (s.claims) {
        try {
          step(SAME_AUTHENTICATION, [s.claims, claims]);
        } catch (e) {
          // RT-05/06/07: never a silent user switch.
          this.#expire();
          throw e;
        }
      }
    }
    const current = this.#session;
    if (current?.rt !== s.rt) throw fail("login_required");
    // RFC 6749 §6: a new refresh token replaces the old one (rotation), none keeps it (RT-01/02).
    this.#session = {
      at: t.accessToken,
      rt: t.refreshToken ?? current.rt,
      idt: t.idToken ?? current.idt,
      claims: claims ?? current.claims,
      exp: t.expiresAt,
      scope: t.scope,
      obtained: receivedAt,
    };
    this.#retry = FIRST_RETRY_MS;
    this.#notBefore = 0;
    this.#broadcast();
    this.#schedule();
    this.#emit("tokenRefreshed", { expiresAt: t.expiresAt, source: "refresh" });
    return t.accessToken;
  }

  /** A network error, time-out, 5xx or unusable answer: keep the tokens, hand out the
   * still-valid access token if there is one, retry later with backoff (2 s doubling to 60 s). */
  #transient(e) {
    const delay = this.#retry;
    this.#retry = Math.min(delay * 2, MAX_RETRY_MS);
    this.#notBefore = now() + delay;
    this.#setTimer(delay);
    const s = this.#session;
    if (s && fresh(s, now(), 0)) {
      this.#emit("error", e);
      return s.at;
    }
    throw e;
  }

  /** The session is over in every tab (invalid_grant, user changed). */
  #expire() {
    if (this.#clear()) {
      this.#post("expired");
      this.#emit("sessionExpired", { code: "login_required" });
    }
  }

  // ---------------------------------------------------------------- restore

  /** Restores the session after a reload: from another tab, else (unless `silent: false`) one
   * top-level `prompt=none` redirect at most every two minutes. True when a session is here now. */
  async restoreSession(options) {
    const silent = read(options, "silent", "boolean") ?? true;
    const s = this.#session;
    // A valid token, or a refresh token getAccessToken() can renew with: nothing to restore.
    if (s && (fresh(s, now(), 0) || s.rt)) return true;
    this.#post("hello");
    for (let waited = 0; waited < TAB_ANSWER_MS; ) {
      await sleep(50);
      waited += 50;
      if (this.#session) return true;
    }
    const seconds = now() / 1000;
    if (!silent || markAge("silent", this.#info.clientId, seconds, false) < SILENT_GUARD_SECONDS) return false;
    const url = this.#begin(undefined, true);
    mark("silent", this.#info.clientId, seconds);
    navigate(url);
    return false;
  }

  // ---------------------------------------------------------------- logout

  /** Logs out: memory in every tab first, then RFC 7009 revocation (failures reported, the local
   * logout stands), then RP-initiated logout (OIDC RP-Initiated Logout 1.0). */
  async logout(options) {
    const postLogout = read(options, "postLogoutRedirectUri", "string");
    const revoke = read(options, "revoke", "boolean") ?? true;
    const redirect = read(options, "redirect", "boolean") ?? true;
    const core = this.#live();
    const s = this.#session;
    const seconds = now() / 1000;
    this.#clear();
    sweep(seconds, this.#info.clientId);
    this.#post("logout");
    if (s) this.#emit("loggedOut", { code: "logged_out" });
    let first;
    if (revoke && s && this.#info.revocation) {
      for (const [token, isRefresh] of s.rt ? [[s.rt, true], [s.at, false]] : [[s.at, false]]) {
        try {
          const request = step(REVOCATION_REQUEST, [token, isRefresh], undefined, core);
          let r;
          try {
            r = await send(request, this.#timeout);
          } catch (e) {
            const failed = fail("revocation_failed");
            failed.error = e.code;
            throw failed;
          }
          step(REVOCATION_RESPONSE, [r.status, r.type], r.body);
        } catch (e) {
          this.#emit("error", e);
          first ??= e;
        }
      }
    }
    if (redirect) {
      const state = toBase64url(random(32));
      const url = step(END_SESSION_URL, [s?.idt, postLogout, state], undefined, core);
      if (url) {
        if (postLogout) mark("logout", state, seconds);
        navigate(url);
        return;
      }
    }
    if (first) throw first;
  }

  /** After an RP-initiated logout: true when `url` (default: the current location) carries the
   * `state` of a logout started in this tab (LO-01, LO-02). Removes `state` from the address bar. */
  handleLogoutCallback(url) {
    url ??= inWindow() ? location.href : undefined;
    if (typeof url !== "string") return false;
    const state = step(LOGOUT_STATE, [url]);
    scrub(url, ["state"], false);
    // A logout state lives as long as a login transaction (10 minutes).
    return !!state && markAge("logout", state, now() / 1000, true) <= 600;
  }
}

// ------------------------------------------------------------------------------- low level

/** A fresh PKCE pair (RFC 7636 §4.1, §4.2). */
export function createPkcePair() {
  return step(PKCE_PAIR, [], random(32));
}

/** An authorization request URL (RFC 6749 §4.1.1, RFC 7636 §4.3) with fresh state, nonce and
 * PKCE, stored nowhere: the caller keeps `state`, `nonce`, `codeVerifier`. */
export function buildAuthorizationUrl(options) {
  return step(AUTHORIZATION_URL, [options, now() / 1000], random(RANDOM_BYTES));
}

/** Validates an ID token on its own (OIDC Core §3.1.3.7) with `options.jwks` (a JWK Set object or
 * JSON text): signature with WebCrypto, then the claims. Resolves the claims. */
export async function validateIdToken(idToken, options) {
  // The JWK Set travels as bytes (its JSON text), the other options as an object.
  let args = [String(idToken), options];
  let jwks = new Uint8Array(0);
  if (options && typeof options === "object" && options.jwks != null) {
    const j = options.jwks;
    try {
      jwks = encoder.encode(typeof j === "string" ? j : JSON.stringify(j));
    } catch {
      throw fail("invalid_config");
    }
    args = [args[0], { ...options, jwks: undefined }];
  }
  const input = raw(CHECK_KEY, args, jwks);
  if (!(await verifySignature(input))) throw fail("signature_invalid");
  const at = options?.accessToken;
  return step(CHECK_CLAIMS, [...args, now() / 1000], typeof at === "string" ? await digest(input, at) : undefined);
}
