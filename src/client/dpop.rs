//! DPoP (RFC 9449) in the browser: the session's key pair from WebCrypto `generateKey` with
//! `extractable: false` (the private key never leaves its `CryptoKey`; only the public half is
//! exported, as a JWK), proofs signed with it (ES256), the server nonces cached per origin
//! (§8, §9: never sent to another server) and harvested from every answer, and one retry when a
//! server asks for a new nonce. The key lives in memory with the session and goes to the other
//! tabs with it (a `CryptoKey` is structured-cloned over the `BroadcastChannel` and stays
//! non-extractable there).

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::CryptoKey;

use super::{crypto, pkce, sys, Inner, LocalFuture};
use crate::core::dpop::{self, Claims, PublicJwk};
use crate::core::error::{Error, ErrorCode};
use crate::core::secret::AccessToken;
use crate::core::token::HttpRequest;
use crate::core::{challenge, json, uri};

/// The session's proof key: the non-extractable private key and the public JWK.
#[derive(Clone)]
pub(crate) struct Key {
    pub(crate) private: CryptoKey,
    pub(crate) public: PublicJwk,
}

fn unavailable(_: JsValue) -> Error {
    ErrorCode::CryptoUnavailable.into()
}

/// A fresh key pair whose private key is not extractable (catalogue DP-14): Ed25519 when asked
/// for and the browser has it, else P-256.
pub(crate) fn generate(ed25519: bool) -> LocalFuture<'static, Result<Key, Error>> {
    Box::pin(async move {
        let subtle = crypto::subtle()?;
        let usages = Array::of2(&"sign".into(), &"verify".into());
        let mut pair = Err(JsValue::NULL);
        if ed25519 {
            if let Ok(p) = subtle.generate_key_with_object(&crypto::obj(&[("name", "Ed25519")]), false, &usages) {
                pair = JsFuture::from(p).await;
            }
        }
        if pair.is_err() {
            let alg = crypto::obj(&[("name", "ECDSA"), ("namedCurve", "P-256")]);
            pair = JsFuture::from(subtle.generate_key_with_object(&alg, false, &usages).map_err(unavailable)?).await;
        }
        let pair = pair.map_err(unavailable)?;
        let private: CryptoKey = Reflect::get(&pair, &"privateKey".into()).map_err(unavailable)?.unchecked_into();
        let public: CryptoKey = Reflect::get(&pair, &"publicKey".into()).map_err(unavailable)?.unchecked_into();
        // A public key is always extractable (WebCrypto), whatever the flag says.
        let jwk: Object = JsFuture::from(subtle.export_key("jwk", &public).map_err(unavailable)?).await.map_err(unavailable)?.unchecked_into();
        let member = |k: &str| Reflect::get(&jwk, &k.into()).ok().and_then(|v| v.as_string()).ok_or(Error::new(ErrorCode::CryptoUnavailable));
        let y = if Reflect::get(&jwk, &"kty".into()).ok().and_then(|k| k.as_string()).as_deref() == Some("OKP") { None } else { Some(member("y")?) };
        Ok(Key { private, public: PublicJwk { x: member("x")?, y } })
    })
}

impl super::AuthClient {
    /// The RFC 7638 thumbprint of the key the session's tokens are bound to (the `jkt` of
    /// their `cnf`, RFC 9449 §6), or `None` (no session, or not a DPoP client).
    pub fn dpop_thumbprint(&self) -> Option<String> {
        self.inner.st.borrow().session.as_ref()?.key.as_ref().map(|k| k.public.thumbprint())
    }
}

