//! The authorization request (RFC 6749 §4.1.1 with PKCE, RFC 7636 §4.3; OIDC Core §3.1.2.1):
//! builds the URL to send the browser to, and the [`PendingAuthorization`] the client must keep
//! (in `sessionStorage`, one-time use, 10 minutes) until the response comes back.

use alloc::string::String;
use alloc::vec::Vec;

use super::config::ClientConfig;
use super::error::{Error, ErrorCode, Result};
use super::{form, json, uri};
use super::pkce::{self, CODE_CHALLENGE_METHOD, VERIFIER_BYTES};
use super::secret::{CodeVerifier, Nonce, State};

/// Random bytes behind `state` and `nonce`: 32 bytes = 256 bits (≥ 128 required, RFC 9700 §4.7.1).
pub const STATE_BYTES: usize = 32;
/// Random bytes [`authorization_request`] consumes: verifier, state, nonce.
pub const RANDOM_BYTES: usize = VERIFIER_BYTES + 2 * STATE_BYTES;
/// Lifetime of a login transaction, in seconds.
pub const TRANSACTION_TTL: u64 = 600;

/// Parameters the SDK owns; extra parameters may not set them (RFC 6749 §4.1.1, RFC 7636 §4.3,
/// OIDC Core §3.1.2.1, RFC 9101 `request`/`request_uri`, RFC 9126).
const PROTOCOL_PARAMETERS: &[&str] = &[
    "response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
    "code_challenge_method", "response_mode", "request", "request_uri", "code_verifier",
    "client_secret", "grant_type", "code", "dpop_jkt",
];

/// Extra parameters that may appear more than once (RFC 8707 §2 `resource`).
const REPEATABLE: &[&str] = &["resource"];

/// What the application asks for in one login.
#[derive(Debug, Clone, Default)]
pub struct AuthorizationRequest {
    /// Requested scope (RFC 6749 §3.3), space-separated; normalised to single spaces.
    pub scope: String,
    /// Extra parameters (`prompt`, `login_hint`, `max_age`, `resource`, `ui_locales`, ...).
    pub extra: Vec<(String, String)>,
}

/// The login transaction kept across the redirect (RFC 9700 §4.7.1: bound to the user agent,
/// the issuer and the redirect URI; one-time use).
#[derive(Debug, Clone)]
pub struct PendingAuthorization {
    /// `state` sent in the request.
    pub state: State,
    /// `nonce` sent in the request (only when `openid` was in the scope).
    pub nonce: Option<Nonce>,
    /// PKCE `code_verifier` for the token request.
    pub code_verifier: CodeVerifier,
    /// The issuer the request went to.
    pub issuer: String,
    /// The client the request was made for.
    pub client_id: String,
    /// The exact `redirect_uri` sent.
    pub redirect_uri: String,
    /// The normalised scope requested.
    pub scope: String,
    /// `max_age` requested (OIDC Core §3.1.2.1), for the `auth_time` check.
    pub max_age: Option<u64>,
    /// `acr_values` requested (OIDC Core §3.1.2.1; a step-up, RFC 9470 §4): the ID token's
    /// `acr` must be one of them ([`crate::core::id_token::check_acr`]).
    pub acr_values: Option<String>,
    /// Where the address bar goes after the callback (same origin as the redirect URI; set by
    /// the client with [`check_return_to`]).
    pub return_to: Option<String>,
    /// `prompt=none` was requested (a silent restore): `login_required` and the other
    /// interaction errors of OIDC Core §3.1.2.6 then mean "not logged in", not a failure.
    pub prompt_none: bool,
    /// Creation time, seconds since the Unix epoch (from the caller's clock).
    pub created_at: u64,
}

/// Validates a scope string (RFC 6749 §3.3 `scope-token = 1*NQCHAR`) and joins its tokens with
/// single spaces. Errors: [`ErrorCode::InvalidConfig`].
pub fn normalize_scope(scope: &str) -> Result<String> {
    let mut out = String::new();
    for token in scope.split(' ').filter(|t| !t.is_empty()) {
        if !token.bytes().all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b)) {
            return Err(ErrorCode::InvalidConfig.into());
        }
        if out.split(' ').any(|t| t == token) {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(token);
    }
    Ok(out)
}

