//! Refreshing an access token (RFC 6749 §6) with rotation (RFC 9700 §4.14.2), and the rules
//! for an ID token that comes back with it (OIDC Core §12.2).


use super::config::ClientConfig;
use super::error::{ErrorCode, Result};
use super::json::Value;
use alloc::vec::Vec;
use super::secret::RefreshToken;
use super::token::HttpRequest;

/// The refresh request (RFC 6749 §6): POST `grant_type=refresh_token`, `refresh_token`,
/// `client_id` (public client, §3.2.1). Without `scope` the grant keeps its scope; with it, a
/// narrower one (§6 down-scoping). `resource` asks for a token for that resource server (RFC 8707
/// §2.2). Errors: [`ErrorCode::InsecureEndpoint`].
pub fn refresh_request(config: &ClientConfig, refresh_token: &RefreshToken, resource: Option<&str>, scope: Option<&str>) -> Result<HttpRequest> {
    let mut params = alloc::vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.expose()),
        ("client_id", config.client_id.as_str()),
    ];
    if let Some(r) = resource {
        params.push(("resource", r));
    }
    if let Some(s) = scope.filter(|s| !s.is_empty()) {
        params.push(("scope", s));
    }
    super::token::token_endpoint_request(config, &params)
}

/// Checks that a refreshed ID token belongs to the same authentication (OIDC Core §12.2;
/// catalogue RT-05..RT-07): same `iss`, `sub`, `aud` (as a set), `azp`, and `auth_time` when
/// the new token carries one. Both arguments are claim sets that passed
/// [`validate`](super::id_token::validate) (the JSON of [`IdTokenClaims`](super::id_token::IdTokenClaims)).
/// Errors: [`ErrorCode::IdTokenChanged`] for another user or client; a changed `auth_time` alone
/// is [`AuthenticationCheck::AuthTimeChanged`] (the caller decides).
pub fn check_same_authentication(previous: &Value, refreshed: &Value) -> Result<AuthenticationCheck> {
    fn text<'a>(c: &'a Value, n: &str) -> Option<&'a str> {
        c.get(n).and_then(Value::as_str)
    }
    fn audiences(c: &Value) -> Vec<&str> {
        match c.get("aud") {
            Some(Value::String(a)) => alloc::vec![a.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
    let same = |n: &str| text(previous, n) == text(refreshed, n);
    let (before, after) = (audiences(previous), audiences(refreshed));
    let same_aud = !before.is_empty() && before.len() == after.len() && before.iter().all(|a| after.contains(a));
    let auth_time_ok = match (previous.get("auth_time"), refreshed.get("auth_time")) {
        (_, None) => true,
        (Some(a), Some(b)) => a == b,
        (None, Some(_)) => false,
    };
    if text(previous, "sub").is_none() || !same("iss") || !same("sub") || !same_aud || !same("azp") {
        return Err(ErrorCode::IdTokenChanged.into());
    }
    if !auth_time_ok {
        return Ok(AuthenticationCheck::AuthTimeChanged);
    }
    Ok(AuthenticationCheck::Same)
}

/// The outcome of [`check_same_authentication`] for a refreshed ID token of the same user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthenticationCheck {
    /// Same `iss`, `sub`, audiences, `azp` and `auth_time`.
    Same,
    /// Everything the same but `auth_time` (added or changed). OIDC Core §12.2 requires it to
    /// stay; the client ends the session unless the app opted into the provider quirk
    /// (`allowAuthTimeChange`), which keeps the session and its original claims.
    AuthTimeChanged,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::test_config;

    fn claims(json: &str) -> Value {
        crate::core::json::parse(json.as_bytes()).unwrap()
    }
    const BASE: &str = r#"{"iss":"i","sub":"s","aud":"c","exp":0,"iat":0,"auth_time":100,"nonce":"n"}"#;

    #[test]
    fn request_shape() {
        let r = refresh_request(&test_config(), &RefreshToken::new("r t".into()), None, None).unwrap();
        assert_eq!(r.body, "grant_type=refresh_token&refresh_token=r%20t&client_id=spa-demo");
        let r = refresh_request(&test_config(), &RefreshToken::new("r".into()), Some("https://api.example/"), Some("data:read data:write")).unwrap();
        assert_eq!(r.body, "grant_type=refresh_token&refresh_token=r&client_id=spa-demo&resource=https%3A%2F%2Fapi.example%2F&scope=data%3Aread%20data%3Awrite");
        assert_eq!((r.method, r.url.as_str()), ("POST", "http://127.0.0.1:3000/token"));
    }

    #[test]
    fn rt05_rt06_rt07_same_authentication() {
        let p = claims(BASE);
        assert_eq!(check_same_authentication(&p, &claims(BASE)), Ok(AuthenticationCheck::Same));
        assert_eq!(check_same_authentication(&p, &claims(&BASE.replace(r#","auth_time":100"#, ""))), Ok(AuthenticationCheck::Same));
        assert_eq!(check_same_authentication(&p, &claims(&BASE.replace(r#""aud":"c""#, r#""aud":["c"]"#))), Ok(AuthenticationCheck::Same));
        // Only auth_time moved (a provider that reports the user's last login, issue 15): the
        // caller decides (id_token_changed unless the app opted into allowAuthTimeChange).
        assert_eq!(check_same_authentication(&p, &claims(&BASE.replace(r#""auth_time":100"#, r#""auth_time":101"#))), Ok(AuthenticationCheck::AuthTimeChanged));
        for (from, to) in [
            (r#""iss":"i""#, r#""iss":"other""#),
            (r#""sub":"s""#, r#""sub":"other""#),
            (r#""aud":"c""#, r#""aud":["c","x"]"#),
            (r#""aud":"c""#, r#""aud":"c","azp":"c""#),
            (r#""aud":"c""#, r#""aud":["x"]"#),
        ] {
            let changed = claims(&BASE.replace(from, to));
            assert_eq!(check_same_authentication(&p, &changed).unwrap_err().code, ErrorCode::IdTokenChanged, "{to}");
        }
    }
}
