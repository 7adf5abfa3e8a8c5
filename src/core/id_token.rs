//! ID token claim validation (OIDC Core §3.1.3.7, §3.1.3.8; §12.2 for refreshed tokens).
//!
//! Only a [`VerifiedJws`] — a token whose signature the adapter verified with WebCrypto — can
//! be validated here: the claim checks cannot run on an unverified token by mistake.

use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha256, Sha384, Sha512};

use super::base64url;
use super::error::{ErrorCode, Result};
use super::json::Value;
use super::jws::{Alg, VerifiedJws};
use super::secret::constant_time_eq;

/// Default clock tolerance in seconds (security catalogue IT-18).
pub const DEFAULT_CLOCK_TOLERANCE: u64 = 30;
/// Oldest acceptable `iat`, in seconds before now (catalogue IT-21: a token-endpoint ID token
/// was just issued; an hour is generous).
pub const DEFAULT_MAX_IAT_AGE: u64 = 3600;

/// What the client expects of an ID token.
#[derive(Debug, Clone, Copy)]
pub struct Expectations<'a> {
    /// The issuer (exact string equality, policy 4).
    pub issuer: &'a str,
    /// This client's `client_id`.
    pub client_id: &'a str,
    /// Audiences besides `client_id` that are acceptable (policy 8). Usually empty.
    pub trusted_audiences: &'a [String],
    /// The `nonce` sent in the authorization request; `None` when none was sent.
    pub nonce: Option<&'a str>,
    /// For refreshed ID tokens (OIDC Core §12.2): an absent `nonce` is accepted; a present one
    /// must still equal `nonce`.
    pub nonce_optional: bool,
    /// `max_age` sent in the authorization request, if any.
    pub max_age: Option<u64>,
    /// The hash of the access token of the same response (its ASCII octets, with the hash
    /// function of the ID token's `alg`), for `at_hash` (OIDC Core §3.1.3.6). The browser driver
    /// computes it with WebCrypto `digest`; [`access_token_hash`] computes it natively.
    pub access_token_hash: Option<&'a [u8]>,
    /// Now, seconds since the epoch.
    pub now: u64,
    /// Clock tolerance in seconds.
    pub clock_tolerance: u64,
    /// Oldest acceptable `iat`, seconds before now.
    pub max_iat_age: u64,
}

/// Validated claims of an ID token.
#[derive(Debug, Clone, PartialEq)]
pub struct IdTokenClaims {
    /// `iss`.
    pub iss: String,
    /// `sub`.
    pub sub: String,
    /// `aud`, as a list.
    pub aud: Vec<String>,
    /// `azp`.
    pub azp: Option<String>,
    /// `exp`.
    pub exp: f64,
    /// `iat`.
    pub iat: f64,
    /// `auth_time`.
    pub auth_time: Option<f64>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// All claims as JSON text (for `getIdTokenClaims()`).
    pub json: String,
}

fn number(claims: &Value, name: &str, code: ErrorCode) -> Result<Option<f64>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) if n.is_finite() && *n >= 0.0 => Ok(Some(*n)),
        Some(_) => Err(code.into()),
    }
}

fn required_number(claims: &Value, name: &str) -> Result<f64> {
    number(claims, name, ErrorCode::ClaimInvalid)?.ok_or_else(|| ErrorCode::ClaimInvalid.into())
}

/// The hash of an access token's ASCII octets with the hash function of `alg` (OIDC Core
/// §3.1.3.6), for [`Expectations::access_token_hash`]. Not used by the browser build (WebCrypto
/// hashes there; SHA-384/512 would add 2 kB to the module).
pub fn access_token_hash(access_token: &str, alg: Alg) -> Vec<u8> {
    let t = access_token.as_bytes();
    match alg.hash_bits() {
        256 => Sha256::digest(t).to_vec(),
        384 => Sha384::digest(t).to_vec(),
        _ => Sha512::digest(t).to_vec(),
    }
}

/// `at_hash` from the access token's hash (OIDC Core §3.1.3.6): base64url of its left half.
pub fn at_hash_from_hash(hash: &[u8]) -> String {
    base64url::encode(hash.get(..hash.len() / 2).unwrap_or_default())
}