/// Checks a return-to URL (where the address bar goes after the callback): absolute, same
/// scheme, host and port as the redirect URI, no credentials. Errors: [`ErrorCode::InvalidConfig`].
pub fn check_return_to(config: &ClientConfig, url: &str) -> Result<()> {
    let bad = || Error::new(ErrorCode::InvalidConfig);
    // split refuses user information, controls, spaces and backslashes.
    let to = uri::split(url, ErrorCode::InvalidConfig)?;
    let redirect = uri::split(&config.redirect_uri, ErrorCode::InvalidConfig)?;
    let same = to.scheme.eq_ignore_ascii_case(redirect.scheme) && to.host.eq_ignore_ascii_case(redirect.host) && to.port == redirect.port;
    if same {
        Ok(())
    } else {
        Err(bad())
    }
}

/// The scope `extra` adds to `base`, normalised (incremental authorization: a login asks for
/// the client's scope plus what a call needs). Errors: [`ErrorCode::InvalidConfig`].
pub fn scope_union(base: &str, extra: &str) -> Result<String> {
    normalize_scope(&[base, " ", extra].concat())
}

/// True when the space-separated `scope` contains `token`.
pub fn scope_contains(scope: &str, token: &str) -> bool {
    scope.split(' ').any(|t| t == token)
}

/// Builds the authorization request URL and the pending transaction.
///
/// `random` must hold at least [`RANDOM_BYTES`] bytes from a CSPRNG; `now` is seconds since the
/// Unix epoch. Errors: [`ErrorCode::InsufficientRandomness`], [`ErrorCode::InvalidConfig`] (bad
/// scope, empty or control-character parameter names, bad `max_age`),
/// [`ErrorCode::ProtocolParameterOverride`] (an extra parameter names a protocol parameter or
/// repeats one), [`ErrorCode::UnsupportedFlow`] never (there is only one flow).
pub fn authorization_request(
    config: &ClientConfig,
    request: &AuthorizationRequest,
    random: &[u8],
    now: u64,
) -> Result<(String, PendingAuthorization)> {
    if random.len() < RANDOM_BYTES {
        return Err(ErrorCode::InsufficientRandomness.into());
    }
    let short = || Error::new(ErrorCode::InsufficientRandomness);
    let verifier_bytes = random.get(..VERIFIER_BYTES).ok_or_else(short)?;
    let state_bytes = random.get(VERIFIER_BYTES..VERIFIER_BYTES + STATE_BYTES).ok_or_else(short)?;
    let nonce_bytes = random.get(VERIFIER_BYTES + STATE_BYTES..RANDOM_BYTES).ok_or_else(short)?;

    let scope = normalize_scope(&request.scope)?;
    let mut max_age = None;
    let mut acr_values = None;
    let prompt_none = request.extra.iter().any(|(n, v)| n == "prompt" && v == "none");
    for (i, (name, value)) in request.extra.iter().enumerate() {
        if name.is_empty() || name.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(ErrorCode::InvalidConfig.into());
        }
        if PROTOCOL_PARAMETERS.contains(&name.as_str()) {
            return Err(ErrorCode::ProtocolParameterOverride.into());
        }
        let repeated = request.extra.iter().take(i).any(|(n, _)| n == name);
        if repeated && !REPEATABLE.contains(&name.as_str()) {
            return Err(ErrorCode::ProtocolParameterOverride.into());
        }
        if name == "max_age" {
            if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ErrorCode::InvalidConfig.into());
            }
            max_age = value.parse::<u64>().ok();
        }
        if name == "acr_values" {
            acr_values = Some(normalize_scope(value).ok().filter(|v| !v.is_empty()).ok_or(ErrorCode::InvalidConfig)?);
        }
    }

    let pkce = pkce::pkce_pair(verifier_bytes)?;
    let state = pkce::base64url(state_bytes);
    let nonce = scope_contains(&scope, "openid").then(|| pkce::base64url(nonce_bytes));

    let mut params: Vec<(&str, &str)> = Vec::with_capacity(9 + request.extra.len());
    params.push(("response_type", "code"));
    params.push(("client_id", &config.client_id));
    params.push(("redirect_uri", &config.redirect_uri));
    if !scope.is_empty() {
        params.push(("scope", &scope));
    }
    params.push(("state", &state));
    if let Some(n) = &nonce {
        params.push(("nonce", n));
    }
    params.push(("code_challenge", &pkce.challenge));
    params.push(("code_challenge_method", CODE_CHALLENGE_METHOD));
    for (name, value) in &request.extra {
        params.push((name, value));
    }
    let query = form::encode_pairs(params);

    // RFC 6749 §3.1: the endpoint may carry a query, which must be retained.
    let mut url = config.authorization_endpoint.clone();
    url.push(if url.contains('?') { '&' } else { '?' });
    url.push_str(&query);

    let pending = PendingAuthorization {
        state: State::new(state),
        nonce: nonce.map(Nonce::new),
        code_verifier: pkce.verifier,
        issuer: config.issuer.clone(),
        client_id: config.client_id.clone(),
        redirect_uri: config.redirect_uri.clone(),
        scope,
        max_age,
        acr_values,
        return_to: None,
        prompt_none,
        created_at: now,
    };
    Ok((url, pending))
}

