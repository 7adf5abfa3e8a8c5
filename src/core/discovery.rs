//! Authorization server metadata: OpenID Connect Discovery 1.0 §4 and RFC 8414 §3.
//!
//! The metadata `issuer` must equal the configured issuer exactly (RFC 8414 §3.3, OIDC
//! Discovery §4.3; policy 4), every endpoint must be https (loopback http excepted), and nothing
//! in the metadata can weaken the client: PKCE stays S256 whatever
//! `code_challenge_methods_supported` says, and only the accepted [`Alg`]s are used.

use alloc::string::String;
use alloc::vec::Vec;

use super::error::{Error, ErrorCode, Result};
use super::json::{self, Value};
use super::jws::Alg;
use super::uri;

/// Which well-known document to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataKind {
    /// `/.well-known/openid-configuration`, appended to the issuer (OIDC Discovery §4).
    OpenIdConfiguration,
    /// `/.well-known/oauth-authorization-server`, inserted between host and path
    /// (RFC 8414 §3.1).
    OAuthAuthorizationServer,
}

/// The metadata URL for `issuer`. Errors: [`ErrorCode::InsecureEndpoint`] for an issuer that is
/// not https (loopback excepted) or has a fragment; [`ErrorCode::InvalidConfig`] for a query.
pub fn metadata_url(issuer: &str, kind: MetadataKind) -> Result<String> {
    let parts = uri::check_endpoint(issuer)?;
    if parts.query.is_some() {
        return Err(ErrorCode::InvalidConfig.into());
    }
    let path = parts.path.trim_end_matches('/');
    let origin_len = issuer.len() - parts.path.len();
    let origin = issuer.get(..origin_len).ok_or(ErrorCode::InvalidConfig)?;
    let mut url = String::from(origin);
    match kind {
        MetadataKind::OpenIdConfiguration => {
            url.push_str(path);
            url.push_str("/.well-known/openid-configuration");
        }
        MetadataKind::OAuthAuthorizationServer => {
            url.push_str("/.well-known/oauth-authorization-server");
            url.push_str(path);
        }
    }
    Ok(url)
}

/// The metadata spa-oauth uses (RFC 8414 §2 names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderMetadata {
    /// `issuer`.
    pub issuer: String,
    /// `authorization_endpoint`.
    pub authorization_endpoint: Option<String>,
    /// `token_endpoint`.
    pub token_endpoint: Option<String>,
    /// `jwks_uri`.
    pub jwks_uri: Option<String>,
    /// `userinfo_endpoint` (OIDC Discovery §3).
    pub userinfo_endpoint: Option<String>,
    /// `revocation_endpoint` (RFC 7009 via RFC 8414).
    pub revocation_endpoint: Option<String>,
    /// `end_session_endpoint` (OIDC RP-Initiated Logout §2.1).
    pub end_session_endpoint: Option<String>,
    /// `authorization_response_iss_parameter_supported` (RFC 9207 §3).
    pub iss_parameter_supported: bool,
    /// `id_token_signing_alg_values_supported`, restricted to the accepted algorithms.
    pub id_token_algs: Vec<Alg>,
    /// `pushed_authorization_request_endpoint` (RFC 9126 §5).
    #[cfg(feature = "par")]
    pub par_endpoint: Option<String>,
    /// `require_pushed_authorization_requests` (RFC 9126 §5).
    #[cfg(feature = "par")]
    pub par_required: bool,
}

fn endpoint(v: &Value, name: &str) -> Result<Option<String>> {
    match v.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => {
            uri::check_endpoint(s).map_err(|_| Error::new(ErrorCode::DiscoveryInvalid))?;
            Ok(Some(s.clone()))
        }
        Some(_) => Err(ErrorCode::DiscoveryInvalid.into()),
    }
}

