//! Refreshing an access token (RFC 6749 §6) with rotation (RFC 9700 §4.14.2), and the rules
//! for an ID token that comes back with it (OIDC Core §12.2).

use alloc::string::String;

use super::config::ClientConfig;
use super::error::{ErrorCode, Result};
use super::id_token::IdTokenClaims;
use super::secret::RefreshToken;
use super::session::Session;
use super::token::{HttpRequest, TokenResponse};

/// The refresh request (RFC 6749 §6): POST `grant_type=refresh_token`, `refresh_token`,
/// `client_id` (public client, §3.2.1). The scope is not sent: the grant keeps its scope.
/// Errors: [`ErrorCode::InsecureEndpoint`].
pub fn refresh_request(config: &ClientConfig, refresh_token: &RefreshToken) -> Result<HttpRequest> {
    super::token::token_endpoint_request(config, &[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.expose()),
        ("client_id", config.client_id.as_str()),
    ])
}

/// Checks that a refreshed ID token belongs to the same authentication (OIDC Core §12.2;
/// catalogue RT-05..RT-07): same `iss`, `sub`, `aud` (as a set), `azp`, and `auth_time` when
/// the new token carries one. Errors: [`ErrorCode::IdTokenChanged`].
pub fn check_same_authentication(previous: &IdTokenClaims, refreshed: &IdTokenClaims) -> Result<()> {
    let same_aud = previous.aud.len() == refreshed.aud.len() && previous.aud.iter().all(|a| refreshed.aud.contains(a));
    let auth_time_ok = match (previous.auth_time, refreshed.auth_time) {
        (_, None) => true,
        (Some(a), Some(b)) => a == b,
        (None, Some(_)) => false,
    };
    if previous.iss != refreshed.iss || previous.sub != refreshed.sub || !same_aud || previous.azp != refreshed.azp || !auth_time_ok {
        return Err(ErrorCode::IdTokenChanged.into());
    }
    Ok(())
}

impl Session {
    /// The session after a successful refresh (RFC 6749 §6): the new access token; the new
    /// refresh token when one was issued (rotation), else the current one (RT-01, RT-02); the new
    /// ID token and claims when one came back (already checked with
    /// [`check_same_authentication`]), else the current ones; the granted scope when the
    /// response names one, else the current scope.
    pub fn refreshed(&self, r: TokenResponse, scope_in_response: bool, id_claims: Option<IdTokenClaims>, now: f64) -> Session {
        let scope: String = if scope_in_response { r.scope } else { self.scope.clone() };
        Session {
            access_token: r.access_token,
            token_type: r.token_type,
            expires_at: r.expires_at,
            scope,
            refresh_token: r.refresh_token.or_else(|| self.refresh_token.clone()),
            id_token: r.id_token.or_else(|| self.id_token.clone()),
            id_claims: id_claims.or_else(|| self.id_claims.clone()),
            obtained_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::test_config;
    use crate::core::secret::AccessToken;
    use crate::core::token::TokenType;
    use alloc::vec;

    fn claims() -> IdTokenClaims {
        IdTokenClaims {
            iss: "i".into(), sub: "s".into(), aud: vec!["c".into()], azp: None, exp: 0.0, iat: 0.0,
            auth_time: Some(100.0), nonce: Some("n".into()), json: "{}".into(),
        }
    }

    #[test]
    fn request_shape() {
        let r = refresh_request(&test_config(), &RefreshToken::new("r t".into())).unwrap();
        assert_eq!(r.body, "grant_type=refresh_token&refresh_token=r%20t&client_id=spa-demo");
        assert_eq!((r.method, r.url.as_str()), ("POST", "http://127.0.0.1:3000/token"));
    }

    #[test]
    fn rt05_rt06_rt07_same_authentication() {
        let p = claims();
        assert!(check_same_authentication(&p, &claims()).is_ok());
        let mut no_auth_time = claims();
        no_auth_time.auth_time = None;
        assert!(check_same_authentication(&p, &no_auth_time).is_ok());
        let changes: [fn(&mut IdTokenClaims); 6] = [
            |c| c.iss = "other".into(),
            |c| c.sub = "other".into(),
            |c| c.aud = vec!["c".into(), "x".into()],
            |c| c.azp = Some("c".into()),
            |c| c.auth_time = Some(101.0),
            |c| c.aud = vec!["x".into()],
        ];
        for change in changes {
            let mut c = claims();
            change(&mut c);
            assert_eq!(check_same_authentication(&p, &c).unwrap_err().code, ErrorCode::IdTokenChanged);
        }
    }

    #[test]
    fn rt01_rt02_rotation() {
        let old = Session {
            access_token: AccessToken::new("a1".into()), token_type: TokenType::Bearer, expires_at: Some(10.0),
            scope: "openid offline_access".into(), refresh_token: Some(RefreshToken::new("r1".into())),
            id_token: None, id_claims: Some(claims()), obtained_at: 1.0,
        };
        let resp = |rt: Option<&str>| TokenResponse {
            access_token: AccessToken::new("a2".into()), token_type: TokenType::Bearer, expires_at: Some(20.0),
            scope: "openid".into(), refresh_token: rt.map(|r| RefreshToken::new(r.into())), id_token: None,
        };
        let rotated = old.refreshed(resp(Some("r2")), false, None, 2.0);
        assert_eq!((rotated.access_token.expose(), rotated.refresh_token.as_ref().unwrap().expose()), ("a2", "r2"));
        assert_eq!(rotated.scope, "openid offline_access");
        assert!(rotated.id_claims.is_some());
        let kept = old.refreshed(resp(None), true, None, 2.0);
        assert_eq!(kept.refresh_token.as_ref().unwrap().expose(), "r1");
        assert_eq!(kept.scope, "openid");
    }
}
