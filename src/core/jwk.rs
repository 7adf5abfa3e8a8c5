//! JSON Web Key Sets (RFC 7517 §5) and key selection for a JWS (RFC 7515 §4.1.4; OIDC Core
//! §10.1.1).
//!
//! Parsing keeps only public verification keys spa-oauth can use: RSA (modulus ≥ 2048 bits),
//! EC P-256/P-384/P-521 and OKP Ed25519, with `use` absent or `sig` and `key_ops` absent or
//! containing `verify`. Symmetric (`oct`) keys and private members are never used: a
//! [`Jwk`] holds only the public members it needs.

use alloc::string::String;
use alloc::vec::Vec;

use super::base64url;
use super::error::{ErrorCode, Result};
use super::json::{self, Value};
use super::jws::{Alg, AlgFamily, UnverifiedJws};

/// Minimum RSA modulus size (RFC 7518 §3.3, §3.5).
pub const MIN_RSA_BITS: usize = 2048;

/// The public part of a usable verification key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// `kty: RSA` with base64url `n` and `e`.
    Rsa {
        /// Modulus.
        n: String,
        /// Exponent.
        e: String,
    },
    /// `kty: EC` with its curve and coordinates.
    Ec {
        /// `crv`: P-256, P-384 or P-521.
        crv: String,
        /// `x` coordinate.
        x: String,
        /// `y` coordinate.
        y: String,
    },
    /// `kty: OKP`, `crv: Ed25519` (RFC 8037).
    Ed25519 {
        /// Public key bytes, base64url.
        x: String,
    },
}

/// A usable key of a JWK Set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    /// `kid`.
    pub kid: Option<String>,
    /// `alg`, when the key is restricted to one algorithm (RFC 7517 §4.4).
    pub alg: Option<String>,
    /// The public key.
    pub key: PublicKey,
}

fn field<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Value::as_str)
}

fn b64_len(s: &str, expect: usize) -> bool {
    base64url::decode(s).is_some_and(|b| b.len() == expect)
}

fn rsa_bits(n: &str) -> usize {
    let Some(bytes) = base64url::decode(n) else { return 0 };
    let mut iter = bytes.iter().skip_while(|&&b| b == 0);
    match iter.next() {
        Some(&first) => (8 - first.leading_zeros() as usize) + 8 * iter.count(),
        None => 0,
    }
}

/// Reads one JWK; `None` when it is not a usable public verification key.
fn parse_key(v: &Value) -> Option<Jwk> {
    if !v.is_object() {
        return None;
    }
    match v.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(_) => return None,
    }
    match v.get("key_ops") {
        None => {}
        Some(Value::Array(ops)) if ops.iter().any(|o| o.as_str() == Some("verify")) => {}
        Some(_) => return None,
    }
    let alg = match v.get("alg") {
        None => None,
        Some(Value::String(a)) => Some(a.clone()),
        Some(_) => return None,
    };
    let kid = match v.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return None,
    };
    let key = match field(v, "kty")? {
        "RSA" => {
            let n = field(v, "n")?;
            let e = field(v, "e")?;
            if rsa_bits(n) < MIN_RSA_BITS || base64url::decode(e).is_none_or(|b| b.is_empty() || b.len() > 8) {
                return None;
            }
            PublicKey::Rsa { n: n.into(), e: e.into() }
        }
        "EC" => {
            let crv = field(v, "crv")?;
            let size = match crv {
                "P-256" => 32,
                "P-384" => 48,
                "P-521" => 66,
                _ => return None,
            };
            let (x, y) = (field(v, "x")?, field(v, "y")?);
            if !b64_len(x, size) || !b64_len(y, size) {
                return None;
            }
            PublicKey::Ec { crv: crv.into(), x: x.into(), y: y.into() }
        }
        "OKP" => {
            let x = field(v, "x")?;
            if field(v, "crv")? != "Ed25519" || !b64_len(x, 32) {
                return None;
            }
            PublicKey::Ed25519 { x: x.into() }
        }
        _ => return None, // oct and anything unknown
    };
    Some(Jwk { kid, alg, key })
}