/// Parses and checks a metadata document fetched for `expected_issuer`.
///
/// Errors: [`ErrorCode::DiscoveryInvalid`] (not a JSON object, wrong types, an insecure
/// endpoint), [`ErrorCode::DiscoveryIssuerMismatch`].
pub fn parse_metadata(body: &[u8], expected_issuer: &str) -> Result<ProviderMetadata> {
    let v = json::parse(body).map_err(|_| ErrorCode::DiscoveryInvalid)?;
    if !v.is_object() {
        return Err(ErrorCode::DiscoveryInvalid.into());
    }
    let issuer = v.get("issuer").and_then(Value::as_str).ok_or(ErrorCode::DiscoveryInvalid)?;
    if issuer != expected_issuer {
        return Err(ErrorCode::DiscoveryIssuerMismatch.into());
    }
    let iss_parameter_supported = match v.get("authorization_response_iss_parameter_supported") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ErrorCode::DiscoveryInvalid.into()),
    };
    let id_token_algs = match v.get("id_token_signing_alg_values_supported") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).filter_map(Alg::from_name).collect(),
        Some(_) => return Err(ErrorCode::DiscoveryInvalid.into()),
    };
    Ok(ProviderMetadata {
        issuer: issuer.into(),
        authorization_endpoint: endpoint(&v, "authorization_endpoint")?,
        token_endpoint: endpoint(&v, "token_endpoint")?,
        jwks_uri: endpoint(&v, "jwks_uri")?,
        userinfo_endpoint: endpoint(&v, "userinfo_endpoint")?,
        revocation_endpoint: endpoint(&v, "revocation_endpoint")?,
        end_session_endpoint: endpoint(&v, "end_session_endpoint")?,
        iss_parameter_supported,
        id_token_algs,
        #[cfg(feature = "par")]
        par_endpoint: endpoint(&v, "pushed_authorization_request_endpoint")?,
        #[cfg(feature = "par")]
        par_required: match v.get("require_pushed_authorization_requests") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(ErrorCode::DiscoveryInvalid.into()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_urls() {
        use MetadataKind::*;
        assert_eq!(metadata_url("https://as.example", OpenIdConfiguration).unwrap(), "https://as.example/.well-known/openid-configuration");
        assert_eq!(metadata_url("https://as.example/", OpenIdConfiguration).unwrap(), "https://as.example/.well-known/openid-configuration");
        assert_eq!(metadata_url("https://as.example/tenant", OpenIdConfiguration).unwrap(), "https://as.example/tenant/.well-known/openid-configuration");
        // RFC 8414 §3.1 path insertion.
        assert_eq!(metadata_url("https://as.example/tenant/1", OAuthAuthorizationServer).unwrap(), "https://as.example/.well-known/oauth-authorization-server/tenant/1");
        assert_eq!(metadata_url("https://as.example", OAuthAuthorizationServer).unwrap(), "https://as.example/.well-known/oauth-authorization-server");
        assert_eq!(metadata_url("http://as.example", OpenIdConfiguration).unwrap_err().code, ErrorCode::InsecureEndpoint);
        assert_eq!(metadata_url("https://as.example?x", OpenIdConfiguration).unwrap_err().code, ErrorCode::InvalidConfig);
    }

    #[test]
    fn parses_and_checks() {
        let doc = br#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/auth",
            "token_endpoint":"https://as.example/token","jwks_uri":"https://as.example/jwks",
            "authorization_response_iss_parameter_supported":true,
            "code_challenge_methods_supported":["plain"],
            "id_token_signing_alg_values_supported":["none","HS256","RS256","ES256"]}"#;
        let m = parse_metadata(doc, "https://as.example").unwrap();
        assert_eq!(m.token_endpoint.as_deref(), Some("https://as.example/token"));
        assert!(m.iss_parameter_supported);
        assert_eq!(m.id_token_algs, [Alg::RS256, Alg::ES256]);
        assert_eq!(m.userinfo_endpoint, None);
        // DS: issuer must match exactly.
        assert_eq!(parse_metadata(doc, "https://as.example/").unwrap_err().code, ErrorCode::DiscoveryIssuerMismatch);
        for bad in [&br#"[]"#[..], b"{", br#"{"issuer":1}"#, br#"{}"#,
                    br#"{"issuer":"https://as.example","token_endpoint":"http://as.example/token"}"#,
                    br#"{"issuer":"https://as.example","jwks_uri":7}"#,
                    br#"{"issuer":"https://as.example","authorization_response_iss_parameter_supported":"yes"}"#] {
            assert_eq!(parse_metadata(bad, "https://as.example").unwrap_err().code, ErrorCode::DiscoveryInvalid, "{:?}", core::str::from_utf8(bad));
        }
    }
}
