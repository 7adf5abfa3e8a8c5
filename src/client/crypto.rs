//! WebCrypto (`crypto.subtle`) for ID tokens: signature verification of a JWS with a JWK
//! (RFC 7515 §5.2; RFC 7518 §3; RFC 8037) and the access-token hash for `at_hash` (OIDC Core
//! §3.1.3.6). [`verify`] is the only place in the client that constructs a [`VerifiedJws`]: the
//! core's claim checks run only on tokens that went through it. Imported public keys are cached
//! (at most 16, oldest dropped) so a JWK is imported once, not per token.

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::core::error::{Error, ErrorCode};
use crate::core::id_token::{self, Expectations, IdTokenClaims};
use crate::core::jwk::{self, Jwk, PublicKey};
use crate::core::jws::{Alg, AlgFamily, UnverifiedJws, VerifiedJws};

use super::LocalFuture;

thread_local! {
    static KEYS: RefCell<Vec<(String, CryptoKey)>> = const { RefCell::new(Vec::new()) };
}

const KEY_CACHE: usize = 16;

pub(crate) fn subtle() -> Result<SubtleCrypto, Error> {
    Reflect::get(&js_sys::global(), &"crypto".into())
        .ok()
        .filter(JsValue::is_object)
        .map(|c| c.unchecked_into::<web_sys::Crypto>().subtle())
        .ok_or_else(|| ErrorCode::CryptoUnavailable.into())
}

pub(crate) fn obj(pairs: &[(&str, &str)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o
}

/// The WebCrypto name of the hash of `alg`.
pub(crate) fn hash_name(alg: Alg) -> &'static str {
    match alg.hash_bits() {
        256 => "SHA-256",
        384 => "SHA-384",
        _ => "SHA-512",
    }
}

/// Verifies `jws` with `key`. Errors: [`ErrorCode::SignatureInvalid`] (also for a key/algorithm
/// mismatch or a key WebCrypto refuses: fail closed), [`ErrorCode::CryptoUnavailable`].
pub(crate) fn verify(jws: UnverifiedJws, key: &Jwk) -> LocalFuture<'_, Result<VerifiedJws, Error>> {
    Box::pin(verify_inner(jws, key))
}

