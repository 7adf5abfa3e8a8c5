//! Compact JWS parsing (RFC 7515 §7.1) for ID tokens, and the proof type that a signature was
//! verified.
//!
//! Parsing never trusts the header for key material: `jku`, `x5u`, `jwk`, `x5c` are ignored
//! (RFC 8725 §3.10), `crit` is refused (nothing is understood), and only the asymmetric
//! algorithms of [`Alg`] are accepted (RFC 8725 §3.1, §3.2): never `none`, never HS*.

use alloc::string::String;
use alloc::vec::Vec;

use super::base64url;
use super::error::{ErrorCode, Result};
use super::json::{self, Value};

/// JWS algorithms accepted for ID tokens (RFC 7518 §3.1; RFC 8037 §3.1 `EdDSA` with Ed25519).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Alg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
}

/// The family of an [`Alg`], which decides the JWK type it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgFamily {
    /// RSASSA-PKCS1-v1_5 (RS*), RFC 7518 §3.3.
    RsaPkcs1,
    /// RSASSA-PSS (PS*), RFC 7518 §3.5.
    RsaPss,
    /// ECDSA (ES*), RFC 7518 §3.4, with the curve name.
    Ecdsa(&'static str),
    /// EdDSA with Ed25519, RFC 8037.
    Ed25519,
}

impl Alg {
    /// Every accepted algorithm.
    pub const ALL: [Alg; 10] = [
        Alg::RS256, Alg::RS384, Alg::RS512, Alg::PS256, Alg::PS384, Alg::PS512, Alg::ES256,
        Alg::ES384, Alg::ES512, Alg::EdDSA,
    ];