impl PendingAuthorization {
    /// True when the transaction is older than [`TRANSACTION_TTL`] at `now`, or was created
    /// more than a minute in the future (a clock that jumped back cannot extend its life).
    pub fn is_expired(&self, now: u64) -> bool {
        now.saturating_sub(self.created_at) > TRANSACTION_TTL || self.created_at > now.saturating_add(60)
    }

    /// Serializes the transaction for `sessionStorage` (a JSON object, versioned).
    /// Holds the verifier and nonce: store it only for the redirect and delete it on use.
    pub fn to_storage_string(&self) -> String {
        let mut w = json::Writer::new();
        w.num("v", 1.0)
            .str("state", self.state.expose())
            .str("code_verifier", self.code_verifier.expose())
            .str("issuer", &self.issuer)
            .str("client_id", &self.client_id)
            .str("redirect_uri", &self.redirect_uri)
            .str("scope", &self.scope)
            .num("created_at", self.created_at as f64)
            .opt("nonce", self.nonce.as_ref().map(|n| n.expose()))
            .bool("prompt_none", self.prompt_none);
        if let Some(m) = self.max_age {
            w.num("max_age", m as f64);
        }
        if let Some(a) = &self.acr_values {
            w.str("acr_values", a);
        }
        if let Some(r) = &self.return_to {
            w.str("return_to", r);
        }
        w.finish()
    }

