//! Pushed authorization requests (RFC 9126): the authorization request's parameters go to the
//! provider in a back-channel POST (§2.1), and the browser is sent to the authorization endpoint
//! with `client_id` and the `request_uri` it answered (§4) — the request's parameters never
//! appear in the address bar or the history, and the provider checks them before the user sees
//! anything.

use alloc::string::String;

use super::config::ClientConfig;
use super::error::{Error, ErrorCode, Result, ServerDetail};
use super::json::{self, Value};
use super::token::{HttpRequest, HttpResponse};
use super::{form, uri};

/// Longest `request_uri` accepted (a URN or URL the provider minted).
const MAX_REQUEST_URI: usize = 2048;

/// The push (RFC 9126 §2.1): POST to the PAR endpoint, form-encoded, with the parameters of the
/// authorization request `authorization_url` (built for `config` by
/// [`authorization_request`](super::authorize::authorization_request)). Errors:
/// [`ErrorCode::MetadataMissing`] (no endpoint), [`ErrorCode::InsecureEndpoint`].
pub fn push_request(config: &ClientConfig, authorization_url: &str) -> Result<HttpRequest> {
    let endpoint = config.par_endpoint.as_deref().ok_or(ErrorCode::MetadataMissing)?;
    uri::check_endpoint(endpoint)?;
    // Our parameters follow the authorization endpoint (and its own query, which stays there).
    let body = authorization_url.get(config.authorization_endpoint.len() + 1..).ok_or(ErrorCode::InvalidConfig)?;
    Ok(HttpRequest {
        method: "POST",
        url: endpoint.into(),
        headers: alloc::vec![("content-type", "application/x-www-form-urlencoded".into()), ("accept", "application/json".into())],
        body: body.into(),
    })
}

/// Reads the push's answer (RFC 9126 §2.2, §2.3): `201` with a JSON object holding a non-empty
/// `request_uri` string and a positive `expires_in`. Errors: [`ErrorCode::ParError`] (an RFC 6749
/// §5.2 error body, `error` carried), [`ErrorCode::ParResponseInvalid`] (any other status or
/// shape).
pub fn process_push_response(response: HttpResponse<'_>) -> Result<String> {
    let invalid = || Error::with_detail(ErrorCode::ParResponseInvalid, ServerDetail { status: Some(response.status), ..Default::default() });
    if response.status != 201 {
        return Err(match super::token::oauth_error(response.body, response.status) {
            Some(e) => Error::with_detail(ErrorCode::ParError, ServerDetail::said(e.error().map(String::from), e.error_description().map(String::from), e.error_uri().map(String::from), e.status())),
            None => invalid(),
        });
    }
    let v = json::parse(response.body).map_err(|_| invalid())?;
    let request_uri = v.get("request_uri").and_then(Value::as_str).filter(|u| !u.is_empty() && u.len() <= MAX_REQUEST_URI && u.bytes().all(|b| (0x21..0x7f).contains(&b)));
    let expires = v.get("expires_in").and_then(Value::as_f64).filter(|e| *e > 0.0 && e.is_finite());
    match (request_uri, expires) {
        (Some(u), Some(_)) => Ok(u.into()),
        _ => Err(invalid()),
    }
}

/// Where the browser goes after the push (RFC 9126 §4): the authorization endpoint with
/// `client_id` and `request_uri` only.
pub fn authorization_url(config: &ClientConfig, request_uri: &str) -> String {
    let mut url = config.authorization_endpoint.clone();
    url.push(if url.contains('?') { '&' } else { '?' });
    url.push_str(&form::encode_pairs([("client_id", config.client_id.as_str()), ("request_uri", request_uri)]));
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::test_config;

    fn config() -> ClientConfig {
        let mut c = test_config();
        c.par_endpoint = Some("http://127.0.0.1:3000/request".into());
        c
    }

    fn answer(status: u16, body: &str) -> Result<String> {
        process_push_response(HttpResponse { status, content_type: Some("application/json"), body: body.as_bytes() })
    }

    #[test]
    fn push_carries_the_request_and_the_browser_only_the_reference() {
        let c = config();
        let auth = "http://127.0.0.1:3000/auth?response_type=code&client_id=spa-demo&state=s";
        let r = push_request(&c, auth).unwrap();
        assert_eq!((r.method, r.url.as_str(), r.body.as_str()), ("POST", "http://127.0.0.1:3000/request", "response_type=code&client_id=spa-demo&state=s"));
        assert_eq!(push_request(&test_config(), auth).unwrap_err().code, ErrorCode::MetadataMissing);
        assert_eq!(authorization_url(&c, "urn:ietf:params:oauth:request_uri:abc"), "http://127.0.0.1:3000/auth?client_id=spa-demo&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc");
    }

    #[test]
    fn push_answers() {
        assert_eq!(answer(201, r#"{"request_uri":"urn:x:1","expires_in":60}"#).unwrap(), "urn:x:1");
        let e = answer(400, r#"{"error":"invalid_request","error_description":"bad"}"#).unwrap_err();
        assert_eq!((e.code, e.error(), e.status()), (ErrorCode::ParError, Some("invalid_request"), Some(400)));
        for (status, body) in [
            (200, r#"{"request_uri":"urn:x:1","expires_in":60}"#),
            (201, r#"{"request_uri":"","expires_in":60}"#),
            (201, r#"{"request_uri":"urn:x:1"}"#),
            (201, r#"{"request_uri":"urn:x:1","expires_in":0}"#),
            (201, r#"{"request_uri":"urn:x 1","expires_in":60}"#),
            (201, r#"{"request_uri":1,"expires_in":60}"#),
            (201, "not json"),
            (201, "[]"),
            (500, "oops"),
            (302, ""),
        ] {
            assert_eq!(answer(status, body).unwrap_err().code, ErrorCode::ParResponseInvalid, "{status} {body}");
        }
        let long = ["{\"request_uri\":\"", &"u".repeat(3000), "\",\"expires_in\":60}"].concat();
        assert_eq!(answer(201, &long).unwrap_err().code, ErrorCode::ParResponseInvalid);
    }
}