    /// Parses a JOSE `alg` value (case-sensitive, RFC 7515 §4.1.1). `None` for anything not
    /// accepted, including `none` and HS*.
    pub fn from_name(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The JOSE name.
    pub const fn name(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// The key family and curve.
    pub const fn family(self) -> AlgFamily {
        match self {
            Alg::RS256 | Alg::RS384 | Alg::RS512 => AlgFamily::RsaPkcs1,
            Alg::PS256 | Alg::PS384 | Alg::PS512 => AlgFamily::RsaPss,
            Alg::ES256 => AlgFamily::Ecdsa("P-256"),
            Alg::ES384 => AlgFamily::Ecdsa("P-384"),
            Alg::ES512 => AlgFamily::Ecdsa("P-521"),
            Alg::EdDSA => AlgFamily::Ed25519,
        }
    }

    /// Bits of the SHA-2 hash the algorithm uses (also the `at_hash` hash, OIDC Core
    /// §3.1.3.6; Ed25519 uses SHA-512 as its internal hash, OpenID Connect Core errata).
    pub const fn hash_bits(self) -> u16 {
        match self {
            Alg::RS256 | Alg::PS256 | Alg::ES256 => 256,
            Alg::RS384 | Alg::PS384 | Alg::ES384 => 384,
            Alg::RS512 | Alg::PS512 | Alg::ES512 | Alg::EdDSA => 512,
        }
    }

    /// The exact signature length for ECDSA (JWS uses fixed-size r‖s, RFC 7518 §3.4) and
    /// Ed25519 (64 bytes); `None` for RSA (the modulus decides).
    pub const fn fixed_signature_len(self) -> Option<usize> {
        match self {
            Alg::ES256 => Some(64),
            Alg::ES384 => Some(96),
            Alg::ES512 => Some(132),
            Alg::EdDSA => Some(64),
            _ => None,
        }
    }
}

/// A parsed compact JWS whose signature has not been checked yet.
#[derive(Debug, Clone)]
pub struct UnverifiedJws {
    /// Header `alg`.
    pub alg: Alg,
    /// Header `kid`, when present.
    pub kid: Option<String>,
    /// Header `typ` (RFC 7515 §4.1.9), when present.
    pub typ: Option<String>,
    /// The payload, a JSON object.
    pub claims: Value,
    /// The payload as JSON text (handed to JavaScript as the claims object).
    pub claims_json: String,
    /// ASCII(BASE64URL(header) || '.' || BASE64URL(payload)) — what the signature covers.
    pub signing_input: Vec<u8>,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

fn decode_object(segment: &str) -> Result<(Value, String)> {
    let bytes = base64url::decode(segment).ok_or(ErrorCode::JwsMalformed)?;
    let value = json::parse(&bytes).map_err(|_| ErrorCode::JwsMalformed)?;
    if !value.is_object() {
        return Err(ErrorCode::JwsMalformed.into());
    }
    let text = String::from_utf8(bytes).map_err(|_| ErrorCode::JwsMalformed)?;
    Ok((value, text))
}

/// Parses a compact JWS and checks its header against `accepted` algorithms.
///
/// Errors: [`ErrorCode::JweUnsupported`] (5 parts), [`ErrorCode::JwsMalformed`] (other part
/// counts, bad base64url, non-object header or payload, empty signature, missing `alg`),
/// [`ErrorCode::AlgUnsupported`] (`none`, HS*, unknown, or not in `accepted`),
/// [`ErrorCode::CritUnsupported`], [`ErrorCode::SignatureInvalid`] (an ECDSA/EdDSA signature
/// of the wrong length, e.g. DER-encoded, catalogue IT-04).
pub fn parse_compact(token: &str, accepted: &[Alg]) -> Result<UnverifiedJws> {
    let parts: Vec<&str> = token.split('.').collect();
    let (header_b64, payload_b64, signature_b64) = match parts.as_slice() {
        [h, p, s] => (*h, *p, *s),
        [_, _, _, _, _] => return Err(ErrorCode::JweUnsupported.into()),
        _ => return Err(ErrorCode::JwsMalformed.into()),
    };
    let (header, _) = decode_object(header_b64)?;
    let alg_name = header.get("alg").and_then(Value::as_str).ok_or(ErrorCode::JwsMalformed)?;
    let alg = Alg::from_name(alg_name).ok_or(ErrorCode::AlgUnsupported)?;
    if !accepted.contains(&alg) {
        return Err(ErrorCode::AlgUnsupported.into());
    }
    if header.get("crit").is_some() {
        return Err(ErrorCode::CritUnsupported.into());
    }
    if header.get("enc").is_some() {
        return Err(ErrorCode::JweUnsupported.into());
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(ErrorCode::JwsMalformed.into()),
    };
    let typ = match header.get("typ") {
        None => None,
        Some(Value::String(t)) => Some(t.clone()),
        Some(_) => return Err(ErrorCode::JwsMalformed.into()),
    };
    let (claims, claims_json) = decode_object(payload_b64)?;
    let signature = base64url::decode(signature_b64).ok_or(ErrorCode::JwsMalformed)?;
    if signature.is_empty() {
        return Err(ErrorCode::JwsMalformed.into());
    }
    if alg.fixed_signature_len().is_some_and(|n| n != signature.len()) {
        return Err(ErrorCode::SignatureInvalid.into());
    }
    let mut signing_input = Vec::with_capacity(header_b64.len() + 1 + payload_b64.len());
    signing_input.extend_from_slice(header_b64.as_bytes());
    signing_input.push(b'.');
    signing_input.extend_from_slice(payload_b64.as_bytes());
    Ok(UnverifiedJws { alg, kid, typ, claims, claims_json, signing_input, signature })
}

/// Proof that the signature of a JWS was verified with a key from the provider's JWK Set.
///
/// Only the signature verifier constructs it (the browser adapter's WebCrypto verification,
/// `src/client/crypto.rs`): the constructor is crate-private, a native test enforces that no other
/// module of the crate calls it, and the claim checks of [`super::id_token`] accept nothing else.
#[derive(Debug)]
pub struct VerifiedJws(UnverifiedJws);

impl VerifiedJws {
    /// For the signature verifier only: asserts that `jws.signature` verified over
    /// `jws.signing_input` with a key selected by [`super::jwk::select_key`]. Crate-private;
    /// public only with the `fuzzing` feature (the fuzz targets exercise the claim checks).
    #[cfg(not(feature = "fuzzing"))]
    pub(crate) fn after_signature_check(jws: UnverifiedJws) -> Self {
        VerifiedJws(jws)
    }

    /// See the non-`fuzzing` variant.
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn after_signature_check(jws: UnverifiedJws) -> Self {
        VerifiedJws(jws)
    }

    /// The verified token.
    pub fn jws(&self) -> &UnverifiedJws {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64url::encode(s.as_bytes())
    }
    fn token(header: &str, payload: &str, sig: &[u8]) -> String {
        alloc::format!("{}.{}.{}", b64(header), b64(payload), base64url::encode(sig))
    }
    fn code(t: &str) -> ErrorCode {
        parse_compact(t, &Alg::ALL).unwrap_err().code
    }

    #[test]
    fn parses_valid() {
        let t = token(r#"{"alg":"ES256","kid":"k1","jku":"https://evil/jwks","x5c":["x"]}"#, r#"{"sub":"a"}"#, &[7u8; 64]);
        let j = parse_compact(&t, &Alg::ALL).unwrap();
        assert_eq!(j.alg, Alg::ES256);
        assert_eq!(j.kid.as_deref(), Some("k1"));
        assert_eq!(j.claims.get("sub").and_then(Value::as_str), Some("a"));
        assert_eq!(j.claims_json, r#"{"sub":"a"}"#);
        assert_eq!(j.signature, [7u8; 64]);
        assert_eq!(j.signing_input, t.rsplit_once('.').unwrap().0.as_bytes());
    }

    #[test]
    fn it01_it02_it06_algorithms() {
        for alg in ["none", "None", "NONE", "HS256", "HS512", "RS1", "ES256K", "rs256", ""] {
            let t = token(&alloc::format!(r#"{{"alg":"{alg}"}}"#), "{}", b"sig");
            assert_eq!(code(&t), ErrorCode::AlgUnsupported, "{alg}");
        }
        assert_eq!(code(&token(r#"{"typ":"JWT"}"#, "{}", b"s")), ErrorCode::JwsMalformed);
        assert_eq!(code(&token(r#"{"alg":1}"#, "{}", b"s")), ErrorCode::JwsMalformed);
        // IT-05: valid alg but not one the client accepts.
        let t = token(r#"{"alg":"PS256"}"#, "{}", b"s");
        assert_eq!(parse_compact(&t, &[Alg::RS256]).unwrap_err().code, ErrorCode::AlgUnsupported);
    }

    #[test]
    fn it07_it08_it09_structure() {
        assert_eq!(code(&token(r#"{"alg":"RS256","crit":["x-unknown"]}"#, "{}", b"s")), ErrorCode::CritUnsupported);
        assert_eq!(code("a.b.c.d.e"), ErrorCode::JweUnsupported);
        assert_eq!(code(&token(r#"{"alg":"RS256","enc":"A128GCM"}"#, "{}", b"s")), ErrorCode::JweUnsupported);
        let h = b64(r#"{"alg":"RS256"}"#);
        let p = b64("{}");
        for bad in [alloc::format!("{h}.{p}"), alloc::format!("{h}.{p}.c2ln.x"), alloc::format!("{h}.{p}."),
                    alloc::format!("{h}=.{p}.c2ln"), alloc::format!("{h}.{p}.c2ln="), alloc::format!("{}.{p}.c2ln", b64("[]")),
                    alloc::format!("{h}.{}.c2ln", b64("\"str\"")), alloc::format!("{h}.{}.c2ln", b64("{")), String::new(),
                    "..".into(), "something.resembling.anid_token".into(), alloc::format!("{h}.{p}.c2l+")] {
            assert_eq!(code(&bad), ErrorCode::JwsMalformed, "{bad}");
        }
        assert_eq!(code(&token(r#"{"alg":"RS256","kid":7}"#, "{}", b"s")), ErrorCode::JwsMalformed);
    }

    #[test]
    fn it04_fixed_length_signatures() {
        assert_eq!(code(&token(r#"{"alg":"ES256"}"#, "{}", &[1u8; 70])), ErrorCode::SignatureInvalid);
        assert!(parse_compact(&token(r#"{"alg":"ES512"}"#, "{}", &[1u8; 132]), &Alg::ALL).is_ok());
        assert_eq!(code(&token(r#"{"alg":"EdDSA"}"#, "{}", &[1u8; 63])), ErrorCode::SignatureInvalid);
    }
}
