//! The authorization response at the redirect URI (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 §2.4;
//! RFC 9700 §4.7): parse the callback URL, then validate it against the pending transaction.
//!
//! Order of checks (security catalogue AR-13): `state` and the transaction binding first, then
//! `iss`, then refused front-channel tokens, then `error`, then `code`. An `error=` response with
//! a wrong `state` or `iss` is therefore reported as the CSRF / mix-up failure it is, never as
//! the provider's error.

use alloc::string::String;
use alloc::vec::Vec;

use super::authorize::PendingAuthorization;
use super::config::ClientConfig;
use super::error::{Error, ErrorCode, Result, ServerDetail};
use super::form;
use super::secret::{constant_time_eq, AuthorizationCode};
use super::uri;

/// Parameters that mean an implicit, hybrid or JARM response (RFC 9700 §2.1.2; JARM §4.1).
const REFUSED_PARAMETERS: &[&str] = &["access_token", "id_token", "token", "response", "refresh_token"];

/// A parsed authorization response. Unknown parameters (`session_state`, ...) are ignored
/// (RFC 6749 §4.1.2) and never reflected anywhere.
#[derive(Debug, Clone)]
pub struct AuthorizationResponse {
    base: String,
    params: Vec<(String, String)>,
    fragment_has_tokens: bool,
}

/// Parameters the adapter removes from the address bar after a callback: the response's own,
/// and any front-channel token an attacker or a misbehaving server injected (catalogue BR-01).
pub const CALLBACK_PARAMETERS: &[&str] = &[
    "code", "state", "iss", "session_state", "error", "error_description", "error_uri",
    "access_token", "id_token", "token", "response", "refresh_token",
];

/// The address to show after a callback at `url` (BBA "Historic Note", catalogue BR-01): `url`
/// without the query parameters named in [`CALLBACK_PARAMETERS`] (names compared after
/// percent-decoding, so `c%6Fde` goes too), and without the fragment when it carries tokens.
/// Every other parameter stays byte for byte; no `?` is left when none stays.
pub fn cleaned_url(url: &str) -> String {
    let drop_fragment = AuthorizationResponse::parse(url).is_ok_and(|r| r.fragment_has_tokens());
    uri::without_params(url, CALLBACK_PARAMETERS, drop_fragment)
}

impl AuthorizationResponse {
    /// Parses a callback URL (absolute). Errors: [`ErrorCode::CallbackMalformed`] for a URL that
    /// is not absolute, a malformed query, or a parameter repeated (RFC 6749 §3.1).
    pub fn parse(url: &str) -> Result<Self> {
        let parts = uri::split(url, ErrorCode::CallbackMalformed)?;
        let params = form::parse_pairs(parts.query.unwrap_or(""))?;
        for (i, (name, _)) in params.iter().enumerate() {
            if params.iter().take(i).any(|(n, _)| n == name) {
                return Err(ErrorCode::CallbackMalformed.into());
            }
        }
        // A fragment carrying tokens is an implicit/hybrid response (catalogue AR-17); the
        // fragment's own syntax is not ours to judge otherwise.
        let fragment_has_tokens = match parts.fragment.map(form::parse_pairs) {
            Some(Ok(pairs)) => pairs.iter().any(|(n, _)| REFUSED_PARAMETERS.contains(&n.as_str())),
            _ => false,
        };
        Ok(AuthorizationResponse { base: uri::base_for_comparison(&parts), params, fragment_has_tokens })
    }

    /// True when the URL fragment carries tokens (an implicit-style response): the adapter
    /// then removes the whole fragment from the address bar.
    pub fn fragment_has_tokens(&self) -> bool {
        self.fragment_has_tokens
    }

    /// The value of a response parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The `state` value, to look up the pending transaction. Errors: [`ErrorCode::StateMissing`].
    pub fn state(&self) -> Result<&str> {
        match self.param("state") {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(ErrorCode::StateMissing.into()),
        }
    }

    /// True when the URL looks like an authorization response: `state` plus `code` or `error`
    /// in the query (what `isRedirectCallback` answers).
    pub fn looks_like_callback(&self) -> bool {
        self.param("state").is_some() && (self.param("code").is_some() || self.param("error").is_some())
    }