async fn verify_inner(jws: UnverifiedJws, key: &Jwk) -> Result<VerifiedJws, Error> {
    if !key.fits(jws.alg) {
        return Err(ErrorCode::SignatureInvalid.into());
    }
    let subtle = subtle()?;
    // The cache key: the algorithm (one JWK under two algorithms is two keys) and the key
    // material. The key objects for WebCrypto are built only on a miss.
    let id = match &key.key {
        PublicKey::Rsa { n, e } => [jws.alg.name(), " ", n, " ", e].concat(),
        PublicKey::Ec { crv, x, y } => [jws.alg.name(), " ", crv, " ", x, " ", y].concat(),
        PublicKey::Ed25519 { x } => [jws.alg.name(), " ", x].concat(),
    };
    let hash = hash_name(jws.alg);
    let verify_alg = match jws.alg.family() {
        AlgFamily::RsaPkcs1 => obj(&[("name", "RSASSA-PKCS1-v1_5")]),
        AlgFamily::RsaPss => {
            let v = obj(&[("name", "RSA-PSS")]);
            // RFC 7518 §3.5: salt length equals the hash output length.
            let _ = Reflect::set(&v, &"saltLength".into(), &JsValue::from_f64(f64::from(jws.alg.hash_bits() / 8)));
            v
        }
        AlgFamily::Ecdsa(_) => obj(&[("name", "ECDSA"), ("hash", hash)]),
        AlgFamily::Ed25519 => obj(&[("name", "Ed25519")]),
    };
    let cached = KEYS.with(|k| k.borrow().iter().find(|(i, _)| *i == id).map(|(_, key)| key.clone()));
    let crypto_key = match cached {
        Some(k) => k,
        None => {
            let jwk = match &key.key {
                PublicKey::Rsa { n, e } => obj(&[("kty", "RSA"), ("n", n), ("e", e)]),
                PublicKey::Ec { crv, x, y } => obj(&[("kty", "EC"), ("crv", crv), ("x", x), ("y", y)]),
                PublicKey::Ed25519 { x } => obj(&[("kty", "OKP"), ("crv", "Ed25519"), ("x", x)]),
            };
            let import_alg = match jws.alg.family() {
                AlgFamily::RsaPkcs1 => obj(&[("name", "RSASSA-PKCS1-v1_5"), ("hash", hash)]),
                AlgFamily::RsaPss => obj(&[("name", "RSA-PSS"), ("hash", hash)]),
                AlgFamily::Ecdsa(curve) => obj(&[("name", "ECDSA"), ("namedCurve", curve)]),
                AlgFamily::Ed25519 => obj(&[("name", "Ed25519")]),
            };
            let usages = Array::new();
            usages.push(&JsValue::from_str("verify"));
            let promise = subtle.import_key_with_object("jwk", &jwk, &import_alg, false, &usages).map_err(|_| Error::new(ErrorCode::SignatureInvalid))?;
            let k: CryptoKey = JsFuture::from(promise).await.map_err(|_| Error::new(ErrorCode::SignatureInvalid))?.unchecked_into();
            KEYS.with(|keys| {
                let mut keys = keys.borrow_mut();
                if keys.len() >= KEY_CACHE {
                    keys.remove(0);
                }
                keys.push((id, k.clone()));
            });
            k
        }
    };
    let promise = subtle
        .verify_with_object_and_u8_array_and_u8_array(&verify_alg, &crypto_key, &jws.signature, &jws.signing_input)
        .map_err(|_| Error::new(ErrorCode::SignatureInvalid))?;
    match JsFuture::from(promise).await {
        Ok(v) if v.as_bool() == Some(true) => Ok(VerifiedJws::after_signature_check(jws)),
        _ => Err(ErrorCode::SignatureInvalid.into()),
    }
}

/// The hash of an access token with the hash function of `alg` (OIDC Core §3.1.3.6), by
/// `sha2` for SHA-256, WebCrypto for SHA-384/512 (in the module they would cost 2 kB).
pub(crate) fn access_token_hash(access_token: &str, alg: Alg) -> LocalFuture<'_, Result<Vec<u8>, Error>> {
    Box::pin(hash_inner(access_token, alg))
}

async fn hash_inner(access_token: &str, alg: Alg) -> Result<Vec<u8>, Error> {
    // SHA-256 (RS256, PS256, ES256: the common case) with the `sha2` the module has for
    // PKCE: synchronous, no WebCrypto round trip (~15 µs of a callback).
    if alg.hash_bits() == 256 {
        use sha2::Digest as _;
        return Ok(sha2::Sha256::digest(access_token.as_bytes()).to_vec());
    }
    let promise = subtle()?
        .digest_with_str_and_u8_array(hash_name(alg), access_token.as_bytes())
        .map_err(|_| Error::new(ErrorCode::CryptoUnavailable))?;
    let buffer = JsFuture::from(promise).await.map_err(|_| Error::new(ErrorCode::CryptoUnavailable))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// An ID token end to end once its keys are known: the key the JWK Set designates (RFC 7515
/// §4.1.4 `kid`, RFC 7517), the signature with WebCrypto, the access-token hash for `at_hash`
/// when `access_token` is given, then the core's claim checks (OIDC Core §3.1.3.7). Shared by
/// the client and the low-level `validateIdToken`.
pub(crate) fn check_id_token<'a>(parsed: UnverifiedJws, keys: &'a [Jwk], expect: Expectations<'a>, access_token: Option<&'a str>) -> LocalFuture<'a, Result<IdTokenClaims, Error>> {
    Box::pin(async move {
        let key = jwk::select_key(keys, &parsed)?;
        let alg = parsed.alg;
        let verified = verify(parsed, key).await?;
        let hash = match access_token {
            Some(at) => Some(access_token_hash(at, alg).await?),
            None => None,
        };
        id_token::validate(&verified, &Expectations { access_token_hash: hash.as_deref(), ..expect })
    })
}
