//! What the client knows about itself and its authorization server: the client registration
//! (RFC 7591 §2 names: `client_id`, `redirect_uri`) and the server metadata it relies on
//! (RFC 8414 §2 names). Filled from explicit options now; discovery fills the same struct.

use alloc::string::String;

use alloc::vec::Vec;

use super::error::{ErrorCode, Result};
use super::jws::Alg;
use super::uri;

/// Validated client and server configuration. Construct with [`ClientConfig::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The issuer identifier (RFC 8414 §2 `issuer`), compared by exact string equality.
    pub issuer: String,
    /// `client_id` (RFC 6749 §2.2) of this public client.
    pub client_id: String,
    /// `redirect_uri` (RFC 6749 §3.1.2), sent byte-for-byte as configured.
    pub redirect_uri: String,
    /// `authorization_endpoint` (RFC 8414 §2).
    pub authorization_endpoint: String,
    /// `token_endpoint` (RFC 8414 §2).
    pub token_endpoint: String,
    /// `authorization_response_iss_parameter_supported` (RFC 9207 §3): when true the
    /// authorization response must carry `iss`.
    pub require_iss: bool,
    /// `jwks_uri` (RFC 8414 §2), needed to verify ID tokens.
    pub jwks_uri: Option<String>,
    /// `userinfo_endpoint` (OIDC Discovery §3).
    pub userinfo_endpoint: Option<String>,
    /// `revocation_endpoint` (RFC 7009 §2, RFC 8414 §2).
    pub revocation_endpoint: Option<String>,
    /// `end_session_endpoint` (OIDC RP-Initiated Logout §2.1).
    pub end_session_endpoint: Option<String>,
    /// Accepted ID-token signing algorithms: the configured ones (the client's registered
    /// `id_token_signed_response_alg`), else RS256 (OIDC Core §3.1.3.7 step 7; catalogue IT-05).
    pub id_token_algs: Vec<Alg>,
    /// Audiences besides `client_id` accepted in ID tokens (policy 8). Empty by default.
    pub trusted_audiences: Vec<String>,
    /// Clock tolerance for `exp`/`iat`/`nbf`/`auth_time`, seconds (default 30).
    pub clock_tolerance: u64,
    /// Opt-in provider quirk: an authorization *error* response without `iss` is reported as
    /// that error even when `iss` is required (RFC 9207 §2.4 requires it on error responses too;
    /// some providers send it on success only). A success without `iss` is still refused.
    pub allow_error_without_iss: bool,
    /// `pushed_authorization_request_endpoint` (RFC 9126 §5), when pushes are to be made.
    #[cfg(feature = "par")]
    pub par_endpoint: Option<String>,
}

impl ClientConfig {
    /// Validates and builds a configuration. Errors: [`ErrorCode::InvalidConfig`] for an empty
    /// issuer or client id, [`ErrorCode::InsecureEndpoint`] for endpoints or a redirect URI that
    /// are not https (loopback excepted), carry credentials or a fragment (RFC 6749 §3.1, §3.1.2).
    pub fn new(
        issuer: String,
        client_id: String,
        redirect_uri: String,
        authorization_endpoint: String,
        token_endpoint: String,
        require_iss: bool,
    ) -> Result<Self> {
        if client_id.is_empty() || client_id.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(ErrorCode::InvalidConfig.into());
        }
        // RFC 8414 §2: the issuer is an https URL with no query or fragment.
        let iss = uri::check_endpoint(&issuer)?;
        if iss.query.is_some() {
            return Err(ErrorCode::InvalidConfig.into());
        }
        uri::check_endpoint(&redirect_uri)?;
        uri::check_endpoint(&authorization_endpoint)?;
        uri::check_endpoint(&token_endpoint)?;
        Ok(ClientConfig {
            issuer,
            client_id,
            redirect_uri,
            authorization_endpoint,
            token_endpoint,
            require_iss,
            jwks_uri: None,
            userinfo_endpoint: None,
            revocation_endpoint: None,
            end_session_endpoint: None,
            id_token_algs: alloc::vec![Alg::RS256],
            trusted_audiences: Vec::new(),
            clock_tolerance: super::id_token::DEFAULT_CLOCK_TOLERANCE,
            allow_error_without_iss: false,
            #[cfg(feature = "par")]
            par_endpoint: None,
        })
    }
}

#[cfg(test)]
pub(crate) fn test_config() -> ClientConfig {
    ClientConfig::new(
        "http://127.0.0.1:3000".into(),
        "spa-demo".into(),
        "http://127.0.0.1:5173/".into(),
        "http://127.0.0.1:3000/auth".into(),
        "http://127.0.0.1:3000/token".into(),
        true,
    )
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_insecure() {
        let mk = |iss: &str, redirect: &str, token: &str| {
            ClientConfig::new(iss.into(), "c".into(), redirect.into(), "https://as.example/auth".into(), token.into(), false)
        };
        assert!(mk("https://as.example", "https://app.example/cb", "https://as.example/token").is_ok());
        assert_eq!(mk("http://as.example", "https://app.example/cb", "https://as.example/token").unwrap_err().code, ErrorCode::InsecureEndpoint);
        assert_eq!(mk("https://as.example", "https://app.example/cb#x", "https://as.example/token").unwrap_err().code, ErrorCode::InsecureEndpoint);
        assert_eq!(mk("https://as.example", "https://app.example/cb", "http://as.example/token").unwrap_err().code, ErrorCode::InsecureEndpoint);
        assert_eq!(mk("https://as.example?x=1", "https://app.example/cb", "https://as.example/token").unwrap_err().code, ErrorCode::InvalidConfig);
        assert_eq!(ClientConfig::new("https://as.example".into(), "".into(), "https://app.example/cb".into(),
            "https://as.example/auth".into(), "https://as.example/token".into(), false).unwrap_err().code, ErrorCode::InvalidConfig);
    }
}