    /// Validates the response against the transaction found for its `state` (`None` when there
    /// was none) and returns the authorization code.
    ///
    /// Errors, in check order: [`ErrorCode::StateMissing`], [`ErrorCode::StateMismatch`] (no
    /// transaction, or a different state), [`ErrorCode::TransactionExpired`],
    /// [`ErrorCode::TransactionMismatch`] (transaction of another issuer/client/redirect URI),
    /// [`ErrorCode::RedirectUriMismatch`], [`ErrorCode::IssMismatch`], [`ErrorCode::IssMissing`],
    /// [`ErrorCode::UnexpectedCallbackParameter`], [`ErrorCode::AuthorizationError`] (with the
    /// server's fields), [`ErrorCode::CodeMissing`].
    pub fn validate(
        &self,
        config: &ClientConfig,
        pending: Option<&PendingAuthorization>,
        now: u64,
    ) -> Result<AuthorizationCode> {
        let state = self.state()?;
        let pending = pending.ok_or(ErrorCode::StateMismatch)?;
        if !constant_time_eq(state.as_bytes(), pending.state.expose().as_bytes()) {
            return Err(ErrorCode::StateMismatch.into());
        }
        if pending.is_expired(now) {
            return Err(ErrorCode::TransactionExpired.into());
        }
        if pending.issuer != config.issuer
            || pending.client_id != config.client_id
            || pending.redirect_uri != config.redirect_uri
        {
            return Err(ErrorCode::TransactionMismatch.into());
        }
        let redirect = uri::split(&pending.redirect_uri, ErrorCode::TransactionMismatch)?;
        if uri::base_for_comparison(&redirect) != self.base {
            return Err(ErrorCode::RedirectUriMismatch.into());
        }
        match self.param("iss") {
            Some(iss) if iss != config.issuer => return Err(ErrorCode::IssMismatch.into()),
            None if config.require_iss && !(config.allow_error_without_iss && self.param("error").is_some()) => {
                return Err(ErrorCode::IssMissing.into())
            }
            _ => {}
        }
        if self.fragment_has_tokens || self.params.iter().any(|(n, _)| REFUSED_PARAMETERS.contains(&n.as_str())) {
            return Err(ErrorCode::UnexpectedCallbackParameter.into());
        }
        if let Some(error) = self.param("error") {
            return Err(Error::with_detail(ErrorCode::AuthorizationError, ServerDetail::said(Some(error.into()), self.param("error_description").map(String::from), self.param("error_uri").map(String::from), None)));
        }
        match self.param("code") {
            Some(code) if !code.is_empty() => Ok(AuthorizationCode::new(code.into())),
            _ => Err(ErrorCode::CodeMissing.into()),
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn cleaned_url_removes_only_the_response() {
        assert_eq!(cleaned_url("https://app.example/cb?code=c&state=s&iss=x"), "https://app.example/cb");
        assert_eq!(cleaned_url("https://app.example/cb?tab=2&code=c&x=a%20b+c&state=s"), "https://app.example/cb?tab=2&x=a%20b+c");
        assert_eq!(cleaned_url("https://app.example/cb?c%6Fde=c&keep=1#frag"), "https://app.example/cb?keep=1#frag");
        assert_eq!(cleaned_url("https://app.example/cb?code=c#access_token=t&state=s"), "https://app.example/cb");
        assert_eq!(cleaned_url("https://app.example/cb"), "https://app.example/cb");
        assert_eq!(cleaned_url("https://app.example/cb?state=s&session_state=z&error=e&error_description=d"), "https://app.example/cb");
    }

    use super::*;
    use crate::core::authorize::{authorization_request, AuthorizationRequest, RANDOM_BYTES};
    use crate::core::config::test_config;
    use alloc::format;

    const ISS: &str = "http%3A%2F%2F127.0.0.1%3A3000";

    fn pending() -> PendingAuthorization {
        let random: Vec<u8> = (0..RANDOM_BYTES as u8).collect();
        let req = AuthorizationRequest { scope: "openid".into(), extra: Vec::new() };
        authorization_request(&test_config(), &req, &random, 1000).unwrap().1
    }

    fn run(query: &str, pending: Option<&PendingAuthorization>) -> Result<AuthorizationCode> {
        let url = format!("http://127.0.0.1:5173/?{query}");
        AuthorizationResponse::parse(&url)?.validate(&test_config(), pending, 1010)
    }

    fn code_of(r: Result<AuthorizationCode>) -> ErrorCode {
        r.unwrap_err().code
    }

    #[test]
    fn ar01_baseline() {
        let p = pending();
        let q = format!("code=abc&state={}&iss={ISS}&session_state=x", p.state.expose());
        assert_eq!(run(&q, Some(&p)).unwrap().expose(), "abc");
    }

    #[test]
    fn ar02_ar03_ar04_ar05_state() {
        let p = pending();
        assert_eq!(code_of(run(&format!("code=abc&state=x{}&iss={ISS}", p.state.expose()), Some(&p))), ErrorCode::StateMismatch);
        assert_eq!(code_of(run(&format!("code=abc&iss={ISS}"), Some(&p))), ErrorCode::StateMissing);
        assert_eq!(code_of(run(&format!("code=abc&state=&iss={ISS}"), Some(&p))), ErrorCode::StateMissing);
        assert_eq!(code_of(run(&format!("code=abc&state=forged&iss={ISS}"), None)), ErrorCode::StateMismatch);
    }

    #[test]
    fn expired_and_foreign_transactions() {
        let p = pending();
        let q = format!("code=abc&state={}&iss={ISS}", p.state.expose());
        let r = AuthorizationResponse::parse(&format!("http://127.0.0.1:5173/?{q}")).unwrap();
        assert_eq!(r.validate(&test_config(), Some(&p), 1000 + 601).unwrap_err().code, ErrorCode::TransactionExpired);
        // AR-21: same state, but the transaction was started against another issuer / client.
        let mut other = p.clone();
        other.issuer = "http://127.0.0.1:4000".into();
        assert_eq!(code_of(run(&q, Some(&other))), ErrorCode::TransactionMismatch);
        let mut other = p.clone();
        other.client_id = "other".into();
        assert_eq!(code_of(run(&q, Some(&other))), ErrorCode::TransactionMismatch);
        // Callback delivered to another path than the redirect URI.
        let r = AuthorizationResponse::parse(&format!("http://127.0.0.1:5173/elsewhere?{q}")).unwrap();
        assert_eq!(r.validate(&test_config(), Some(&p), 1010).unwrap_err().code, ErrorCode::RedirectUriMismatch);
    }

    #[test]
    fn ar08_ar09_ar11_iss() {
        let p = pending();
        let s = p.state.expose();
        assert_eq!(code_of(run(&format!("code=abc&state={s}&iss=http%3A%2F%2Fevil"), Some(&p))), ErrorCode::IssMismatch);
        assert_eq!(code_of(run(&format!("code=abc&state={s}"), Some(&p))), ErrorCode::IssMissing);
        // Trailing slash is a different issuer (exact comparison, policy 4).
        assert_eq!(code_of(run(&format!("code=abc&state={s}&iss={ISS}%2F"), Some(&p))), ErrorCode::IssMismatch);
        // Not advertised: absent is fine, present must still match.
        let mut cfg = test_config();
        cfg.require_iss = false;
        let r = AuthorizationResponse::parse(&format!("http://127.0.0.1:5173/?code=abc&state={s}")).unwrap();
        assert!(r.validate(&cfg, Some(&p), 1010).is_ok());
        let r = AuthorizationResponse::parse(&format!("http://127.0.0.1:5173/?code=abc&state={s}&iss=x")).unwrap();
        assert_eq!(r.validate(&cfg, Some(&p), 1010).unwrap_err().code, ErrorCode::IssMismatch);
    }

    #[test]
    fn error_without_iss_quirk() {
        // Issue 15: a provider that advertises RFC 9207 but sends iss on success only.
        let p = pending();
        let s = p.state.expose();
        let denied = format!("http://127.0.0.1:5173/?error=access_denied&state={s}");
        let r = AuthorizationResponse::parse(&denied).unwrap();
        assert_eq!(r.validate(&test_config(), Some(&p), 1010).unwrap_err().code, ErrorCode::IssMissing, "default: refused");
        let mut cfg = test_config();
        cfg.allow_error_without_iss = true;
        let e = r.validate(&cfg, Some(&p), 1010).unwrap_err();
        assert_eq!((e.code, e.error()), (ErrorCode::AuthorizationError, Some("access_denied")));
        // A success without iss is still refused; a wrong iss on an error too.
        let ok = AuthorizationResponse::parse(&format!("http://127.0.0.1:5173/?code=abc&state={s}")).unwrap();
        assert_eq!(ok.validate(&cfg, Some(&p), 1010).unwrap_err().code, ErrorCode::IssMissing);
        let wrong = AuthorizationResponse::parse(&format!("{denied}&iss=x")).unwrap();
        assert_eq!(wrong.validate(&cfg, Some(&p), 1010).unwrap_err().code, ErrorCode::IssMismatch);
    }

    #[test]
    fn ar12_ar13_ar14_errors() {
        let p = pending();
        let s = p.state.expose();
        let e = run(&format!("error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&error_uri=javascript%3Ax&state={s}&iss={ISS}"), Some(&p)).unwrap_err();
        assert_eq!(e.code, ErrorCode::AuthorizationError);
        assert_eq!(e.error(), Some("access_denied"));
        assert_eq!(e.error_description(), Some("<b>no</b>"));
        assert_eq!(e.error_uri(), Some("javascript:x"));
        // AR-13: an error with a wrong state / iss is a state / iss failure.
        assert_eq!(code_of(run(&format!("error=access_denied&state=bad&iss={ISS}"), Some(&p))), ErrorCode::StateMismatch);
        assert_eq!(code_of(run(&format!("error=access_denied&state={s}&iss=evil"), Some(&p))), ErrorCode::IssMismatch);
        assert_eq!(code_of(run("error=access_denied", Some(&p))), ErrorCode::StateMissing);
        // AR-14: code and error → error.
        assert_eq!(code_of(run(&format!("code=abc&error=login_required&state={s}&iss={ISS}"), Some(&p))), ErrorCode::AuthorizationError);
    }

    #[test]
    fn ar15_ar17_ar18_code_and_injected_tokens() {
        let p = pending();
        let s = p.state.expose();
        assert_eq!(code_of(run(&format!("state={s}&iss={ISS}"), Some(&p))), ErrorCode::CodeMissing);
        assert_eq!(code_of(run(&format!("code=&state={s}&iss={ISS}"), Some(&p))), ErrorCode::CodeMissing);
        for injected in ["access_token=at", "id_token=x.y.z", "token=t", "response=eyJ"] {
            assert_eq!(code_of(run(&format!("code=abc&{injected}&state={s}&iss={ISS}"), Some(&p))),
                       ErrorCode::UnexpectedCallbackParameter, "{injected}");
        }
        let url = format!("http://127.0.0.1:5173/?code=abc&state={s}&iss={ISS}#access_token=at&token_type=bearer");
        let r = AuthorizationResponse::parse(&url).unwrap();
        assert_eq!(r.validate(&test_config(), Some(&p), 1010).unwrap_err().code, ErrorCode::UnexpectedCallbackParameter);
    }

    #[test]
    fn malformed_and_duplicates() {
        let p = pending();
        let s = p.state.expose();
        assert_eq!(code_of(run(&format!("code=a&code=b&state={s}&iss={ISS}"), Some(&p))), ErrorCode::CallbackMalformed);
        assert_eq!(code_of(run(&format!("code=%zz&state={s}"), Some(&p))), ErrorCode::CallbackMalformed);
        assert_eq!(AuthorizationResponse::parse("/relative?code=a").unwrap_err().code, ErrorCode::CallbackMalformed);
        assert!(!AuthorizationResponse::parse("http://127.0.0.1:5173/?code=a").unwrap().looks_like_callback());
        assert!(AuthorizationResponse::parse("http://127.0.0.1:5173/?code=a&state=b").unwrap().looks_like_callback());
        assert!(AuthorizationResponse::parse("http://127.0.0.1:5173/?error=a&state=b").unwrap().looks_like_callback());
    }
}
