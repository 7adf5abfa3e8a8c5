// The package must import without a browser (server-side rendering): no window, no document.
// Then, instantiated from bytes in Node, operations that need a window fail with a clear code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const pkg = new URL("../../pkg/", import.meta.url);

test("importing the package touches no browser global", async () => {
  assert.equal(typeof globalThis.window, "undefined");
  const touched = [];
  for (const name of ["window", "document", "location", "sessionStorage", "localStorage"]) {
    Object.defineProperty(globalThis, name, { configurable: true, get() { touched.push(name); return undefined; } });
  }
  try {
    const mod = await import(new URL("spa_oauth.js", pkg));
    assert.equal(typeof mod.default, "function");
    assert.equal(typeof mod.AuthClient, "function");
    assert.deepEqual(touched, []);
    // Before init() the module is not there: wasm-bindgen's glue throws (docs/js-api.md "Loading").
    assert.throws(() => mod.createPkcePair(), TypeError);
  } finally {
    for (const name of ["window", "document", "location", "sessionStorage", "localStorage"]) delete globalThis[name];
  }
});

test("the full build (spa-oauth-wasm/full) imports without a window and refuses fetch to an unlisted URL", async () => {
  const mod = await import(new URL("full/spa_oauth.js", pkg));
  mod.initSync({ module: readFileSync(new URL("full/spa_oauth_bg.wasm", pkg)) });
  const auth = await mod.AuthClient.create({
    issuer: "https://as.example", authorizationEndpoint: "https://as.example/auth",
    tokenEndpoint: "https://as.example/token", clientId: "c", redirectUri: "https://app.example/cb",
    resourceServers: ["https://api.example/"],
  });
  assert.equal(typeof auth.fetch, "function");
  await assert.rejects(auth.fetch("https://elsewhere.example/data"), (e) => e.code === "resource_not_allowed");
  await assert.rejects(auth.fetch("https://api.example/data"), (e) => e.code === "login_required");
  assert.deepEqual(auth.tokens(), []);
  await assert.rejects(mod.AuthClient.create({
    issuer: "https://as.example", authorizationEndpoint: "https://as.example/auth",
    tokenEndpoint: "https://as.example/token", clientId: "c", redirectUri: "https://app.example/cb",
    resourceServers: ["http://api.example/"],
  }), (e) => e.code === "insecure_endpoint");
  // The default build has none of it, and refuses its options instead of ignoring them.
  const core = await import(new URL("spa_oauth.js", pkg));
  core.initSync({ module: readFileSync(new URL("spa_oauth_bg.wasm", pkg)) });
  assert.equal(typeof core.AuthClient.prototype.fetch, "undefined");
  for (const extra of [{ resourceServers: [] }, { dpop: true }, { par: true }, { resourceIndicators: false }]) {
    await assert.rejects(core.AuthClient.create({
      issuer: "https://as.example", authorizationEndpoint: "https://as.example/auth",
      tokenEndpoint: "https://as.example/token", clientId: "c", redirectUri: "https://app.example/cb", ...extra,
    }), (e) => e.code === "invalid_config", JSON.stringify(extra));
  }
});

test("without a window: create works, redirect-based calls reject with no_browser_context", async () => {
  const mod = await import(new URL("spa_oauth.js", pkg));
  mod.initSync({ module: readFileSync(new URL("spa_oauth_bg.wasm", pkg)) });
  const auth = await mod.AuthClient.create({
    issuer: "https://as.example", authorizationEndpoint: "https://as.example/auth",
    tokenEndpoint: "https://as.example/token", clientId: "c", redirectUri: "https://app.example/cb",
  });
  assert.equal(auth.isAuthenticated(), false);
  assert.equal(auth.isRedirectCallback(), false);
  await assert.rejects(auth.loginWithRedirect(), (e) => e instanceof Error && e.code === "no_browser_context");
  await assert.rejects(auth.handleRedirectCallback(), (e) => e.code === "no_browser_context");
  await assert.rejects(auth.getAccessToken(), (e) => e.code === "login_required");
  // Node has WebCrypto's getRandomValues: the low-level helper works server-side too.
  const pair = mod.createPkcePair();
  assert.match(pair.codeVerifier, /^[A-Za-z0-9_-]{43}$/);
  await assert.rejects(mod.AuthClient.create({ issuer: "http://as.example" }), (e) => e.code === "invalid_config" || e.code === "insecure_endpoint");
});
