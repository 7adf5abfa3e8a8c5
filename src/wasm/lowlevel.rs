//! Low-level helpers for applications that run the protocol themselves.

use js_sys::Object;
use wasm_bindgen::prelude::*;

use crate::core::authorize::{self, RANDOM_BYTES};
use crate::core::config::ClientConfig;
use crate::core::error::Error;
use crate::core::pkce::{self, CODE_CHALLENGE_METHOD, VERIFIER_BYTES};

use super::client::login_request;
use super::error::to_js_error;
use super::options::{set, Options};
use super::sys;

/// A fresh PKCE pair (RFC 7636 §4.1, §4.2): a 43-character verifier from 32 random bytes and
/// its S256 challenge. Throws `crypto_unavailable` without `crypto.getRandomValues`.
#[wasm_bindgen(js_name = createPkcePair, unchecked_return_type = "PkcePair")]
pub fn create_pkce_pair() -> Result<JsValue, JsValue> {
    let random = sys::random_bytes(VERIFIER_BYTES).map_err(to_js_error)?;
    let pair = pkce::pkce_pair(&random).map_err(to_js_error)?;
    let out = Object::new();
    set(&out, "codeVerifier", &JsValue::from_str(pair.verifier.expose()));
    set(&out, "codeChallenge", &JsValue::from_str(&pair.challenge));
    set(&out, "codeChallengeMethod", &JsValue::from_str(CODE_CHALLENGE_METHOD));
    Ok(out.into())
}

fn build(options: JsValue) -> Result<JsValue, Error> {
    let o = Options::new(options.clone(), true)?;
    let authorization_endpoint = o.required_string("authorizationEndpoint")?;
    // The token endpoint is not used here; the authorization endpoint stands in for the check.
    let config = ClientConfig::new(
        o.required_string("issuer")?,
        o.required_string("clientId")?,
        o.required_string("redirectUri")?,
        authorization_endpoint.clone(),
        authorization_endpoint,
        false,
    )?;
    let request = login_request("openid", options)?;
    let random = sys::random_bytes(RANDOM_BYTES)?;
    let (url, pending) = authorize::authorization_request(&config, &request, &random, sys::now_secs())?;
    let out = Object::new();
    set(&out, "url", &JsValue::from_str(&url));
    set(&out, "state", &JsValue::from_str(pending.state.expose()));
    set(&out, "nonce", &pending.nonce.as_ref().map_or(JsValue::NULL, |n| JsValue::from_str(n.expose())));
    set(&out, "codeVerifier", &JsValue::from_str(pending.code_verifier.expose()));
    Ok(out.into())
}

/// Builds an authorization request URL (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1)
/// with fresh `state`, `nonce` (when `openid` is in scope) and PKCE S256, without storing
/// anything: the caller keeps `state`, `nonce` and `codeVerifier`. Throws
/// `protocol_parameter_override` when `extraParams` names a protocol parameter.
#[wasm_bindgen(js_name = buildAuthorizationUrl, unchecked_return_type = "AuthorizationUrl")]
pub fn build_authorization_url(
    #[wasm_bindgen(unchecked_param_type = "AuthorizationUrlOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    build(options).map_err(to_js_error)
}

struct IdTokenCheck {
    token: alloc::string::String,
    issuer: alloc::string::String,
    client_id: alloc::string::String,
    jwks: alloc::vec::Vec<crate::core::jwk::Jwk>,
    nonce: Option<alloc::string::String>,
    max_age: Option<u64>,
    access_token: Option<alloc::string::String>,
    algs: alloc::vec::Vec<crate::core::jws::Alg>,
    trusted: alloc::vec::Vec<alloc::string::String>,
    tolerance: u64,
}

fn read_id_token_check(id_token: &str, options: JsValue) -> Result<IdTokenCheck, Error> {
    use crate::core::error::ErrorCode;
    use crate::core::jws::Alg;
    let o = Options::new(options.clone(), true)?;
    let jwks_value = js_sys::Reflect::get(&options, &JsValue::from_str("jwks")).map_err(|_| Error::new(ErrorCode::InvalidConfig))?;
    let jwks_text = match jwks_value.as_string() {
        Some(s) => s,
        None => js_sys::JSON::stringify(&jwks_value).ok().and_then(|s| s.as_string()).ok_or(ErrorCode::InvalidConfig)?,
    };
    let algs = match o.string_list("idTokenSigningAlgValues")? {
        Some(names) => names.iter().map(|n| Alg::from_name(n).ok_or(ErrorCode::InvalidConfig)).collect::<Result<_, _>>()?,
        None => Alg::ALL.to_vec(),
    };
    Ok(IdTokenCheck {
        token: id_token.into(),
        issuer: o.required_string("issuer")?,
        client_id: o.required_string("clientId")?,
        jwks: crate::core::jwk::parse_jwks(jwks_text.as_bytes())?,
        nonce: o.string("nonce")?,
        max_age: o.u32_in("maxAge", 0, u32::MAX)?.map(u64::from),
        access_token: o.string("accessToken")?,
        algs,
        trusted: o.string_list("trustedAudiences")?.unwrap_or_default(),
        tolerance: o.u32_in("clockToleranceSeconds", 0, 600)?.unwrap_or(30) as u64,
    })
}

async fn check_id_token(c: IdTokenCheck) -> Result<JsValue, Error> {
    use crate::core::{id_token, jwk, jws};
    let parsed = jws::parse_compact(&c.token, &c.algs)?;
    let key = jwk::select_key(&c.jwks, &parsed)?.clone();
    let verified = super::crypto::verify(parsed, &key).await?;
    let expect = id_token::Expectations {
        issuer: &c.issuer,
        client_id: &c.client_id,
        trusted_audiences: &c.trusted,
        nonce: c.nonce.as_deref(),
        nonce_optional: false,
        max_age: c.max_age,
        access_token: c.access_token.as_deref(),
        now: sys::now_secs(),
        clock_tolerance: c.tolerance,
        max_iat_age: id_token::DEFAULT_MAX_IAT_AGE,
    };
    let claims = id_token::validate(&verified, &expect)?;
    js_sys::JSON::parse(&claims.json).map_err(|_| Error::new(crate::core::error::ErrorCode::JwsMalformed))
}

/// Validates an ID token on its own (OIDC Core §3.1.3.7): compact JWS parsing with the
/// algorithm allow-list, key selection from `options.jwks` (a JWK Set object or JSON string),
/// signature verification with WebCrypto, then the claim checks (`iss`, `aud`/`azp`, `exp`,
/// `iat`, `nbf`, `nonce` — absent when `options.nonce` is absent —, `at_hash` with
/// `options.accessToken`, `auth_time` with `options.maxAge`). Resolves the claims.
#[wasm_bindgen(js_name = validateIdToken, unchecked_return_type = "Promise<IdTokenClaims>")]
pub fn validate_id_token(
    id_token: &str,
    #[wasm_bindgen(unchecked_param_type = "ValidateIdTokenOptions")] options: JsValue,
) -> js_sys::Promise {
    match read_id_token_check(id_token, options) {
        Ok(c) => super::spawn(alloc::boxed::Box::pin(async move { check_id_token(c).await.map_err(to_js_error) })),
        Err(e) => js_sys::Promise::reject(&to_js_error(e)),
    }
}
