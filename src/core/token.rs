//! The token endpoint (RFC 6749 §3.2, §4.1.3, §5): requests as data, responses processed from
//! status, content type and body bytes. The adapter does the `fetch`; everything here is pure.

use alloc::string::String;
use alloc::vec::Vec;

use super::authorize::{scope_contains, PendingAuthorization};
use super::config::ClientConfig;
use super::error::{Error, ErrorCode, Result, ServerDetail};
use super::form;
use super::json::{self, JsonError, Value};
use super::secret::{AccessToken, AuthorizationCode, IdToken, RefreshToken};
use super::uri;

/// An HTTP request as data: what the adapter must send, exactly (redirects never followed).
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// HTTP method.
    pub method: &'static str,
    /// Absolute URL.
    pub url: String,
    /// Header name/value pairs.
    pub headers: Vec<(&'static str, String)>,
    /// Form-encoded body (contains secrets; never log it).
    pub body: String,
}

/// An HTTP response as data, as the adapter received it.
#[derive(Debug, Clone, Copy)]
pub struct HttpResponse<'a> {
    /// Status code.
    pub status: u16,
    /// `Content-Type` header value, if any.
    pub content_type: Option<&'a str>,
    /// Body bytes.
    pub body: &'a [u8],
}

/// `token_type` values (RFC 6749 §7.1; RFC 9449 §5 adds `DPoP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenType {
    /// RFC 6750 Bearer.
    Bearer,
    /// RFC 9449 DPoP: bound to the client's key; sent with a proof.
    DPoP,
}

/// Named relaxations of the token-response rules (ARCHITECTURE §5: quirks only by opt-in).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenResponsePolicy {
    /// Accept `expires_in` as a numeric string (`"3600"`), as some providers send
    /// (security catalogue TE-11). Off by default.
    pub allow_string_expires_in: bool,
    /// Accept a JSON body whose `Content-Type` is not `application/json` (catalogue TE-07).
    /// Off by default.
    pub allow_any_content_type: bool,
    /// The request carried a DPoP proof (RFC 9449 §5): the answer must be `token_type`
    /// `DPoP` (a Bearer answer is discarded, catalogue DP-11). Without a proof, `DPoP` is
    /// refused (DP-12).
    pub dpop: bool,
}

/// A successful token response (RFC 6749 §5.1), validated.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    /// `access_token`.
    pub access_token: AccessToken,
    /// `token_type`.
    pub token_type: TokenType,
    /// Absolute expiry in seconds since the epoch (`now + expires_in`); `None` when the server
    /// did not say (RFC 6749 §5.1 makes `expires_in` RECOMMENDED, not required).
    pub expires_at: Option<f64>,
    /// Granted scope: the response's `scope`, or the requested scope when absent (RFC 6749 §5.1).
    pub scope: String,
    /// `refresh_token`, if issued.
    pub refresh_token: Option<RefreshToken>,
    /// `id_token`, if issued (structure checked; signature and claims are validated by the
    /// OpenID Connect layer).
    pub id_token: Option<IdToken>,
}

/// The authorization code grant request (RFC 6749 §4.1.3; RFC 7636 §4.5): POST, form body with
/// `grant_type`, `code`, the identical `redirect_uri`, `client_id`, `code_verifier`; no secret
/// (public client, RFC 6749 §2.1). Errors: [`ErrorCode::InsecureEndpoint`] when the token
/// endpoint would receive the code over plain http (catalogue TE-21).
pub fn authorization_code_request(
    config: &ClientConfig,
    pending: &PendingAuthorization,
    code: &AuthorizationCode,
) -> Result<HttpRequest> {
    token_endpoint_request(config, &[
        ("grant_type", "authorization_code"),
        ("code", code.expose()),
        ("redirect_uri", pending.redirect_uri.as_str()),
        ("client_id", pending.client_id.as_str()),
        ("code_verifier", pending.code_verifier.expose()),
    ])
}

