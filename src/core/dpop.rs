//! DPoP proofs (RFC 9449): the JOSE header and claims of a proof (§4.2), the `htu` it names
//! (§4.2: no query, no fragment), the access-token hash `ath` (§4.2), the key's RFC 7638
//! thumbprint (the `jkt` of `cnf` and `dpop_jkt`, §6.1, §10), and whether an answer asks for a
//! nonce (§8, §9). The signature itself is WebCrypto's (ES256 with a non-extractable P-256
//! key): the core builds the signing input and joins the signature to it.

use alloc::string::String;

use sha2::{Digest, Sha256};

use super::{base64url, json};

/// The public half of a proof key, base64url coordinates: a P-256 key (RFC 7518 §6.2.1, `y`
/// present; proofs `ES256`) or an Ed25519 key (RFC 8037 §2, no `y`; proofs `EdDSA`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    /// `x`.
    pub x: String,
    /// `y` (P-256 only).
    pub y: Option<String>,
}

impl PublicJwk {
    /// The proofs' `alg`: `ES256` (RFC 7518 §3.4) or `EdDSA` (RFC 8037 §3.1).
    pub fn alg(&self) -> &'static str {
        if self.y.is_some() {
            "ES256"
        } else {
            "EdDSA"
        }
    }

    /// The JWK as JSON with its required members in lexicographic order (RFC 7638 §3.2): the
    /// thumbprint input, and the `jwk` of the proofs.
    fn members(&self) -> String {
        match &self.y {
            Some(y) => ["{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"", &self.x, "\",\"y\":\"", y, "\"}"].concat(),
            None => ["{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"", &self.x, "\"}"].concat(),
        }
    }

    /// The RFC 7638 SHA-256 thumbprint (base64url).
    pub fn thumbprint(&self) -> String {
        base64url::encode(&Sha256::digest(self.members().as_bytes()))
    }
}

/// `htu` (RFC 9449 §4.2): the request URL without query and fragment.
pub fn htu(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    url.get(..end).unwrap_or(url)
}

/// `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the access token's ASCII octets.
pub fn ath(access_token: &str) -> String {
    base64url::encode(&Sha256::digest(access_token.as_bytes()))
}

/// What one proof says (RFC 9449 §4.2).
#[derive(Debug, Clone, Copy)]
pub struct Claims<'a> {
    /// `htm`: the request method.
    pub htm: &'a str,
    /// The request URL (its `htu` is taken here).
    pub url: &'a str,
    /// `jti`: unique per proof (random, from the caller).
    pub jti: &'a str,
    /// `iat`: seconds since the epoch.
    pub iat: u64,
    /// The access token the request presents (resource requests, §7): its `ath`.
    pub access_token: Option<&'a str>,
    /// The server's last `DPoP-Nonce` (§8, §9).
    pub nonce: Option<&'a str>,
}

/// The JWS signing input of a proof: `base64url(header) "." base64url(claims)` with header
/// `{"typ":"dpop+jwt","alg":…,"jwk":{public key}}` (no private member ever).
pub fn signing_input(key: &PublicJwk, c: &Claims<'_>) -> String {
    let header = ["{\"typ\":\"dpop+jwt\",\"alg\":\"", key.alg(), "\",\"jwk\":", &key.members(), "}"].concat();
    let mut w = json::Writer::new();
    w.str("jti", c.jti).str("htm", c.htm).str("htu", htu(c.url)).num("iat", c.iat as f64);
    if let Some(at) = c.access_token {
        w.str("ath", &ath(at));
    }
    if let Some(n) = c.nonce {
        w.str("nonce", n);
    }
    [base64url::encode(header.as_bytes()), String::from("."), base64url::encode(w.finish().as_bytes())].concat()
}

/// The compact proof: the signing input and the 64-byte signature (ES256 `r || s`, RFC 7518
/// §3.4, the form WebCrypto's ECDSA returns; or Ed25519's).
pub fn compact(signing_input: &str, signature: &[u8]) -> String {
    [signing_input, ".", &base64url::encode(signature)].concat()
}

