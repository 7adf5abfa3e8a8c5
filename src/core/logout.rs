//! Ending a session: token revocation (RFC 7009) and OpenID Connect RP-Initiated Logout 1.0.

use alloc::string::String;
use alloc::vec::Vec;

use super::config::ClientConfig;
use super::error::{Error, ErrorCode, Result, ServerDetail};
use super::form;
use super::json::{self, Value};
use super::token::{HttpRequest, HttpResponse};
use super::uri;

/// `token_type_hint` values (RFC 7009 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenTypeHint {
    /// `refresh_token`
    RefreshToken,
    /// `access_token`
    AccessToken,
}

/// A revocation request (RFC 7009 §2.1): POST `token`, `token_type_hint`, `client_id`.
/// Errors: [`ErrorCode::MetadataMissing`] without a revocation endpoint (catalogue RV-04: the
/// caller then logs out locally only), [`ErrorCode::InsecureEndpoint`].
pub fn revocation_request(config: &ClientConfig, token: &str, hint: TokenTypeHint) -> Result<HttpRequest> {
    let endpoint = config.revocation_endpoint.as_ref().ok_or(ErrorCode::MetadataMissing)?;
    uri::check_endpoint(endpoint)?;
    let hint = match hint {
        TokenTypeHint::RefreshToken => "refresh_token",
        TokenTypeHint::AccessToken => "access_token",
    };
    Ok(HttpRequest {
        method: "POST",
        url: endpoint.clone(),
        headers: alloc::vec![("content-type", "application/x-www-form-urlencoded".into())],
        body: form::encode_pairs([("token", token), ("token_type_hint", hint), ("client_id", config.client_id.as_str())]),
    })
}

/// A revocation response (RFC 7009 §2.2): 200 is success whatever the body (RV-01); anything
/// else is [`ErrorCode::RevocationFailed`] with the server's `error` when it sent one (RV-02, RV-03).
pub fn process_revocation_response(response: HttpResponse<'_>) -> Result<()> {
    if response.status == 200 {
        return Ok(());
    }
    let parsed = json::parse(response.body).ok();
    let text = |name: &str| parsed.as_ref().and_then(|v| v.get(name)).and_then(Value::as_str).map(String::from);
    Err(Error::with_detail(ErrorCode::RevocationFailed, ServerDetail::said(text("error"), text("error_description"), None, Some(response.status))))
}

/// The `state` of a post-logout redirect at `url` (OIDC RP-Initiated Logout 1.0 §3), if any.
pub fn logout_state(url: &str) -> Option<String> {
    let parts = uri::split(url, ErrorCode::CallbackMalformed).ok()?;
    let pairs = super::form::parse_pairs(parts.query.unwrap_or("")).ok()?;
    pairs.into_iter().find(|(n, _)| n == "state").map(|(_, v)| v)
}

/// `url` without its `state` parameter (after a post-logout redirect).
pub fn without_state(url: &str) -> String {
    uri::without_params(url, &["state"], false)
}

/// The RP-Initiated Logout URL (OIDC RP-Initiated Logout 1.0 §2): `client_id`,
/// `post_logout_redirect_uri`, `state` — and never `id_token_hint`: the request is a top-level
/// navigation, and a token in its URL would stay in the browser's history and session files and
/// in server logs (issue 11.2; the hint is only RECOMMENDED, §2). An OP that wants proof of the
/// session asks the user to confirm. `None` when the provider has no (usable)
/// `end_session_endpoint` (catalogue LO-04: local logout only, never a `javascript:` or
/// non-https navigation) or the post-logout redirect URI is not https/loopback.
pub fn end_session_url(config: &ClientConfig, post_logout_redirect_uri: Option<&str>, state: &str) -> Option<String> {
    let endpoint = config.end_session_endpoint.as_ref()?;
    uri::check_endpoint(endpoint).ok()?;
    if let Some(p) = post_logout_redirect_uri {
        uri::check_endpoint(p).ok()?;
    }
    let mut pairs: Vec<(&str, &str)> = alloc::vec![("client_id", config.client_id.as_str())];
    if let Some(p) = post_logout_redirect_uri {
        pairs.push(("post_logout_redirect_uri", p));
        pairs.push(("state", state));
    }
    let mut url = endpoint.clone();
    url.push(if url.contains('?') { '&' } else { '?' });
    url.push_str(&form::encode_pairs(pairs));
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::test_config;

    fn cfg() -> ClientConfig {
        let mut c = test_config();
        c.revocation_endpoint = Some("http://127.0.0.1:3000/token/revocation".into());
        c.end_session_endpoint = Some("http://127.0.0.1:3000/session/end".into());
        c
    }

    #[test]
    fn revocation() {
        let r = revocation_request(&cfg(), "rt", TokenTypeHint::RefreshToken).unwrap();
        assert_eq!(r.body, "token=rt&token_type_hint=refresh_token&client_id=spa-demo");
        assert_eq!(revocation_request(&test_config(), "rt", TokenTypeHint::AccessToken).unwrap_err().code, ErrorCode::MetadataMissing);
        let ok = |status: u16, body: &str| process_revocation_response(HttpResponse { status, content_type: None, body: body.as_bytes() });
        assert!(ok(200, "garbage").is_ok()); // RV-01
        let e = ok(400, r#"{"error":"unsupported_token_type"}"#).unwrap_err(); // RV-02
        assert_eq!((e.code, e.error(), e.status()), (ErrorCode::RevocationFailed, Some("unsupported_token_type"), Some(400)));
        assert_eq!(ok(503, "").unwrap_err().status(), Some(503)); // RV-03
    }

    #[test]
    fn end_session() {
        let u = end_session_url(&cfg(), Some("http://127.0.0.1:5173/"), "st").unwrap();
        assert_eq!(u, "http://127.0.0.1:3000/session/end?client_id=spa-demo&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A5173%2F&state=st");
        assert_eq!(end_session_url(&cfg(), None, "st").unwrap(), "http://127.0.0.1:3000/session/end?client_id=spa-demo");
        assert!(end_session_url(&test_config(), None, "s").is_none()); // LO-04
        let mut evil = cfg();
        evil.end_session_endpoint = Some("javascript:alert(1)".into());
        assert!(end_session_url(&evil, None, "s").is_none());
        evil.end_session_endpoint = Some("http://evil.example/logout".into());
        assert!(end_session_url(&evil, None, "s").is_none());
    }


}
