//! The UserInfo endpoint (OIDC Core §5.3): the request carries the access token in the
//! `Authorization` header only (RFC 6750 §2.1; never in the query, RFC 9700 §4.3.2), and the
//! response must be a JSON object whose `sub` equals the ID token's (§5.3.2).

use alloc::string::String;

use super::error::{Error, ErrorCode, Result};
use super::json::{self, Value};
use super::secret::AccessToken;
use super::token::{HttpRequest, HttpResponse};
use super::uri;

/// The UserInfo request (GET, `Authorization: Bearer`). Errors: [`ErrorCode::InsecureEndpoint`].
pub fn userinfo_request(endpoint: &str, access_token: &AccessToken) -> Result<HttpRequest> {
    uri::check_endpoint(endpoint)?;
    let mut auth = String::from("Bearer ");
    auth.push_str(access_token.expose());
    Ok(HttpRequest {
        method: "GET",
        url: endpoint.into(),
        headers: alloc::vec![("authorization", auth), ("accept", "application/json".into())],
        body: String::new(),
    })
}

/// Checks a UserInfo response and returns its JSON text. Errors:
/// [`ErrorCode::UserinfoInvalid`] (non-200, not `application/json` — a JWT UserInfo is not
/// supported — not a JSON object, `sub` missing or not a string),
/// [`ErrorCode::UserinfoSubMismatch`].
pub fn process_userinfo_response(response: HttpResponse<'_>, expected_sub: &str) -> Result<String> {
    let invalid = || Error::new(ErrorCode::UserinfoInvalid).with_status(response.status);
    if response.status != 200 {
        return Err(invalid());
    }
    let json_type = response
        .content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return Err(invalid());
    }
    let v = json::parse(response.body).map_err(|_| invalid())?;
    let sub = v.get("sub").and_then(Value::as_str).ok_or_else(invalid)?;
    if sub != expected_sub {
        return Err(ErrorCode::UserinfoSubMismatch.into());
    }
    String::from_utf8(response.body.into()).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp<'a>(status: u16, ct: &'a str, body: &'a str) -> HttpResponse<'a> {
        HttpResponse { status, content_type: Some(ct), body: body.as_bytes() }
    }

    #[test]
    fn request_uses_header_only() {
        let r = userinfo_request("https://as.example/me", &AccessToken::new("at-1".into())).unwrap();
        assert_eq!((r.method, r.url.as_str(), r.body.as_str()), ("GET", "https://as.example/me", ""));
        assert!(r.headers.contains(&("authorization", "Bearer at-1".into())));
        assert_eq!(userinfo_request("http://as.example/me", &AccessToken::new("x".into())).unwrap_err().code, ErrorCode::InsecureEndpoint);
    }

    #[test]
    fn ui01_to_ui06() {
        assert_eq!(process_userinfo_response(resp(200, "application/json", r#"{"sub":"u1","name":"A"}"#), "u1").unwrap(), r#"{"sub":"u1","name":"A"}"#);
        assert_eq!(process_userinfo_response(resp(200, "application/json", r#"{"sub":"u2"}"#), "u1").unwrap_err().code, ErrorCode::UserinfoSubMismatch);
        for (status, ct, body) in [(200, "application/json", r#"{"name":"A"}"#), (200, "application/json", r#"{"sub":1}"#),
                                   (401, "application/json", r#"{"sub":"u1"}"#), (200, "application/jwt", "a.b.c"),
                                   (200, "application/json", "[]"), (200, "text/html", r#"{"sub":"u1"}"#)] {
            assert_eq!(process_userinfo_response(resp(status, ct, body), "u1").unwrap_err().code, ErrorCode::UserinfoInvalid, "{status} {ct} {body}");
        }
    }
}