/// True when an answer asks for a (new) nonce: a token endpoint's 400 `use_dpop_nonce` (§8), or
/// a resource server's 401 with a DPoP challenge `error="use_dpop_nonce"` (§9).
pub fn asks_for_nonce(status: u16, error: Option<&str>) -> bool {
    (status == 400 || status == 401) && error == Some("use_dpop_nonce")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn thumbprint_rfc7638_shape_and_value() {
        // RFC 7638 §3.1 is RSA; for EC the members are crv, kty, x, y. Value cross-checked with
        // node: crypto.createHash('sha256').update('{"crv":"P-256","kty":"EC","x":"a","y":"b"}').
        let k = PublicJwk { x: "a".into(), y: Some("b".into()) };
        assert_eq!(k.thumbprint(), base64url::encode(&Sha256::digest(br#"{"crv":"P-256","kty":"EC","x":"a","y":"b"}"#)));
        assert_eq!(k.thumbprint().len(), 43);
        // RFC 8037 Appendix A.3: the Ed25519 example key's thumbprint.
        let ed = PublicJwk { x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into(), y: None };
        assert_eq!(ed.thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        assert_eq!((k.alg(), ed.alg()), ("ES256", "EdDSA"));
    }

    #[test]
    fn htu_drops_query_and_fragment() {
        assert_eq!(htu("https://as.example/token?x=1#f"), "https://as.example/token");
        assert_eq!(htu("https://as.example/token#f?x"), "https://as.example/token");
        assert_eq!(htu("https://api.example/data"), "https://api.example/data");
    }

    #[test]
    fn proof_shape() {
        let k = PublicJwk { x: "xx".into(), y: Some("yy".into()) };
        let input = signing_input(&k, &Claims { htm: "GET", url: "https://api.example/d?q#f", jti: "j1", iat: 1_700_000_000, access_token: Some("at"), nonce: Some("n\"1") });
        let parts: Vec<&str> = input.split('.').collect();
        assert_eq!(parts.len(), 2);
        let header = crate::core::json::parse(&base64url::decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header.get("typ").and_then(json::Value::as_str), Some("dpop+jwt"));
        assert_eq!(header.get("alg").and_then(json::Value::as_str), Some("ES256"));
        let jwk = header.get("jwk").unwrap();
        assert_eq!(jwk.get("x").and_then(json::Value::as_str), Some("xx"));
        assert!(jwk.get("d").is_none(), "never a private member");
        let claims = crate::core::json::parse(&base64url::decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims.get("htu").and_then(json::Value::as_str), Some("https://api.example/d"));
        assert_eq!(claims.get("htm").and_then(json::Value::as_str), Some("GET"));
        assert_eq!(claims.get("iat").and_then(json::Value::as_f64), Some(1_700_000_000.0));
        assert_eq!(claims.get("ath").and_then(json::Value::as_str), Some(ath("at").as_str()));
        assert_eq!(claims.get("nonce").and_then(json::Value::as_str), Some("n\"1"), "escaped, round-trips");
        assert_eq!(ath("at"), base64url::encode(&Sha256::digest(b"at")));
        let without = signing_input(&k, &Claims { htm: "POST", url: "https://as.example/token", jti: "j2", iat: 1, access_token: None, nonce: None });
        let claims = crate::core::json::parse(&base64url::decode(without.split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert!(claims.get("ath").is_none() && claims.get("nonce").is_none());
        assert_eq!(compact("a.b", &[0u8; 64]).split('.').count(), 3);
        assert!(asks_for_nonce(400, Some("use_dpop_nonce")) && asks_for_nonce(401, Some("use_dpop_nonce")));
        assert!(!asks_for_nonce(400, Some("invalid_grant")) && !asks_for_nonce(500, Some("use_dpop_nonce")));
    }
}
