//! WebCrypto signature verification of a JWS with a JWK (RFC 7515 §5.2; RFC 7518 §3; RFC 8037).
//! This module is the only constructor of [`VerifiedJws`]: the claim checks of the core run
//! only on tokens that went through [`verify`].

use js_sys::{Object, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::core::error::{Error, ErrorCode};
use crate::core::jwk::{Jwk, PublicKey};
use crate::core::jws::{AlgFamily, UnverifiedJws, VerifiedJws};

use super::options::set;

#[wasm_bindgen(module = "/src/wasm/browser.js")]
extern "C" {
    #[wasm_bindgen(js_name = verifySignature)]
    async fn verify_signature(import_alg: Object, jwk: Object, verify_alg: Object, signature: Uint8Array, data: Uint8Array) -> JsValue;
}

fn obj(pairs: &[(&str, &str)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        set(&o, k, &JsValue::from_str(v));
    }
    o
}

fn hash_name(bits: u16) -> &'static str {
    match bits {
        256 => "SHA-256",
        384 => "SHA-384",
        _ => "SHA-512",
    }
}

/// Verifies `jws` with `key` using `crypto.subtle`. Errors: [`ErrorCode::SignatureInvalid`]
/// (also for a key/algorithm mismatch or a key WebCrypto refuses: fail closed).
pub async fn verify(jws: UnverifiedJws, key: &Jwk) -> Result<VerifiedJws, Error> {
    if !key.fits(jws.alg) {
        return Err(ErrorCode::SignatureInvalid.into());
    }
    let jwk = match &key.key {
        PublicKey::Rsa { n, e } => obj(&[("kty", "RSA"), ("n", n), ("e", e)]),
        PublicKey::Ec { crv, x, y } => obj(&[("kty", "EC"), ("crv", crv), ("x", x), ("y", y)]),
        PublicKey::Ed25519 { x } => obj(&[("kty", "OKP"), ("crv", "Ed25519"), ("x", x)]),
    };
    let hash = hash_name(jws.alg.hash_bits());
    let (import_alg, verify_alg) = match jws.alg.family() {
        AlgFamily::RsaPkcs1 => (obj(&[("name", "RSASSA-PKCS1-v1_5"), ("hash", hash)]), obj(&[("name", "RSASSA-PKCS1-v1_5")])),
        AlgFamily::RsaPss => {
            let v = obj(&[("name", "RSA-PSS")]);
            // RFC 7518 §3.5: salt length equals the hash output length.
            set(&v, "saltLength", &JsValue::from_f64((jws.alg.hash_bits() / 8) as f64));
            (obj(&[("name", "RSA-PSS"), ("hash", hash)]), v)
        }
        AlgFamily::Ecdsa(curve) => (obj(&[("name", "ECDSA"), ("namedCurve", curve)]), obj(&[("name", "ECDSA"), ("hash", hash)])),
        AlgFamily::Ed25519 => (obj(&[("name", "Ed25519")]), obj(&[("name", "Ed25519")])),
    };
    let ok = verify_signature(
        import_alg,
        jwk,
        verify_alg,
        Uint8Array::from(jws.signature.as_slice()),
        Uint8Array::from(jws.signing_input.as_slice()),
    )
    .await;
    if ok.as_bool() == Some(true) {
        Ok(VerifiedJws::after_signature_check(jws))
    } else {
        Err(ErrorCode::SignatureInvalid.into())
    }
}