/// Parses a JWK Set document, keeping the usable keys (others are skipped, not errors: a set
/// may carry encryption keys or key types we do not use). Errors: [`ErrorCode::JwksInvalid`]
/// when the document is not a JSON object with a `keys` array.
pub fn parse_jwks(body: &[u8]) -> Result<Vec<Jwk>> {
    jwks_from_value(&json::parse(body).map_err(|_| ErrorCode::JwksInvalid)?)
}

/// [`parse_jwks`] of a JWK Set already parsed (e.g. one an application passed as an object).
pub fn jwks_from_value(v: &Value) -> Result<Vec<Jwk>> {
    let Some(Value::Array(keys)) = v.get("keys") else { return Err(ErrorCode::JwksInvalid.into()) };
    Ok(keys.iter().filter_map(parse_key).collect())
}

impl Jwk {
    /// True when this key can verify `alg` (type and curve fit, and `alg` matches when the key
    /// names one).
    pub fn fits(&self, alg: Alg) -> bool {
        if self.alg.as_deref().is_some_and(|a| a != alg.name()) {
            return false;
        }
        match (&self.key, alg.family()) {
            (PublicKey::Rsa { .. }, AlgFamily::RsaPkcs1 | AlgFamily::RsaPss) => true,
            (PublicKey::Ec { crv, .. }, AlgFamily::Ecdsa(c)) => crv == c,
            (PublicKey::Ed25519 { .. }, AlgFamily::Ed25519) => true,
            _ => false,
        }
    }
}