/// A form POST to the token endpoint (RFC 6749 §3.2), for every grant. Errors:
/// [`ErrorCode::InsecureEndpoint`] (catalogue TE-21: never send a code or token over plain http).
pub(crate) fn token_endpoint_request(config: &ClientConfig, params: &[(&str, &str)]) -> Result<HttpRequest> {
    uri::check_endpoint(&config.token_endpoint)?;
    Ok(HttpRequest {
        method: "POST",
        url: config.token_endpoint.clone(),
        headers: alloc::vec![
            ("content-type", "application/x-www-form-urlencoded".into()),
            ("accept", "application/json".into()),
        ],
        body: form::encode_pairs(params.iter().copied()),
    })
}

fn is_json_content_type(ct: Option<&str>) -> bool {
    let Some(ct) = ct else { return false };
    let essence = ct.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// Reads an RFC 6749 §5.2 error body, if the body is one.
pub(crate) fn oauth_error(body: &[u8], status: u16) -> Option<Error> {
    let v = json::parse(body).ok()?;
    let error = v.get("error")?.as_str()?;
    if error.is_empty() {
        return None;
    }
    let text = |name: &str| v.get(name).and_then(Value::as_str).map(String::from);
    Some(Error::with_detail(ErrorCode::TokenError, ServerDetail::said(Some(error.into()), text("error_description"), text("error_uri"), Some(status))))
}

/// Processes a token endpoint response (RFC 6749 §5.1, §5.2).
///
/// `requested_scope` is what was asked for (the granted scope when the response omits `scope`);
/// `expect_id_token` is true when `openid` was requested (OIDC Core §3.1.3.3); `now` is seconds
/// since the epoch (fractional: the expiry is kept exact). Errors: [`ErrorCode::TokenError`] (server's error body, any 4xx/5xx),
/// [`ErrorCode::TokenResponseStatus`], [`ErrorCode::TokenResponseContentType`],
/// [`ErrorCode::TokenResponseNotJson`], [`ErrorCode::TokenResponseNotObject`],
/// [`ErrorCode::AccessTokenInvalid`], [`ErrorCode::TokenTypeUnsupported`],
/// [`ErrorCode::ExpiresInInvalid`], [`ErrorCode::ScopeInvalid`],
/// [`ErrorCode::RefreshTokenInvalid`], [`ErrorCode::IdTokenInvalid`], [`ErrorCode::IdTokenMissing`].
pub fn process_token_response(
    response: HttpResponse<'_>,
    requested_scope: &str,
    expect_id_token: bool,
    now: f64,
    policy: TokenResponsePolicy,
) -> Result<TokenResponse> {
    if response.status != 200 {
        if (400..600).contains(&response.status) {
            if let Some(e) = oauth_error(response.body, response.status) {
                return Err(e);
            }
        }
        return Err(Error::new(ErrorCode::TokenResponseStatus).with_status(response.status));
    }
    let v = match json::parse(response.body) {
        Ok(v) => v,
        Err(JsonError::Syntax | JsonError::Limit) => {
            // TE-06: say "content type" when the server did not even claim JSON.
            return Err(if is_json_content_type(response.content_type) || policy.allow_any_content_type {
                ErrorCode::TokenResponseNotJson.into()
            } else {
                ErrorCode::TokenResponseContentType.into()
            });
        }
    };
    if !policy.allow_any_content_type && !is_json_content_type(response.content_type) {
        return Err(ErrorCode::TokenResponseContentType.into());
    }
    if !v.is_object() {
        return Err(ErrorCode::TokenResponseNotObject.into());
    }

    let access_token = match v.get("access_token") {
        Some(Value::String(s)) if !s.is_empty() => AccessToken::new(s.clone()),
        _ => return Err(ErrorCode::AccessTokenInvalid.into()),
    };
    let token_type = match v.get("token_type").and_then(Value::as_str) {
        Some(t) if !policy.dpop && t.eq_ignore_ascii_case("bearer") => TokenType::Bearer,
        Some(t) if policy.dpop && t.eq_ignore_ascii_case("dpop") => TokenType::DPoP,
        _ => return Err(ErrorCode::TokenTypeUnsupported.into()),
    };
    let expires_in = match v.get("expires_in") {
        None => None,
        Some(Value::Number(n)) => Some(*n),
        Some(Value::String(s)) if policy.allow_string_expires_in => {
            // Digits only (at most 12): no sign, no exponent, no date strings.
            let ok = !s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit());
            Some(if ok { s.bytes().fold(0f64, |n, d| n * 10.0 + (d - b'0') as f64) } else { f64::NAN })
        }
        Some(_) => return Err(ErrorCode::ExpiresInInvalid.into()),
    };
    let expires_at = match expires_in {
        Some(n) if n.is_finite() && n >= 0.0 => Some(now + n),
        Some(_) => return Err(ErrorCode::ExpiresInInvalid.into()),
        None => None,
    };
    let scope = match v.get("scope") {
        None => String::from(requested_scope),
        Some(Value::String(s)) => super::authorize::normalize_scope(s).map_err(|_| ErrorCode::ScopeInvalid)?,
        Some(_) => return Err(ErrorCode::ScopeInvalid.into()),
    };
    let refresh_token = match v.get("refresh_token") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() => Some(RefreshToken::new(s.clone())),
        Some(_) => return Err(ErrorCode::RefreshTokenInvalid.into()),
    };
    // Its structure, algorithm and signature are judged by `jws::parse_compact` and the
    // verifier, which give the precise code (alg_unsupported, jwe_unsupported, jws_malformed).
    let id_token = match v.get("id_token") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() => Some(IdToken::new(s.clone())),
        Some(_) => return Err(ErrorCode::IdTokenInvalid.into()),
    };
    if expect_id_token && id_token.is_none() {
        return Err(ErrorCode::IdTokenMissing.into());
    }
    Ok(TokenResponse { access_token, token_type, expires_at, scope, refresh_token, id_token })
}

