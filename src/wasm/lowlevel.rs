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