/// `at_hash` for an access token (OIDC Core §3.1.3.6), computed natively.
pub fn at_hash(access_token: &str, alg: Alg) -> String {
    at_hash_from_hash(&access_token_hash(access_token, alg))
}

/// Validates the claims of a verified ID token (OIDC Core §3.1.3.7 steps 2–5, 9–13; §3.1.3.8).
///
/// Errors: [`ErrorCode::ClaimInvalid`], [`ErrorCode::IssuerMismatch`],
/// [`ErrorCode::AudienceMismatch`], [`ErrorCode::AzpMismatch`], [`ErrorCode::TokenExpired`],
/// [`ErrorCode::IatInvalid`], [`ErrorCode::NotYetValid`], [`ErrorCode::NonceMismatch`],
/// [`ErrorCode::AtHashMismatch`], [`ErrorCode::AuthTimeInvalid`].
pub fn validate(token: &VerifiedJws, expect: &Expectations<'_>) -> Result<IdTokenClaims> {
    let jws = token.jws();
    // typ (RFC 8725 §3.11, RFC 9068 §4): an ID token is a JWT; a token typed as something else
    // (e.g. an RFC 9068 access token, `at+jwt`, from the same issuer and keys) is not one.
    if jws.typ.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("JWT") && !t.eq_ignore_ascii_case("application/jwt")) {
        return Err(ErrorCode::IdTokenTypInvalid.into());
    }
    let c = &jws.claims;
    let now = expect.now as f64;
    let tol = expect.clock_tolerance as f64;

    // iss (IT-10, IT-11)
    let iss = c.get("iss").and_then(Value::as_str).ok_or(ErrorCode::ClaimInvalid)?;
    if iss != expect.issuer {
        return Err(ErrorCode::IssuerMismatch.into());
    }
    // sub (IT-24)
    let sub = match c.get("sub") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(ErrorCode::ClaimInvalid.into()),
    };
    // aud (IT-12..IT-14) and azp (IT-16, policy 8)
    let aud: Vec<String> = match c.get("aud") {
        Some(Value::String(a)) => alloc::vec![a.clone()],
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| v.as_str().map(String::from).ok_or(ErrorCode::ClaimInvalid))
            .collect::<core::result::Result<_, _>>()?,
        _ => return Err(ErrorCode::ClaimInvalid.into()),
    };
    if !aud.iter().any(|a| a == expect.client_id) {
        return Err(ErrorCode::AudienceMismatch.into());
    }
    if aud.iter().any(|a| a != expect.client_id && !expect.trusted_audiences.contains(a)) {
        return Err(ErrorCode::AudienceMismatch.into());
    }
    let azp = match c.get("azp") {
        None => None,
        Some(Value::String(a)) => Some(a.clone()),
        Some(_) => return Err(ErrorCode::ClaimInvalid.into()),
    };
    match &azp {
        Some(a) if a != expect.client_id => return Err(ErrorCode::AzpMismatch.into()),
        None if aud.len() > 1 => return Err(ErrorCode::AzpMismatch.into()),
        _ => {}
    }
    // exp (IT-17, IT-18)
    let exp = required_number(c, "exp")?;
    if now > exp + tol {
        return Err(ErrorCode::TokenExpired.into());
    }
    // iat (IT-20..IT-22)
    let iat = required_number(c, "iat")?;
    if iat > now + tol || now - iat > expect.max_iat_age as f64 + tol {
        return Err(ErrorCode::IatInvalid.into());
    }
    // nbf (IT-23)
    if let Some(nbf) = number(c, "nbf", ErrorCode::ClaimInvalid)? {
        if nbf > now + tol {
            return Err(ErrorCode::NotYetValid.into());
        }
    }
    // nonce (IT-25..IT-27)
    let nonce = match (expect.nonce, c.get("nonce")) {
        (Some(sent), Some(Value::String(got))) if constant_time_eq(sent.as_bytes(), got.as_bytes()) => Some(got.clone()),
        (None, None) => None,
        (_, None) if expect.nonce_optional => None,
        _ => return Err(ErrorCode::NonceMismatch.into()),
    };
    // at_hash (IT-28): checked when present; absent is fine in the code flow.
    match (c.get("at_hash"), expect.access_token_hash) {
        (None, _) => {}
        (Some(Value::String(h)), Some(hash)) => {
            // A hash of the wrong length (another function than the alg's) fails closed.
            let right_length = hash.len() * 8 == usize::from(jws.alg.hash_bits());
            if !right_length || !constant_time_eq(h.as_bytes(), at_hash_from_hash(hash).as_bytes()) {
                return Err(ErrorCode::AtHashMismatch.into());
            }
        }
        (Some(Value::String(_)), None) => {}
        (Some(_), _) => return Err(ErrorCode::AtHashMismatch.into()),
    }
    // auth_time (IT-30)
    let auth_time = number(c, "auth_time", ErrorCode::AuthTimeInvalid)?;
    if let Some(max_age) = expect.max_age {
        let t = auth_time.ok_or(ErrorCode::AuthTimeInvalid)?;
        if now - t > max_age as f64 + tol {
            return Err(ErrorCode::AuthTimeInvalid.into());
        }
    }
    Ok(IdTokenClaims { iss: iss.into(), sub, aud, azp, exp, iat, auth_time, nonce, json: jws.claims_json.clone() })
}

