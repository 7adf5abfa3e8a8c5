// WebCrypto signature verification of a JWS (RFC 7515 §5.2; RFC 7518 §3; RFC 8037) from the
// verification input the Rust core chose (`Client.key` / `check_key`: algorithm parameters,
// the selected public JWK, signature, signing input). Shared by the driver and the browser
// tests (tests/oidc_web.rs). Imported public keys are cached (at most 16, oldest dropped) so a
// JWK is imported once, not per token. Any failure (unsupported algorithm, malformed key) is
// `false`: fail closed.

const keys = new Map();

/** Base64url (RFC 4648 §5, unpadded) to bytes. */
export function fromBase64url(text) {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Bytes to base64url, unpadded. */
export function toBase64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Verifies `input` (`{importAlg, verifyAlg, jwk, signature, data}`, or its JSON text). */
export async function verifySignature(input) {
  try {
    const v = typeof input === "string" ? JSON.parse(input) : input;
    // The core writes the algorithms and the key before the signature: that prefix names the key.
    const id = typeof input === "string" ? input.slice(0, input.indexOf('"signature"')) : JSON.stringify([v.importAlg, v.jwk]);
    let key = keys.get(id);
    if (!key) {
      key = await crypto.subtle.importKey("jwk", v.jwk, v.importAlg, false, ["verify"]);
      if (keys.size >= 16) keys.delete(keys.keys().next().value);
      keys.set(id, key);
    }
    return await crypto.subtle.verify(v.verifyAlg, key, fromBase64url(v.signature), new TextEncoder().encode(v.data));
  } catch {
    return false;
  }
}
