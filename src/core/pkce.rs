//! Proof Key for Code Exchange (RFC 7636), `S256` only: the `plain` method is never sent
//! (RFC 9700 §2.1.1).

use alloc::string::String;
use sha2::{Digest, Sha256};

use super::error::{ErrorCode, Result};
use super::secret::CodeVerifier;

/// Number of random bytes behind a verifier: 32 bytes give a 43-character verifier
/// (RFC 7636 §4.1, 256 bits of entropy, §7.1).
pub const VERIFIER_BYTES: usize = 32;

/// The only `code_challenge_method` spa-oauth sends (RFC 7636 §4.2).
pub const CODE_CHALLENGE_METHOD: &str = "S256";

/// A PKCE pair: the secret verifier and its public S256 challenge (RFC 7636 §4.1, §4.2).
#[derive(Debug, Clone)]
pub struct PkcePair {
    /// `code_verifier`, sent only to the token endpoint.
    pub verifier: CodeVerifier,
    /// `code_challenge` = BASE64URL(SHA256(ASCII(code_verifier))).
    pub challenge: String,
}

/// base64url without padding (RFC 7636 Appendix A; RFC 4648 §5).
pub fn base64url(bytes: &[u8]) -> String {
    super::base64url::encode(bytes)
}

/// `code_challenge` for a verifier with the `S256` method (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    base64url(&Sha256::digest(verifier.as_bytes()))
}

/// Makes a PKCE pair from at least [`VERIFIER_BYTES`] random bytes (the caller supplies the
/// randomness: the core has no RNG). Errors: [`ErrorCode::InsufficientRandomness`].
pub fn pkce_pair(random: &[u8]) -> Result<PkcePair> {
    let bytes = random.get(..VERIFIER_BYTES).ok_or(ErrorCode::InsufficientRandomness)?;
    let verifier = base64url(bytes);
    let challenge = s256_challenge(&verifier);
    Ok(PkcePair { verifier: CodeVerifier::new(verifier), challenge })
}

/// True when `verifier` has the syntax of RFC 7636 §4.1: 43–128 unreserved characters.
pub fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    #[test]
    fn rfc7636_appendix_b() {
        let octets: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77,
            105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let pair = pkce_pair(&octets).unwrap();
        assert_eq!(pair.verifier.expose(), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(pair.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(is_valid_verifier(pair.verifier.expose()));
        assert_eq!(pair.verifier.expose().len(), 43);
    }

    #[test]
    fn too_few_bytes() {
        assert_eq!(pkce_pair(&[0u8; 31]).unwrap_err().code, ErrorCode::InsufficientRandomness);
    }

    #[test]
    fn verifier_syntax() {
        assert!(!is_valid_verifier("short"));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&"a+".repeat(30)));
        assert!(is_valid_verifier(&"a~".repeat(64)));
    }
}