/// A step-up login (RFC 9470 §4; OIDC Core §3.1.2.1 `acr_values`) must come back with one of
/// the authentication context classes asked for: the validated claims' `acr` is one of the
/// space-separated `acr_values`. Errors: [`ErrorCode::AcrInvalid`] (absent, not a string, or
/// another class — a provider that answered the request at a lower level).
pub fn check_acr(claims: &Value, acr_values: &str) -> Result<()> {
    match claims.get("acr").and_then(Value::as_str) {
        Some(acr) if acr_values.split(' ').any(|v| !v.is_empty() && v == acr) => Ok(()),
        _ => Err(ErrorCode::AcrInvalid.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::jws::parse_compact;
    use alloc::format;

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn step_up_acr() {
        let c = |j: &str| crate::core::json::parse(j.as_bytes()).unwrap();
        assert!(check_acr(&c(r#"{"acr":"urn:mfa"}"#), "urn:pwd urn:mfa").is_ok());
        for bad in [r#"{"acr":"urn:pwd"}"#, r#"{}"#, r#"{"acr":1}"#, r#"{"acr":""}"#, r#"{"acr":"urn:mf"}"#] {
            assert_eq!(check_acr(&c(bad), "urn:mfa").unwrap_err().code, ErrorCode::AcrInvalid, "{bad}");
        }
    }

    fn verified(claims: &str) -> VerifiedJws {
        let t = format!("{}.{}.{}", base64url::encode(br#"{"alg":"RS256","kid":"k"}"#), base64url::encode(claims.as_bytes()), base64url::encode(b"sig"));
        VerifiedJws::after_signature_check(parse_compact(&t, &Alg::ALL).unwrap())
    }
    fn expect() -> Expectations<'static> {
        Expectations {
            issuer: "https://as.example", client_id: "c", trusted_audiences: &[], nonce: Some("n-1"), nonce_optional: false, max_age: None,
            access_token_hash: Some(Box::leak(access_token_hash("at", Alg::RS256).into_boxed_slice())), now: NOW, clock_tolerance: 30, max_iat_age: 3600,
        }
    }
    fn claims(extra: &str) -> String {
        let base = format!(r#""iss":"https://as.example","sub":"u1","aud":"c","exp":{},"iat":{},"nonce":"n-1""#, NOW + 300, NOW);
        format!("{{{base}{extra}}}")
    }
    fn code(json: &str) -> ErrorCode {
        validate(&verified(json), &expect()).unwrap_err().code
    }
    /// Replaces `"name":<value>` in the baseline claims.
    fn with(name: &str, value: &str) -> String {
        let v: Value = crate::core::json::parse(claims("").as_bytes()).unwrap();
        let Value::Object(members) = v else { unreachable!() };
        let mut out = String::from("{");
        let mut replaced = false;
        for (k, val) in members {
            if !out.ends_with('{') { out.push(','); }
            if k == name {
                replaced = true;
                if value != "<absent>" { out.push_str(&format!(r#""{k}":{value}"#)); } else { out.pop_if_comma(); }
            } else {
                let enc = match val { Value::String(s) => format!(r#""{s}""#), Value::Number(n) => format!("{n}"), _ => unreachable!() };
                out.push_str(&format!(r#""{k}":{enc}"#));
            }
        }
        if !replaced && value != "<absent>" { out.push_str(&format!(r#","{name}":{value}"#)); }
        out.push('}');
        out
    }
    trait PopComma { fn pop_if_comma(&mut self); }
    impl PopComma for String { fn pop_if_comma(&mut self) { if self.ends_with(',') { self.pop(); } } }

    fn verified_with_header(header: &str, claims: &str) -> VerifiedJws {
        let t = format!("{}.{}.{}", base64url::encode(header.as_bytes()), base64url::encode(claims.as_bytes()), base64url::encode(b"sig"));
        VerifiedJws::after_signature_check(parse_compact(&t, &Alg::ALL).unwrap())
    }

    #[test]
    fn typ_must_name_a_jwt() {
        // Issue 11.1: an RFC 9068 access token (typ at+jwt) with the claims of an ID token.
        for typ in ["at+jwt", "application/at+jwt", "dpop+jwt", "JOSE", ""] {
            let h = format!(r#"{{"alg":"RS256","kid":"k","typ":"{typ}"}}"#);
            let e = validate(&verified_with_header(&h, &claims("")), &expect()).unwrap_err();
            assert_eq!(e.code, ErrorCode::IdTokenTypInvalid, "{typ}");
        }
        for typ in ["JWT", "jwt", "application/jwt", "Application/JWT"] {
            let h = format!(r#"{{"alg":"RS256","kid":"k","typ":"{typ}"}}"#);
            assert!(validate(&verified_with_header(&h, &claims("")), &expect()).is_ok(), "{typ}");
        }
        // A typ that is not a string is a malformed header.
        let t = format!("{}.{}.{}", base64url::encode(br#"{"alg":"RS256","typ":1}"#), base64url::encode(claims("").as_bytes()), base64url::encode(b"sig"));
        assert_eq!(parse_compact(&t, &Alg::ALL).unwrap_err().code, ErrorCode::JwsMalformed);
    }

    #[test]
    fn valid_token() {
        let c = validate(&verified(&claims("")), &expect()).unwrap();
        assert_eq!((c.iss.as_str(), c.sub.as_str(), c.aud.as_slice()), ("https://as.example", "u1", &["c".into()][..]));
        // IT-14: one-element aud array; IT-28: at_hash absent is fine; correct at_hash accepted.
        assert!(validate(&verified(&with("aud", r#"["c"]"#)), &expect()).is_ok());
        assert!(validate(&verified(&claims(&format!(r#","at_hash":"{}""#, at_hash("at", Alg::RS256)))), &expect()).is_ok());
        // IT-29: c_hash / s_hash ignored.
        assert!(validate(&verified(&claims(r#","c_hash":"x","s_hash":"y""#)), &expect()).is_ok());
    }

    #[test]
    fn iss_sub_aud_azp() {
        assert_eq!(code(&with("iss", r#""https://evil.example""#)), ErrorCode::IssuerMismatch); // IT-10
        assert_eq!(code(&with("iss", r#""https://as.example/""#)), ErrorCode::IssuerMismatch);
        assert_eq!(code(&with("iss", "<absent>")), ErrorCode::ClaimInvalid); // IT-11
        assert_eq!(code(&with("iss", "1")), ErrorCode::ClaimInvalid);
        for sub in ["<absent>", r#""""#, "1", "null"] {
            assert_eq!(code(&with("sub", sub)), ErrorCode::ClaimInvalid, "{sub}"); // IT-24
        }
        assert_eq!(code(&with("aud", r#""other""#)), ErrorCode::AudienceMismatch); // IT-12
        assert_eq!(code(&with("aud", "<absent>")), ErrorCode::ClaimInvalid); // IT-13
        assert_eq!(code(&with("aud", "[]")), ErrorCode::ClaimInvalid);
        assert_eq!(code(&with("aud", r#"["c",1]"#)), ErrorCode::ClaimInvalid);
        // Policy 8: extra audience untrusted → reject; trusted + azp → accept.
        assert_eq!(code(&with("aud", r#"["c","api"]"#)), ErrorCode::AudienceMismatch);
        let trusted = [String::from("api")];
        let e = Expectations { trusted_audiences: &trusted, ..expect() };
        assert_eq!(validate(&verified(&with("aud", r#"["c","api"]"#)), &e).unwrap_err().code, ErrorCode::AzpMismatch);
        assert!(validate(&verified(&claims(r#","azp":"c""#).replace(r#""aud":"c""#, r#""aud":["c","api"]"#)), &e).is_ok());
        // IT-16: single aud but azp ≠ client → reject.
        assert_eq!(code(&claims(r#","azp":"other""#)), ErrorCode::AzpMismatch);
    }

    #[test]
    fn times() {
        assert_eq!(code(&with("exp", "<absent>")), ErrorCode::ClaimInvalid); // IT-17
        assert_eq!(code(&with("exp", &format!("{}", NOW - 300))), ErrorCode::TokenExpired); // IT-18
        assert!(validate(&verified(&with("exp", &format!("{}", NOW - 10))), &expect()).is_ok()); // within 30 s
        assert_eq!(code(&with("exp", r#""soon""#)), ErrorCode::ClaimInvalid);
        assert_eq!(code(&with("iat", "<absent>")), ErrorCode::ClaimInvalid); // IT-20
        assert_eq!(code(&with("iat", &format!("{}", NOW - 7 * 86400))), ErrorCode::IatInvalid); // IT-21
        assert_eq!(code(&with("iat", &format!("{}", NOW + 600))), ErrorCode::IatInvalid); // IT-22
        assert!(validate(&verified(&with("iat", &format!("{}", NOW + 20))), &expect()).is_ok());
        assert_eq!(code(&claims(&format!(r#","nbf":{}"#, NOW + 120))), ErrorCode::NotYetValid); // IT-23
        assert!(validate(&verified(&claims(&format!(r#","nbf":{}"#, NOW + 10))), &expect()).is_ok());
        assert_eq!(code(&claims(r#","nbf":"x""#)), ErrorCode::ClaimInvalid);
    }

    #[test]
    fn nonce_at_hash_auth_time() {
        assert_eq!(code(&with("nonce", r#""n-2""#)), ErrorCode::NonceMismatch); // IT-25
        assert_eq!(code(&with("nonce", "<absent>")), ErrorCode::NonceMismatch); // IT-26
        let no_nonce = Expectations { nonce: None, ..expect() };
        assert_eq!(validate(&verified(&claims("")), &no_nonce).unwrap_err().code, ErrorCode::NonceMismatch); // IT-27
        assert!(validate(&verified(&with("nonce", "<absent>")), &no_nonce).is_ok());
        assert_eq!(code(&claims(r#","at_hash":"wrong""#)), ErrorCode::AtHashMismatch); // IT-28
        assert_eq!(code(&claims(r#","at_hash":5"#)), ErrorCode::AtHashMismatch);
        for bad in ["-1", "null", r#""1""#, "[]", "{}", "true"] {
            assert_eq!(code(&claims(&format!(r#","auth_time":{bad}"#))), ErrorCode::AuthTimeInvalid, "{bad}"); // IT-30
        }
        let with_max_age = Expectations { max_age: Some(60), ..expect() };
        assert_eq!(validate(&verified(&claims("")), &with_max_age).unwrap_err().code, ErrorCode::AuthTimeInvalid);
        assert_eq!(validate(&verified(&claims(&format!(r#","auth_time":{}"#, NOW - 600))), &with_max_age).unwrap_err().code, ErrorCode::AuthTimeInvalid);
        assert!(validate(&verified(&claims(&format!(r#","auth_time":{}"#, NOW - 50))), &with_max_age).is_ok());
    }

    /// OIDC Core §3.1.3.6 example shape: at_hash is the left half, base64url.
    #[test]
    fn at_hash_lengths() {
        assert_eq!(at_hash("x", Alg::RS256).len(), 22);
        assert_eq!(at_hash("x", Alg::ES384).len(), 32);
        assert_eq!(at_hash("x", Alg::EdDSA).len(), 43);
        // Known value: SHA-256("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y") left half.
        assert_eq!(at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", Alg::RS256), "77QmUPtjPfzWtF2AnpK9RQ");
    }
}
