//! The low-level helpers of the package for apps that run the protocol themselves:
//! `createPkcePair`, `buildAuthorizationUrl`, `validateIdToken`.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::options::Options;
use super::{js_err, object, promise, text_or_null, to_js, Json};
use crate::client::{check_id_token, random};
use crate::core::authorize;
use crate::core::config::ClientConfig;
use crate::core::error::{Error, ErrorCode};
use crate::core::id_token::{self, DEFAULT_MAX_IAT_AGE};
use crate::core::json::Value;
use crate::core::jws::{self, Alg};
use crate::core::{jwk, pkce};

/// A fresh PKCE pair (RFC 7636 §4.1, §4.2): a 43-character verifier from 32 random bytes and
/// its S256 challenge. Throws `crypto_unavailable` without `crypto.getRandomValues`.
#[wasm_bindgen(js_name = createPkcePair, unchecked_return_type = "PkcePair")]
pub fn create_pkce_pair() -> Result<JsValue, JsValue> {
    let p = random(pkce::VERIFIER_BYTES).and_then(|r| pkce::pkce_pair(&r)).map_err(js_err)?;
    Ok(object(vec![
        ("codeVerifier", Value::String(p.verifier.expose().into())),
        ("codeChallenge", Value::String(p.challenge)),
        ("codeChallengeMethod", Value::String(pkce::CODE_CHALLENGE_METHOD.into())),
    ]))
}

/// Builds an authorization request URL (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1)
/// with fresh `state`, `nonce` (when `openid` is in scope) and PKCE S256, without storing
/// anything: the caller keeps `state`, `nonce` and `codeVerifier`. Throws
/// `protocol_parameter_override` when `extraParams` names a protocol parameter.
#[wasm_bindgen(js_name = buildAuthorizationUrl, unchecked_return_type = "AuthorizationUrl")]
pub fn build_authorization_url(#[wasm_bindgen(unchecked_param_type = "AuthorizationUrlOptions")] options: JsValue) -> Result<JsValue, JsValue> {
    authorization_url(&options).map_err(js_err)
}

fn authorization_url(options: &JsValue) -> Result<JsValue, Error> {
    let o = Options::read(options, true)?;
    let endpoint = o.required_string("authorizationEndpoint")?;
    let (issuer, client_id, redirect_uri) = (o.required_string("issuer")?, o.required_string("clientId")?, o.required_string("redirectUri")?);
    // The token endpoint is not used here; the authorization endpoint stands in for the check.
    let config = ClientConfig::new(issuer.into(), client_id.into(), redirect_uri.into(), endpoint.into(), endpoint.into(), false)?;
    let mut request = super::login_options(&o)?.request("openid", &[])?;
    request.scope = o.string("scope")?.unwrap_or("openid").into();
    let r = random(authorize::RANDOM_BYTES)?;
    let (url, p) = authorize::authorization_request(&config, &request, &r, crate::client::now_whole_secs())?;
    Ok(object(vec![
        ("url", Value::String(url)),
        ("state", Value::String(p.state.expose().into())),
        ("nonce", text_or_null(p.nonce.as_ref().map(|n| n.expose()))),
        ("codeVerifier", Value::String(p.code_verifier.expose().into())),
    ]))
}

/// Validates an ID token on its own (OIDC Core §3.1.3.7): compact JWS parsing with the
/// algorithm allow-list, key selection from `options.jwks` (a JWK Set object or JSON string),
/// signature verification with WebCrypto, then the claim checks (`iss`, `aud`/`azp`, `exp`,
/// `iat`, `nbf`, `nonce` — absent when `options.nonce` is absent —, `at_hash` with
/// `options.accessToken`, `auth_time` with `options.maxAge`). Resolves the claims.
#[wasm_bindgen(js_name = validateIdToken, unchecked_return_type = "Promise<IdTokenClaims>")]
pub fn validate_id_token(id_token: String, #[wasm_bindgen(unchecked_param_type = "ValidateIdTokenOptions")] options: JsValue) -> Promise {
    let o = Options::read(&options, true);
    promise(Box::pin(async move {
        let o = o?;
        let claims = validate(&id_token, &o).await?;
        Ok(to_js(&Json(&claims)))
    }))
}

async fn validate(token: &str, o: &Options) -> Result<Value, Error> {
    let invalid = || Error::new(ErrorCode::InvalidConfig);
    let issuer = o.required_string("issuer")?;
    let client_id = o.required_string("clientId")?;
    let nonce = o.string("nonce")?;
    let max_age = o.u32_in("maxAge", 0, u32::MAX)?.map(u64::from);
    let access_token = o.string("accessToken")?;
    let algs: Vec<Alg> = match o.string_list("idTokenSigningAlgValues")? {
        None => Alg::ALL.to_vec(),
        Some(names) if names.is_empty() => return Err(invalid()),
        Some(names) => names.iter().map(|n| Alg::from_name(n).ok_or_else(invalid)).collect::<Result<_, _>>()?,
    };
    let trusted: Vec<String> = o.string_list("trustedAudiences")?.unwrap_or_default().into_iter().map(String::from).collect();
    let tolerance = u64::from(o.u32_in("clockToleranceSeconds", 0, 600)?.unwrap_or(30));
    // The JWK Set: an object, or its JSON text.
    let keys = match o.get("jwks") {
        Some(Value::String(text)) => jwk::parse_jwks(text.as_bytes())?,
        Some(v @ Value::Object(_)) => jwk::jwks_from_value(v)?,
        _ => return Err(invalid()),
    };
    let parsed = jws::parse_compact(token, &algs)?;
    let expect = id_token::Expectations {
        issuer,
        client_id,
        trusted_audiences: &trusted,
        nonce,
        nonce_optional: false,
        max_age,
        access_token_hash: None,
        now: crate::client::now_whole_secs(),
        clock_tolerance: tolerance,
        max_iat_age: DEFAULT_MAX_IAT_AGE,
    };
    let claims = check_id_token(parsed, &keys, expect, access_token).await?;
    crate::core::json::parse(claims.json.as_bytes()).map_err(|_| ErrorCode::ClaimInvalid.into())
}