/// The `refresh_token` a 200 token response carries, when it is a JSON object with a non-empty
/// string there, whatever else is wrong with it. A rotating provider retired the presented
/// refresh token when it issued this one (RFC 9700 §4.14.2): a client that refuses the response
/// for another reason must still keep this one, or its retry presents a retired token, which the
/// provider treats as reuse and answers by revoking the whole grant (issue 11.4).
pub fn issued_refresh_token(response: HttpResponse<'_>) -> Option<RefreshToken> {
    if response.status != 200 {
        return None;
    }
    match json::parse(response.body).ok()?.get("refresh_token") {
        Some(Value::String(s)) if !s.is_empty() => Some(RefreshToken::new(s.clone())),
        _ => None,
    }
}

/// True when `openid` is in `scope`: the token response must then carry an ID token.
pub fn expects_id_token(scope: &str) -> bool {
    scope_contains(scope, "openid")
}

#[cfg(test)]
mod tests {

    #[test]
    fn issued_refresh_token_of_a_refused_response() {
        let r = |status: u16, body: &str| issued_refresh_token(HttpResponse { status, content_type: Some("application/json"), body: body.as_bytes() });
        assert_eq!(r(200, r#"{"token_type":"Bearer","refresh_token":"rt-2"}"#).map(|t| t.expose().to_string()), Some("rt-2".into()));
        assert!(r(200, r#"{"access_token":"at"}"#).is_none());
        assert!(r(200, r#"{"refresh_token":""}"#).is_none());
        assert!(r(200, r#"{"refresh_token":1}"#).is_none());
        assert!(r(400, r#"{"error":"invalid_grant","refresh_token":"rt-2"}"#).is_none());
        assert!(r(200, "not json").is_none());
    }

    use super::*;
    use crate::core::authorize::{authorization_request, AuthorizationRequest, RANDOM_BYTES};
    use crate::core::config::test_config;
    use alloc::format;

    const JSON: Option<&str> = Some("application/json; charset=utf-8");
    // {"alg":"RS256"} . {"sub":"x"} . sig
    const JWS: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";

    fn process(status: u16, ct: Option<&str>, body: &str) -> Result<TokenResponse> {
        process_token_response(HttpResponse { status, content_type: ct, body: body.as_bytes() }, "openid profile", false, 1000.0, TokenResponsePolicy::default())
    }
    fn code(r: Result<TokenResponse>) -> ErrorCode {
        r.unwrap_err().code
    }

    #[test]
    fn te01_request_shape() {
        let random: Vec<u8> = (0..RANDOM_BYTES as u8).collect();
        let (_, p) = authorization_request(&test_config(), &AuthorizationRequest { scope: "openid".into(), extra: Vec::new() }, &random, 0).unwrap();
        let req = authorization_code_request(&test_config(), &p, &AuthorizationCode::new("c o+de".into())).unwrap();
        assert_eq!(req.method, "POST");
        assert_eq!(req.url, "http://127.0.0.1:3000/token");
        assert_eq!(req.body, format!(
            "grant_type=authorization_code&code=c%20o%2Bde&redirect_uri=http%3A%2F%2F127.0.0.1%3A5173%2F&client_id=spa-demo&code_verifier={}",
            p.code_verifier.expose()));
        assert!(!req.body.contains("client_secret"));
        assert!(req.headers.contains(&("content-type", "application/x-www-form-urlencoded".into())));
        let mut cfg = test_config();
        cfg.token_endpoint = "http://as.example/token".into();
        assert_eq!(authorization_code_request(&cfg, &p, &AuthorizationCode::new("c".into())).unwrap_err().code, ErrorCode::InsecureEndpoint);
    }

    #[test]
    fn success_and_positive_cases() {
        let r = process(200, JSON, &format!(r#"{{"access_token":"at","token_type":"bEARER","expires_in":60,"scope":"openid","refresh_token":"rt","id_token":"{JWS}"}}"#)).unwrap();
        assert_eq!(r.access_token.expose(), "at");
        assert_eq!(r.token_type, TokenType::Bearer);
        assert_eq!(r.expires_at, Some(1060.0));
        assert_eq!(r.scope, "openid");
        assert_eq!(r.refresh_token.unwrap().expose(), "rt");
        assert_eq!(r.id_token.unwrap().expose(), JWS);
        // TE-11 absent expires_in, 0; TE-12 absent scope → requested.
        let r = process(200, Some("application/json"), r#"{"access_token":"at","token_type":"Bearer"}"#).unwrap();
        assert_eq!((r.expires_at, r.scope.as_str()), (None, "openid profile"));
        assert_eq!(process(200, JSON, r#"{"access_token":"at","token_type":"Bearer","expires_in":0}"#).unwrap().expires_at, Some(1000.0));
    }

    #[test]
    fn te02_te04_status_and_errors() {
        let e = process(400, JSON, r#"{"error":"invalid_grant","error_description":"<i>spent</i>","error_uri":"https://x"}"#).unwrap_err();
        assert_eq!((e.code, e.error(), e.error_description(), e.status()), (ErrorCode::TokenError, Some("invalid_grant"), Some("<i>spent</i>"), Some(400)));
        for (status, body) in [(201, "{}"), (204, ""), (500, "oops"), (400, "{}"), (401, r#"{"error":7}"#), (302, ""), (0, "")] {
            let e = process(status, JSON, body).unwrap_err();
            assert_eq!(e.code, ErrorCode::TokenResponseStatus, "{status} {body}");
            assert_eq!(e.status(), Some(status));
        }
    }

    #[test]
    fn te06_te07_te08_body_shape() {
        assert_eq!(code(process(200, Some("text/html"), "<html>")), ErrorCode::TokenResponseContentType);
        assert_eq!(code(process(200, JSON, "{\"")), ErrorCode::TokenResponseNotJson);
        assert_eq!(code(process(200, Some("text/plain"), r#"{"access_token":"at","token_type":"Bearer"}"#)), ErrorCode::TokenResponseContentType);
        assert_eq!(code(process(200, None, r#"{"access_token":"at","token_type":"Bearer"}"#)), ErrorCode::TokenResponseContentType);
        let lenient = TokenResponsePolicy { allow_any_content_type: true, ..Default::default() };
        assert!(process_token_response(HttpResponse { status: 200, content_type: Some("text/plain"), body: br#"{"access_token":"at","token_type":"Bearer"}"# }, "", false, 0.0, lenient).is_ok());
        for body in ["null", "[]", "\"str\"", "1"] {
            assert_eq!(code(process(200, JSON, body)), ErrorCode::TokenResponseNotObject, "{body}");
        }
        // Duplicate member: refuse rather than pick one.
        assert_eq!(code(process(200, JSON, r#"{"access_token":"a","access_token":"b","token_type":"Bearer"}"#)), ErrorCode::TokenResponseNotJson);
    }

    #[test]
    fn te09_to_te14_fields() {
        let base = |extra: &str| format!(r#"{{"access_token":"at","token_type":"Bearer"{extra}}}"#);
        for body in [r#"{"token_type":"Bearer"}"#, r#"{"access_token":"","token_type":"Bearer"}"#, r#"{"access_token":1,"token_type":"Bearer"}"#, r#"{"access_token":null,"token_type":"Bearer"}"#] {
            assert_eq!(code(process(200, JSON, body)), ErrorCode::AccessTokenInvalid, "{body}");
        }
        for body in [r#"{"access_token":"at"}"#, r#"{"access_token":"at","token_type":"mac"}"#, r#"{"access_token":"at","token_type":"unrecognized"}"#, r#"{"access_token":"at","token_type":"DPoP"}"#, r#"{"access_token":"at","token_type":1}"#] {
            assert_eq!(code(process(200, JSON, body)), ErrorCode::TokenTypeUnsupported, "{body}");
        }
        for e in [r#","expires_in":-1"#, r#","expires_in":"3600""#, r#","expires_in":"abc""#, r#","expires_in":1e309"#, r#","expires_in":null"#, r#","expires_in":"2026-01-01T00:00:00Z""#] {
            assert_eq!(code(process(200, JSON, &base(e))), ErrorCode::ExpiresInInvalid, "{e}");
        }
        // RFC 9449 §5: with a proof sent, only DPoP (DP-11: a Bearer answer is discarded);
        // without one, DPoP is refused (DP-12).
        let dpop = TokenResponsePolicy { dpop: true, ..Default::default() };
        let typed = |t: &str, policy| process_token_response(HttpResponse { status: 200, content_type: JSON, body: [r#"{"access_token":"at","token_type":""#, t, r#""}"#].concat().as_bytes() }, "", false, 10.0, policy);
        assert_eq!(typed("DPoP", dpop).unwrap().token_type, TokenType::DPoP);
        assert_eq!(typed("dpop", dpop).unwrap().token_type, TokenType::DPoP);
        assert_eq!(typed("Bearer", dpop).unwrap_err().code, ErrorCode::TokenTypeUnsupported);
        assert_eq!(typed("DPoP", TokenResponsePolicy::default()).unwrap_err().code, ErrorCode::TokenTypeUnsupported);
        let strings = TokenResponsePolicy { allow_string_expires_in: true, ..Default::default() };
        let with = |e: &str| process_token_response(HttpResponse { status: 200, content_type: JSON, body: base(e).as_bytes() }, "", false, 10.0, strings);
        assert_eq!(with(r#","expires_in":"3600""#).unwrap().expires_at, Some(3610.0));
        assert_eq!(with(r#","expires_in":"-1""#).unwrap_err().code, ErrorCode::ExpiresInInvalid);
        assert_eq!(with(r#","expires_in":"1e5""#).unwrap_err().code, ErrorCode::ExpiresInInvalid);
        for e in [r#","scope":null"#, r#","scope":1"#, r#","scope":"a\"b""#] {
            assert_eq!(code(process(200, JSON, &base(e))), ErrorCode::ScopeInvalid, "{e}");
        }
        assert_eq!(process(200, JSON, &base(r#","scope":"openid""#)).unwrap().scope, "openid");
        for e in [r#","refresh_token":null"#, r#","refresh_token":1"#, r#","refresh_token":"""#] {
            assert_eq!(code(process(200, JSON, &base(e))), ErrorCode::RefreshTokenInvalid, "{e}");
        }
        for e in [r#","id_token":1"#, r#","id_token":null"#, r#","id_token":["a.b.c"]"#, concat!(r#","id_token":"#, "\"\"")] {
            assert_eq!(code(process(200, JSON, &base(e))), ErrorCode::IdTokenInvalid, "{e}");
        }
        // A string is passed on as is: its structure is judged by jws::parse_compact (TE-14 ->
        // jws_malformed, IT-01 -> alg_unsupported, IT-08 -> jwe_unsupported; see tests/vectors).
        assert!(process(200, JSON, &base(r#","id_token":"something.resembling.anid_token""#)).unwrap().id_token.is_some());
        // TE-15: openid requested but no id_token.
        let r = process_token_response(HttpResponse { status: 200, content_type: JSON, body: base("").as_bytes() }, "openid", true, 0.0, TokenResponsePolicy::default());
        assert_eq!(r.unwrap_err().code, ErrorCode::IdTokenMissing);
    }
}