impl Inner {
    /// A proof for `htm url` (with `ath` for `access_token`), carrying this origin's nonce.
    pub(crate) fn proof<'a>(&'a self, key: &'a Key, htm: &'a str, url: &'a str, access_token: Option<&'a str>) -> LocalFuture<'a, Result<String, Error>> {
        Box::pin(async move {
            let jti = pkce::base64url(&sys::random(16)?);
            let nonce = self.nonce_for(url);
            let claims = Claims { htm, url, jti: &jti, iat: sys::secs(sys::now_secs()), access_token, nonce: nonce.as_deref() };
            let input = dpop::signing_input(&key.public, &claims);
            let alg = if key.public.y.is_some() { crypto::obj(&[("name", "ECDSA"), ("hash", "SHA-256")]) } else { crypto::obj(&[("name", "Ed25519")]) };
            let promise = crypto::subtle()?.sign_with_object_and_u8_array(&alg, &key.private, input.as_bytes()).map_err(unavailable)?;
            let signature = Uint8Array::new(&JsFuture::from(promise).await.map_err(unavailable)?).to_vec();
            Ok(dpop::compact(&input, &signature))
        })
    }

    /// The last nonce of `url`'s origin.
    fn nonce_for(&self, url: &str) -> Option<String> {
        let origin = origin_of(url)?;
        self.st.borrow().nonces.iter().find(|(o, _)| *o == origin).map(|(_, n)| n.clone())
    }

    /// Keeps a `DPoP-Nonce` the server at `url` sent (RFC 9449 §8.2: every answer may carry
    /// one); true when it is new.
    pub(crate) fn harvest(&self, url: &str, nonce: Option<&str>) -> bool {
        let (Some(origin), Some(nonce)) = (origin_of(url), nonce.filter(|n| !n.is_empty() && n.len() <= 1024)) else { return false };
        let mut st = self.st.borrow_mut();
        match st.nonces.iter_mut().find(|(o, _)| *o == origin) {
            Some((_, n)) if n == nonce => false,
            Some((_, n)) => {
                *n = nonce.into();
                true
            }
            None => {
                if st.nonces.len() >= 8 {
                    st.nonces.remove(0);
                }
                st.nonces.push((origin, nonce.into()));
                true
            }
        }
    }

    /// Sends a token-endpoint request with a proof: a `use_dpop_nonce` answer (400, RFC 9449
    /// §8) that brought a new nonce gets one retry with a new proof; never more (DP-02).
    pub(crate) fn token_call<'a>(&'a self, req: &'a HttpRequest, key: &'a Key) -> LocalFuture<'a, Result<super::http::Fetched, Error>> {
        Box::pin(async move {
            let mut retried = false;
            loop {
                let mut r = req.clone();
                r.headers.push(("dpop", self.proof(key, req.method, &req.url, None).await?));
                let f = super::http::send(&r, self.timeout_ms).await?;
                let fresh = self.harvest(&req.url, f.dpop_nonce.as_deref());
                let error = json::parse(&f.body).ok().and_then(|v| v.get("error").and_then(json::Value::as_str).map(String::from));
                if !retried && fresh && dpop::asks_for_nonce(f.status, error.as_deref()) {
                    retried = true;
                    continue;
                }
                return Ok(f);
            }
        })
    }
}

impl Inner {
    /// A request presenting `at` to a protected resource of the provider (UserInfo) with the
    /// DPoP scheme and a proof with `ath` (RFC 9449 §7); a 401 DPoP `use_dpop_nonce` that
    /// brought a new nonce gets one retry (§9).
    pub(crate) fn resource_call<'a>(&'a self, req: &'a HttpRequest, at: &'a AccessToken, key: &'a Key) -> LocalFuture<'a, Result<super::http::Fetched, Error>> {
        Box::pin(async move {
            let mut retried = false;
            loop {
                let mut r = req.clone();
                for (name, value) in r.headers.iter_mut() {
                    if *name == "authorization" {
                        *value = ["DPoP ", at.expose()].concat();
                    }
                }
                r.headers.push(("dpop", self.proof(key, req.method, &req.url, Some(at.expose())).await?));
                let f = super::http::send(&r, self.timeout_ms).await?;
                let fresh = self.harvest(&req.url, f.dpop_nonce.as_deref());
                if !retried && fresh && challenge_asks_for_nonce(f.status, f.challenge.as_deref()) {
                    retried = true;
                    continue;
                }
                return Ok(f);
            }
        })
    }
}

/// True when a resource server's `WWW-Authenticate` is a DPoP challenge asking for a nonce
/// (RFC 9449 §9; the scheme in any case, DP-04).
pub(crate) fn challenge_asks_for_nonce(status: u16, header: Option<&str>) -> bool {
    let Some(h) = header.filter(|h| h.len() <= 8 * 1024) else { return false };
    challenge::parse(h).iter().any(|c| c.scheme == "dpop" && dpop::asks_for_nonce(status, c.param("error")))
}

/// `scheme://host[:port]` of `url`.
fn origin_of(url: &str) -> Option<String> {
    let p = uri::split(url, ErrorCode::InvalidConfig).ok()?;
    Some(match p.port {
        Some(port) => [p.scheme, "://", p.host, ":", port].concat(),
        None => [p.scheme, "://", p.host].concat(),
    })
}
