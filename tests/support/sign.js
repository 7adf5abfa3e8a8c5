// Test support: real WebCrypto keys and signatures for JWS algorithms (RFC 7518, RFC 8037).
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const enc = (obj) => b64url(new TextEncoder().encode(JSON.stringify(obj)));

function params(alg) {
  const hash = "SHA-" + (alg === "EdDSA" ? "512" : alg.slice(2));
  switch (alg.slice(0, 2)) {
    case "RS": return { gen: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash }, sign: { name: "RSASSA-PKCS1-v1_5" } };
    case "PS": return { gen: { name: "RSA-PSS", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash }, sign: { name: "RSA-PSS", saltLength: Number(alg.slice(2)) / 8 } };
    case "ES": {
      const namedCurve = { ES256: "P-256", ES384: "P-384", ES512: "P-521" }[alg];
      return { gen: { name: "ECDSA", namedCurve }, sign: { name: "ECDSA", hash } };
    }
    default: return { gen: { name: "Ed25519" }, sign: { name: "Ed25519" } };
  }
}

const keys = new Map();
// A key pair per (alg, label), generated once per test run.
export async function keyPair(alg, label) {
  const id = alg + "/" + label;
  if (!keys.has(id)) {
    const p = params(alg);
    const pair = await crypto.subtle.generateKey(p.gen, true, ["sign", "verify"]);
    const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
    delete jwk.key_ops; delete jwk.ext; delete jwk.alg;
    jwk.kid = id;
    keys.set(id, { pair, jwk, sign: p.sign });
  }
  return keys.get(id);
}

// Signs `claims` with the key (alg, label); `headerAlg` lets a test lie about the alg.
export async function signToken(alg, label, headerAlg, claims, withKid) {
  const k = await keyPair(alg, label);
  const header = { alg: headerAlg, typ: "JWT" };
  if (withKid) header.kid = k.jwk.kid;
  const input = enc(header) + "." + enc(claims);
  const sig = await crypto.subtle.sign(k.sign, k.pair.privateKey, new TextEncoder().encode(input));
  return input + "." + b64url(sig);
}

export async function publicJwks(alg, labels) {
  const out = [];
  for (const l of labels) out.push((await keyPair(alg, l)).jwk);
  return JSON.stringify({ keys: out });
}

// Times `n` raw crypto.subtle.verify calls of a token (the floor for the ID-token benchmark).
export async function rawVerifyMs(alg, label, token, n) {
  const k = await keyPair(alg, label);
  const [h, p, s] = token.split(".");
  const data = new TextEncoder().encode(h + "." + p);
  const sig = Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await crypto.subtle.verify(k.sign, k.pair.publicKey, sig, data);
  return performance.now() - t0;
}

// `at_hash` of an access token for an ID token signed with `alg` (OIDC Core §3.1.3.6): the
// base64url of the left half of its SHA-2 hash (SHA-512 for EdDSA), computed with WebCrypto.
export async function atHash(alg, accessToken) {
  const bits = alg === "EdDSA" ? "512" : alg.slice(2);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-" + bits, new TextEncoder().encode(accessToken)));
  return b64url(digest.slice(0, digest.length / 2));
}
