// Test support for tests/web.rs: the browser I/O the JavaScript driver (src/wasm/driver.js) does
// around the synchronous exports, done here with the same real browser APIs.

/** `n` bytes from the browser's CSPRNG (what the driver's `random(n)` passes to the exports). */
export function randomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** SHA-256 of `bytes` with WebCrypto (an implementation independent of the Rust core). */
export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}