/// Selects the key for `jws` (OIDC Core §10.1.1): with a `kid`, the fitting key with that
/// `kid`; without, the only fitting key. Errors: [`ErrorCode::KeyNotFound`] (the adapter then
/// refetches the set once), [`ErrorCode::KeyAmbiguous`] (no `kid`, several candidates; policy 3).
pub fn select_key<'a>(keys: &'a [Jwk], jws: &UnverifiedJws) -> Result<&'a Jwk> {
    let mut candidates = keys
        .iter()
        .filter(|k| k.fits(jws.alg))
        .filter(|k| jws.kid.is_none() || k.kid == jws.kid);
    let first = candidates.next().ok_or(ErrorCode::KeyNotFound)?;
    if candidates.next().is_some() {
        // Two keys with the same kid, or no kid and several keys.
        return Err(ErrorCode::KeyAmbiguous.into());
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::jws::parse_compact;
    use alloc::format;

    fn n_of_bits(bits: usize) -> String {
        let mut bytes = alloc::vec![0xffu8; bits / 8];
        bytes.insert(0, 0); // leading zero must not count
        base64url::encode(&bytes)
    }
    fn ec(crv: &str, size: usize) -> String {
        let c = base64url::encode(&alloc::vec![1u8; size]);
        format!(r#"{{"kty":"EC","crv":"{crv}","x":"{c}","y":"{c}","kid":"{crv}"}}"#)
    }
    fn jws(alg: &str, kid: Option<&str>) -> UnverifiedJws {
        let header = match kid {
            Some(k) => format!(r#"{{"alg":"{alg}","kid":"{k}"}}"#),
            None => format!(r#"{{"alg":"{alg}"}}"#),
        };
        let sig_len = Alg::from_name(alg).and_then(|a| a.fixed_signature_len()).unwrap_or(256);
        let t = format!("{}.{}.{}", base64url::encode(header.as_bytes()), base64url::encode(b"{}"), base64url::encode(&alloc::vec![1u8; sig_len]));
        parse_compact(&t, &Alg::ALL).unwrap()
    }

    #[test]
    fn parses_and_filters() {
        let doc = format!(
            r#"{{"keys":[
              {{"kty":"RSA","kid":"r1","n":"{n2048}","e":"AQAB","d":"private-ignored"}},
              {{"kty":"RSA","kid":"weak","n":"{n1024}","e":"AQAB"}},
              {{"kty":"RSA","kid":"enc","use":"enc","n":"{n2048}","e":"AQAB"}},
              {{"kty":"RSA","kid":"ops","key_ops":["encrypt"],"n":"{n2048}","e":"AQAB"}},
              {{"kty":"oct","kid":"sym","k":"c2VjcmV0"}},
              {{"kty":"EC","crv":"P-256","x":"short","y":"short"}},
              {{"kty":"OKP","crv":"X25519","x":"{x32}"}},
              {{"kty":"OKP","crv":"Ed25519","x":"{x32}","kid":"ed"}},
              {ec256}, {ec384}, {ec521},
              "not an object", {{"kid":"no-kty"}}
            ]}}"#,
            n2048 = n_of_bits(2048), n1024 = n_of_bits(1024), x32 = base64url::encode(&[2u8; 32]),
            ec256 = ec("P-256", 32), ec384 = ec("P-384", 48), ec521 = ec("P-521", 66)
        );
        let keys = parse_jwks(doc.as_bytes()).unwrap();
        let kids: Vec<_> = keys.iter().map(|k| k.kid.clone().unwrap_or_default()).collect();
        assert_eq!(kids, ["r1", "ed", "P-256", "P-384", "P-521"]);
        // JW-07: no private member survives.
        assert!(!format!("{:?}", keys).contains("private-ignored"));
        for bad in [&b"[]"[..], b"{}", br#"{"keys":{}}"#, b"nope"] {
            assert_eq!(parse_jwks(bad).unwrap_err().code, ErrorCode::JwksInvalid);
        }
    }

    #[test]
    fn selection_rules() {
        let rsa = |kid: Option<&str>, alg: Option<&str>| Jwk {
            kid: kid.map(String::from),
            alg: alg.map(String::from),
            key: PublicKey::Rsa { n: n_of_bits(2048), e: "AQAB".into() },
        };
        let p256 = Jwk { kid: Some("e".into()), alg: None, key: PublicKey::Ec { crv: "P-256".into(), x: String::new(), y: String::new() } };
        // IT-31: no kid, one candidate → accept.
        let one = [rsa(Some("a"), None), p256.clone()];
        assert_eq!(select_key(&one, &jws("RS256", None)).unwrap().kid.as_deref(), Some("a"));
        // IT-32: no kid, several → ambiguous.
        let two = [rsa(Some("a"), None), rsa(Some("b"), None)];
        assert_eq!(select_key(&two, &jws("RS256", None)).unwrap_err().code, ErrorCode::KeyAmbiguous);
        // kid selects.
        assert_eq!(select_key(&two, &jws("PS256", Some("b"))).unwrap().kid.as_deref(), Some("b"));
        // Unknown kid → not found (refetch).
        assert_eq!(select_key(&two, &jws("RS256", Some("zzz"))).unwrap_err().code, ErrorCode::KeyNotFound);
        // JW-04/05: kty/crv/alg mismatch → filtered out.
        assert_eq!(select_key(&[p256.clone()], &jws("ES384", Some("e"))).unwrap_err().code, ErrorCode::KeyNotFound);
        assert_eq!(select_key(&[p256], &jws("RS256", Some("e"))).unwrap_err().code, ErrorCode::KeyNotFound);
        assert_eq!(select_key(&[rsa(Some("a"), Some("RS256"))], &jws("PS256", Some("a"))).unwrap_err().code, ErrorCode::KeyNotFound);
        // Duplicate kid → ambiguous, never "try each".
        assert_eq!(select_key(&[rsa(Some("a"), None), rsa(Some("a"), None)], &jws("RS256", Some("a"))).unwrap_err().code, ErrorCode::KeyAmbiguous);
    }

    #[test]
    fn rsa_bit_count() {
        assert_eq!(rsa_bits(&n_of_bits(2048)), 2048);
        assert_eq!(rsa_bits(&base64url::encode(&[0x01, 0x00])), 9);
        assert_eq!(rsa_bits("!!"), 0);
    }
}
