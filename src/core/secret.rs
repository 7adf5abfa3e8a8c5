//! Secret strings: access, refresh and ID tokens, authorization codes, PKCE verifiers, `state`
//! and `nonce` values. Their `Debug` output is redacted and they implement neither `Display`
//! nor `PartialEq`, so a secret cannot end up in a log line or be compared in variable time by
//! accident (ARCHITECTURE §5; security catalogue BR-05).

use alloc::string::String;
use core::fmt;

macro_rules! secret {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value.
            pub fn new(value: String) -> Self {
                $name(value)
            }
            /// The secret value. Call only where it must be sent or stored in memory.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret!(
    /// An OAuth 2.0 access token (RFC 6749 §1.4), kept in memory only.
    AccessToken
);
secret!(
    /// An OAuth 2.0 refresh token (RFC 6749 §1.5), kept in memory only.
    RefreshToken
);
secret!(
    /// An OpenID Connect ID token (OIDC Core §2), compact JWS, kept in memory only.
    IdToken
);
secret!(
    /// An authorization code (RFC 6749 §4.1.2), single use.
    AuthorizationCode
);
secret!(
    /// A PKCE `code_verifier` (RFC 7636 §4.1).
    CodeVerifier
);
secret!(
    /// The `state` value binding an authorization response to its request (RFC 6749 §10.12).
    State
);
secret!(
    /// An OpenID Connect `nonce` (OIDC Core §3.1.2.1).
    Nonce
);

/// Compares two byte strings in time that depends only on their lengths
/// (used for `state`, RFC 9700 §4.7).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
    }
    // Keep the optimizer from short-circuiting the loop.
    core::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn debug_is_redacted() {
        let t = AccessToken::new("eyJsecret".into());
        let s = format!("{:?}", t);
        assert_eq!(s, "AccessToken(<redacted>)");
        assert!(!s.contains("secret"));
    }

    #[test]
    fn ct_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