    /// Parses what [`to_storage_string`](Self::to_storage_string) wrote. Storage is
    /// same-origin-writable, so this is untrusted input too. Errors: [`ErrorCode::StateMismatch`]
    /// for anything malformed (the record cannot be matched to the response).
    pub fn from_storage_string(s: &str) -> Result<Self> {
        let bad = || Error::new(ErrorCode::StateMismatch);
        let v = json::parse(s.as_bytes()).map_err(|_| bad())?;
        let text = |name: &str| v.get(name).and_then(json::Value::as_str);
        // Whole, non-negative seconds (u64 in a double: exact below 2^53).
        let whole = |name: &str| v.get(name).and_then(json::Value::as_f64).filter(|n| *n >= 0.0 && *n <= 9.0e15 && *n == (*n as u64) as f64).map(|n| n as u64);
        let (Some(state), Some(verifier), Some(issuer), Some(client_id), Some(redirect_uri), Some(scope), Some(created_at)) = (
            text("state").filter(|s| !s.is_empty()),
            text("code_verifier").filter(|v| pkce::is_valid_verifier(v)),
            text("issuer"),
            text("client_id"),
            text("redirect_uri"),
            text("scope"),
            whole("created_at"),
        ) else {
            return Err(bad());
        };
        let nonce = match v.get("nonce") {
            Some(json::Value::String(n)) => Some(Nonce::new(n.clone())),
            Some(json::Value::Null) => None,
            _ => return Err(bad()),
        };
        let max_age = match v.get("max_age") {
            None => None,
            Some(_) => Some(whole("max_age").ok_or_else(bad)?),
        };
        let opt_text = |name: &str| match v.get(name) {
            None => Ok(None),
            Some(json::Value::String(t)) => Ok(Some(String::from(t.as_str()))),
            Some(_) => Err(bad()),
        };
        let acr_values = opt_text("acr_values")?;
        let return_to = opt_text("return_to")?;
        if whole("v") != Some(1) || !matches!(v.get("prompt_none"), Some(json::Value::Bool(_))) {
            return Err(bad());
        }
        Ok(PendingAuthorization {
            state: State::new(state.into()),
            nonce,
            code_verifier: CodeVerifier::new(verifier.into()),
            issuer: issuer.into(),
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            scope: scope.into(),
            max_age,
            acr_values,
            return_to,
            prompt_none: matches!(v.get("prompt_none"), Some(json::Value::Bool(true))),
            created_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::test_config;
    use alloc::vec;

    #[test]
    fn return_to_and_scope_union() {
        let c = test_config();
        assert!(check_return_to(&c, "http://127.0.0.1:5173/agent/?tab=2#x").is_ok());
        for bad in ["http://127.0.0.1:5174/", "https://127.0.0.1:5173/", "http://evil@127.0.0.1:5173/", "/agent/", "javascript:alert(1)", "http://127.0.0.1:5173/a b"] {
            assert_eq!(check_return_to(&c, bad).unwrap_err().code, ErrorCode::InvalidConfig, "{bad}");
        }
        assert_eq!(scope_union("openid data:read", "data:write  openid").unwrap(), "openid data:read data:write");
        assert!(scope_union("openid", "a\"b").is_err());
    }

    fn random() -> Vec<u8> {
        (0..RANDOM_BYTES as u8).collect()
    }

    fn query_of(url: &str) -> Vec<(String, String)> {
        form::parse_pairs(url.split_once('?').unwrap().1).unwrap()
    }

    #[test]
    fn builds_url_with_all_protocol_parameters() {
        let req = AuthorizationRequest { scope: "openid  profile data:read".into(), extra: vec![("prompt".into(), "login".into())] };
        let (url, pending) = authorization_request(&test_config(), &req, &random(), 1000).unwrap();
        assert!(url.starts_with("http://127.0.0.1:3000/auth?response_type=code&client_id=spa-demo&redirect_uri=http%3A%2F%2F127.0.0.1%3A5173%2F&scope=openid%20profile%20data%3Aread&state="));
        let q = query_of(&url);
        let get = |n: &str| q.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("code_challenge").unwrap(), pkce::s256_challenge(pending.code_verifier.expose()));
        assert_eq!(get("state"), Some(pending.state.expose()));
        assert_eq!(get("state").unwrap().len(), 43); // 256 bits
        assert_eq!(get("nonce"), pending.nonce.as_ref().map(|n| n.expose()));
        assert_eq!(get("prompt"), Some("login"));
        assert_eq!(pending.scope, "openid profile data:read");
        assert_eq!(pending.created_at, 1000);
        assert_ne!(get("state"), get("nonce"));
        assert!(!url.contains(pending.code_verifier.expose()));
    }

    #[test]
    fn no_nonce_without_openid_and_keeps_endpoint_query() {
        let mut cfg = test_config();
        cfg.authorization_endpoint = "http://127.0.0.1:3000/auth?tenant=a".into();
        let req = AuthorizationRequest { scope: "data:read".into(), extra: vec![] };
        let (url, pending) = authorization_request(&cfg, &req, &random(), 0).unwrap();
        assert!(url.starts_with("http://127.0.0.1:3000/auth?tenant=a&response_type=code&"));
        assert!(pending.nonce.is_none());
        assert!(!query_of(&url).iter().any(|(k, _)| k == "nonce"));
    }

    #[test]
    fn refuses_protocol_overrides() {
        for name in ["state", "code_challenge", "code_challenge_method", "response_type", "redirect_uri",
                     "client_id", "nonce", "scope", "response_mode", "request_uri"] {
            let req = AuthorizationRequest { scope: "openid".into(), extra: vec![(name.into(), "x".into())] };
            let err = authorization_request(&test_config(), &req, &random(), 0).unwrap_err();
            assert_eq!(err.code, ErrorCode::ProtocolParameterOverride, "{name}");
        }
        let req = AuthorizationRequest { scope: "openid".into(), extra: vec![("prompt".into(), "a".into()), ("prompt".into(), "b".into())] };
        assert_eq!(authorization_request(&test_config(), &req, &random(), 0).unwrap_err().code, ErrorCode::ProtocolParameterOverride);
        let req = AuthorizationRequest { scope: "openid".into(), extra: vec![("resource".into(), "https://a".into()), ("resource".into(), "https://b".into())] };
        assert!(authorization_request(&test_config(), &req, &random(), 0).is_ok());
    }

    #[test]
    fn validates_scope_and_max_age_and_randomness() {
        let bad_scope = AuthorizationRequest { scope: "openid \"x\"".into(), extra: vec![] };
        assert_eq!(authorization_request(&test_config(), &bad_scope, &random(), 0).unwrap_err().code, ErrorCode::InvalidConfig);
        let step_up = AuthorizationRequest { scope: "openid".into(), extra: vec![("acr_values".into(), "urn:mfa  urn:hw".into()), ("max_age".into(), "0".into())] };
        let (_, p) = authorization_request(&test_config(), &step_up, &random(), 1000).unwrap();
        assert_eq!((p.acr_values.as_deref(), p.max_age), (Some("urn:mfa urn:hw"), Some(0)));
        let mut p2 = PendingAuthorization::from_storage_string(&p.to_storage_string()).unwrap();
        assert_eq!(p2.acr_values.as_deref(), Some("urn:mfa urn:hw"));
        p2.return_to = Some("http://127.0.0.1:5173/agent/?x=1#row".into());
        let p3 = PendingAuthorization::from_storage_string(&p2.to_storage_string()).unwrap();
        assert_eq!(p3.return_to.as_deref(), Some("http://127.0.0.1:5173/agent/?x=1#row"));
        for bad in ["", " ", "a\"b"] {
            let r = AuthorizationRequest { scope: "openid".into(), extra: vec![("acr_values".into(), bad.into())] };
            assert_eq!(authorization_request(&test_config(), &r, &random(), 1000).unwrap_err().code, ErrorCode::InvalidConfig);
        }
        let bad_age = AuthorizationRequest { scope: "openid".into(), extra: vec![("max_age".into(), "-1".into())] };
        assert_eq!(authorization_request(&test_config(), &bad_age, &random(), 0).unwrap_err().code, ErrorCode::InvalidConfig);
        let ok_age = AuthorizationRequest { scope: "openid".into(), extra: vec![("max_age".into(), "300".into())] };
        assert_eq!(authorization_request(&test_config(), &ok_age, &random(), 0).unwrap().1.max_age, Some(300));
        assert_eq!(authorization_request(&test_config(), &ok_age, &[0u8; RANDOM_BYTES - 1], 0).unwrap_err().code, ErrorCode::InsufficientRandomness);
        assert_eq!(normalize_scope("  a b  a ").unwrap(), "a b");
    }

    #[test]
    fn storage_round_trip_and_tamper() {
        let req = AuthorizationRequest { scope: "openid profile".into(), extra: vec![("max_age".into(), "60".into())] };
        let (_, p) = authorization_request(&test_config(), &req, &random(), 42).unwrap();
        let s = p.to_storage_string();
        let q = PendingAuthorization::from_storage_string(&s).unwrap();
        assert_eq!(q.state.expose(), p.state.expose());
        assert_eq!(q.code_verifier.expose(), p.code_verifier.expose());
        assert_eq!(q.nonce.unwrap().expose(), p.nonce.unwrap().expose());
        assert_eq!((q.issuer, q.client_id, q.redirect_uri, q.scope, q.max_age, q.created_at, q.prompt_none),
                   (p.issuer, p.client_id, p.redirect_uri, p.scope, p.max_age, p.created_at, false));
        let silent = AuthorizationRequest { scope: "openid".into(), extra: vec![("prompt".into(), "none".into())] };
        let (_, p) = authorization_request(&test_config(), &silent, &random(), 42).unwrap();
        assert!(p.prompt_none);
        assert!(PendingAuthorization::from_storage_string(&p.to_storage_string()).unwrap().prompt_none);
        let dup = s.replacen("{", &alloc::format!("{{\"state\":\"{}\",", p.state.expose()), 1);
        for bad in ["", "{}", "[]", &s.replace("\"v\":1", "\"v\":2"), &dup, &s.replace("\"created_at\":42", "\"created_at\":\"42\""),
                    &s.replace("\"created_at\":42", "\"created_at\":-1"), &s.replace("\"prompt_none\":false", "\"prompt_none\":0")] {
            assert_eq!(PendingAuthorization::from_storage_string(bad).unwrap_err().code, ErrorCode::StateMismatch);
        }
    }

    #[test]
    fn expiry() {
        let (_, p) = authorization_request(&test_config(), &AuthorizationRequest::default(), &random(), 1000).unwrap();
        assert!(!p.is_expired(1000));
        assert!(!p.is_expired(1600));
        assert!(p.is_expired(1601));
        assert!(p.is_expired(900)); // clock jumped back more than a minute
    }
}
