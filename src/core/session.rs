//! The in-memory session: the token set of one login and the expiry arithmetic on it.
//! Nothing here is ever serialized: tokens live in memory only (ARCHITECTURE §5).

use alloc::string::String;

use super::id_token::IdTokenClaims;
use super::secret::{AccessToken, IdToken, RefreshToken};
use super::token::{TokenResponse, TokenType};

/// The tokens of the current session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Access token (RFC 6749 §1.4).
    pub access_token: AccessToken,
    /// Its type.
    pub token_type: TokenType,
    /// Absolute expiry, seconds since the epoch; `None` when unknown.
    pub expires_at: Option<f64>,
    /// Granted scope.
    pub scope: String,
    /// Refresh token, if any (RFC 6749 §1.5).
    pub refresh_token: Option<RefreshToken>,
    /// ID token, if any.
    pub id_token: Option<IdToken>,
    /// The validated claims of the ID token (signature verified, OIDC Core §3.1.3.7).
    pub id_claims: Option<IdTokenClaims>,
    /// When these tokens were obtained (seconds since the epoch, caller's clock): orders
    /// sessions shared between tabs, so an older one never replaces a newer one.
    pub obtained_at: f64,
}

impl Session {
    /// Starts a session from a validated token response and the validated claims of its ID
    /// token (when it carried one).
    pub fn from_token_response(r: TokenResponse, id_claims: Option<IdTokenClaims>, now: f64) -> Self {
        Session {
            access_token: r.access_token,
            token_type: r.token_type,
            expires_at: r.expires_at,
            scope: r.scope,
            refresh_token: r.refresh_token,
            id_token: r.id_token,
            id_claims,
            obtained_at: now,
        }
    }

    /// True when the access token is usable at `now` for at least `margin` more seconds.
    /// A token of unknown lifetime counts as usable (the resource server will say otherwise).
    pub fn is_fresh(&self, now: f64, margin: f64) -> bool {
        match self.expires_at {
            Some(at) => at - now > margin,
            None => true,
        }
    }

    /// The renewal margin actually used: the configured one when it is shorter than the token's
    /// lifetime, else half the lifetime — a margin at or above the lifetime would make every new
    /// token "due" at once and renew in a loop.
    pub fn effective_margin(&self, configured: f64) -> f64 {
        match self.expires_at {
            Some(at) if configured >= at - self.obtained_at => ((at - self.obtained_at) / 2.0).max(0.0),
            _ => configured,
        }
    }

    /// When the next renewal is due (seconds since the epoch), for a renewable session.
    pub fn renewal_due(&self, configured_margin: f64) -> Option<f64> {
        self.refresh_token.as_ref()?;
        self.expires_at.map(|at| at - self.effective_margin(configured_margin))
    }

    /// The access token when fresh at `now` (see [`is_fresh`](Self::is_fresh)).
    pub fn access_token_at(&self, now: f64, margin: f64) -> Option<&AccessToken> {
        self.is_fresh(now, margin).then_some(&self.access_token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(expires_at: Option<f64>) -> Session {
        Session {
            access_token: AccessToken::new("at".into()),
            token_type: TokenType::Bearer,
            expires_at,
            scope: "openid".into(),
            refresh_token: None,
            id_token: None,
            id_claims: None,
            obtained_at: 0.0,
        }
    }

    #[test]
    fn margin_at_or_above_the_lifetime_falls_back_to_half() {
        let mut s = session(Some(130.0));
        s.obtained_at = 100.0; // a 30 s token
        s.refresh_token = Some(crate::core::secret::RefreshToken::new("r".into()));
        assert_eq!(s.effective_margin(60.0), 15.0);
        assert_eq!(s.effective_margin(30.0), 15.0);
        assert_eq!(s.renewal_due(60.0), Some(115.0));
        assert_eq!(s.effective_margin(5.0), 5.0);
        assert_eq!(s.effective_margin(26.0), 26.0); // shorter than the lifetime: as configured
        assert!(s.is_fresh(110.0, s.effective_margin(60.0)));
        assert!(!s.is_fresh(116.0, s.effective_margin(60.0)));
        s.refresh_token = None;
        assert_eq!(s.renewal_due(60.0), None);
    }

    #[test]
    fn freshness() {
        let s = session(Some(100.0));
        assert!(s.access_token_at(50.0, 0.0).is_some());
        assert!(s.access_token_at(99.0, 0.0).is_some());
        assert!(s.access_token_at(100.0, 0.0).is_none());
        assert!(s.access_token_at(50.0, 60.0).is_none());
        assert!(session(None).access_token_at(1e12, 0.0).is_some());
    }
}
