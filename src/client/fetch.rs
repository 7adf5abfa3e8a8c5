//! Authorized calls to resource servers (RFC 6750 §2.1): the token goes only in the
//! `Authorization` header, only to URLs under a configured resource server, never across a
//! redirect; the token is chosen per resource server (RFC 8707) and scope, and the answer's
//! challenge (RFC 6750 §3.1, RFC 9470 §3) decides between one refresh and one retry, a
//! `consent_required` or a `step_up_required` — never a loop.

use std::rc::Rc;

use js_sys::{Object, Reflect};
use sha2::{Digest, Sha256};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response, Url};

use super::{sys, AuthClient, Event, Inner, LocalFuture, Want};
use crate::core::authorize::normalize_scope;
use crate::core::error::{Error, ErrorCode, ServerDetail};
use crate::core::resource::{self, Answer};
use crate::core::secret::AccessToken;
use crate::core::pkce;

/// A resource server of the allow-list: its URL as configured (the RFC 8707 indicator) and the
/// origin and path the browser's URL parser gives for it.
pub(crate) struct Server {
    pub(crate) url: String,
    origin: String,
    path: String,
}

/// Parses the allow-list with the browser's URL parser. Errors: [`ErrorCode::InvalidConfig`].
pub(crate) fn servers(urls: &[String]) -> Result<Vec<Server>, Error> {
    urls.iter()
        .map(|u| {
            let parsed = Url::new(u).map_err(|_| ErrorCode::InvalidConfig)?;
            Ok(Server { url: u.clone(), origin: parsed.origin(), path: parsed.pathname() })
        })
        .collect()
}

/// One answer to an authorized call, for [`Event::Fetch`](super::Event::Fetch): which token
/// went where, never the token.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FetchRecord {
    /// The request URL.
    pub url: String,
    /// The request method.
    pub method: String,
    /// The HTTP status of the answer.
    pub status: u16,
    /// The resource server's URL (its RFC 8707 indicator).
    pub resource: String,
    /// The scope of the token sent.
    pub scope: String,
    /// The fingerprint of the token sent ([`TokenInfo::id`]).
    pub token_id: String,
    /// This was the one retry after an `invalid_token` answer.
    pub retried: bool,
}

/// A token in memory, described without its value ([`AuthClient::tokens`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TokenInfo {
    /// A fingerprint: the first 48 bits of the SHA-256 of the token, base64url (not secret,
    /// not reversible; tells tokens apart in logs).
    pub id: String,
    /// The resource server (RFC 8707) it is for; `None` for the session's token.
    pub resource: Option<String>,
    /// Its granted scope (RFC 6749 §3.3).
    pub scope: String,
    /// Its expiry, milliseconds since the epoch, when known.
    pub expires_at: Option<f64>,
}

/// The fingerprint of a token (see [`TokenInfo::id`]).
pub(crate) fn token_id(at: &AccessToken) -> String {
    let digest = Sha256::digest(at.expose().as_bytes());
    pkce::base64url(digest.get(..6).unwrap_or_default())
}

impl AuthClient {
    /// Sends `request` to a resource server with `Authorization: Bearer <token>` (RFC 6750
    /// §2.1), like the browser's `fetch`:
    /// * only when its URL is under one of [`ClientOptions::resource_servers`](super::ClientOptions::resource_servers)
    ///   (same origin, path on a segment boundary), else `resource_not_allowed` and no request;
    /// * with a token for that resource server (RFC 8707) whose scope covers `scope` (the
    ///   space-separated scope the call needs): from memory, else one refresh grant naming the
    ///   resource and scope (single flight per token, one refresher across tabs);
    /// * redirects are not followed (`redirect_refused`): the token never reaches another URL;
    /// * `401 invalid_token` → the token is dropped, one refresh, one retry; a second → `invalid_token`;
    /// * `403 insufficient_scope` or a grant without the scope → `consent_required` (missing
    ///   `scope`, `resource`; [`Event::ConsentRequired`]); nothing is retried;
    /// * `401 insufficient_user_authentication` → `step_up_required` (`acr_values`, `max_age`;
    ///   [`Event::StepUpRequired`]);
    /// * a malformed or contradictory challenge → `challenge_invalid`;
    /// * any other answer is returned as it is. Every answer fires [`Event::Fetch`].
    ///
    /// Other errors: `login_required`, `invalid_config` (a malformed `scope`, a request whose
    /// body was used or whose mode cannot carry the header), `network_error`, the refresh's codes.
    pub async fn fetch(&self, request: &Request, scope: Option<&str>) -> Result<Response, Error> {
        self.inner.fetch(request, scope).await
    }

    /// The access token for `resource` (a [`ClientOptions::resource_servers`](super::ClientOptions::resource_servers)
    /// entry, exactly) covering `scope`: from memory, else one refresh grant with `resource` and
    /// `scope` (RFC 8707 §2.2, RFC 6749 §6). Without both it is [`Self::access_token`]. Errors:
    /// `resource_not_allowed`, `consent_required`, `login_required`, `invalid_config`, the
    /// refresh's codes.
    pub async fn access_token_for(&self, resource: Option<&str>, scope: Option<&str>) -> Result<AccessToken, Error> {
        let want = self.inner.want(resource, scope)?;
        self.inner.token_for(&want).await
    }

    /// The tokens in memory, described without their values: the session's first, then those
    /// for resource servers.
    pub fn tokens(&self) -> Vec<TokenInfo> {
        let st = self.inner.st.borrow();
        let Some(s) = st.session.as_ref() else { return Vec::new() };
        let mut out = vec![TokenInfo { id: token_id(&s.at), resource: None, scope: s.scope.clone(), expires_at: s.exp }];
        out.extend(s.scoped.iter().map(|t| TokenInfo { id: token_id(&t.at), resource: t.resource.clone(), scope: t.scope.clone(), expires_at: t.exp }));
        out
    }
}

impl Inner {
    /// The [`Want`] for an explicit resource and scope. Errors: `resource_not_allowed` for a
    /// resource that is not an allow-list entry, `invalid_config` for a malformed scope.
    fn want(&self, resource: Option<&str>, scope: Option<&str>) -> Result<Want, Error> {
        if let Some(r) = resource {
            if !self.servers.iter().any(|s| s.url == r) {
                return Err(ErrorCode::ResourceNotAllowed.into());
            }
        }
        let scope = scope.map(normalize_scope).transpose()?.filter(|s| !s.is_empty());
        Ok(Want { resource: resource.filter(|_| self.indicators).map(String::from), scope })
    }

    /// The token for `want` and its scope.
    fn token_for<'a>(self: &'a Rc<Self>, want: &'a Want) -> LocalFuture<'a, Result<AccessToken, Error>> {
        Box::pin(async move {
            if want.is_default() {
                return self.access_token().await;
            }
            let s = self.st.borrow().session.clone().ok_or(ErrorCode::LoginRequired)?;
            if let Some((at, _)) = s.find(want, sys::now_ms(), self.margin_ms) {
                return Ok(at.clone());
            }
            self.refresh(want.clone()).await
        })
    }

    /// The scope of `at` if it is still in memory.
    fn scope_of(&self, at: &AccessToken) -> String {
        let st = self.st.borrow();
        let Some(s) = st.session.as_ref() else { return String::new() };
        if s.at.expose() == at.expose() {
            return s.scope.clone();
        }
        s.scoped.iter().find(|t| t.at.expose() == at.expose()).map(|t| t.scope.clone()).unwrap_or_default()
    }

    /// Forgets `at`, a token for a resource server that refused it (the next call for it
    /// refreshes); false when `at` is not one (the session's own token).
    fn discard(&self, at: &AccessToken) -> bool {
        let mut st = self.st.borrow_mut();
        let Some(s) = st.session.as_ref().filter(|s| s.scoped.iter().any(|t| t.at.expose() == at.expose())) else { return false };
        let mut next = (**s).clone();
        next.scoped.retain(|t| t.at.expose() != at.expose());
        st.session = Some(Rc::new(next));
        true
    }

    fn fetch<'a>(self: &'a Rc<Self>, request: &'a Request, scope: Option<&'a str>) -> LocalFuture<'a, Result<Response, Error>> {
        Box::pin(self.fetch_inner(request, scope))
    }

    /// The state machine holds little across its two awaits (a size measure: every value alive
    /// at an await is stored and dropped in each state); the decisions are synchronous.
    async fn fetch_inner(self: &Rc<Self>, request: &Request, scope: Option<&str>) -> Result<Response, Error> {
        let call = self.prepare(request, scope)?;
        // After an `invalid_token`: the session's own token was refused (a forced refresh), or
        // a token for the resource server (forgotten, then a new one).
        let mut retry: Option<bool> = None;
        loop {
            let at = if retry == Some(true) { self.forced_refresh() } else { self.token_for(&call.want) }.await?;
            let response = self.send_with(request, &at).await?;
            if self.judge(&call, &response, &at, retry.is_some())? {
                return Ok(response);
            }
            // RFC 6750 §3.1 invalid_token: expired or revoked early. One refresh, one retry.
            retry = Some(!self.discard(&at));
        }
    }

    /// The call's URL, resource server and token: `resource_not_allowed` for a URL under no
    /// resource server.
    fn prepare(&self, request: &Request, scope: Option<&str>) -> Result<Call, Error> {
        self.live()?;
        let url = request.url();
        let parsed = Url::new(&url).map_err(|_| ErrorCode::ResourceNotAllowed)?;
        let (origin, path) = (parsed.origin(), parsed.pathname());
        let server = self.servers.iter().find(|s| resource::is_under(&s.origin, &s.path, &origin, &path)).ok_or(ErrorCode::ResourceNotAllowed)?;
        let want = self.want(Some(&server.url), scope)?;
        Ok(Call { url, method: request.method(), server: server.url.clone(), want })
    }

    /// Reads the answer (RFC 6750 §3.1, RFC 9470 §3) and fires [`Event::Fetch`] (status 0 for a
    /// redirect, which is `redirect_refused`): `Ok(true)` to hand it to the caller, `Ok(false)`
    /// for the one retry after `invalid_token`.
    fn judge(&self, call: &Call, response: &Response, at: &AccessToken, retried: bool) -> Result<bool, Error> {
        let status = response.status();
        let token_scope = self.scope_of(at);
        self.emit(&Event::Fetch(FetchRecord {
            url: call.url.clone(),
            method: call.method.clone(),
            status,
            resource: call.server.clone(),
            scope: token_scope.clone(),
            token_id: token_id(at),
            retried,
        }));
        if Reflect::get(response, &"type".into()).ok().and_then(|t| t.as_string()).as_deref() == Some("opaqueredirect") {
            // `redirect: "manual"`: the redirect was not followed, nothing went to its target.
            return Err(ErrorCode::RedirectRefused.into());
        }
        let challenge = response.headers().get("www-authenticate").ok().flatten();
        let detail = |error: &str| ServerDetail { error: Some(error.into()), status: Some(status), resource: Some(call.server.clone()), ..Default::default() };
        let e = match resource::classify(status, challenge.as_deref())? {
            Answer::Pass => return Ok(true),
            Answer::InvalidToken if !retried => return Ok(false),
            Answer::InvalidToken => return Err(Error::with_detail(ErrorCode::InvalidToken, detail("invalid_token"))),
            Answer::InsufficientScope(needed) => {
                let needed = if needed.is_empty() { call.want.scope.clone().unwrap_or_default() } else { needed };
                let lacking = resource::missing(&token_scope, &needed);
                // The token already has it all: ask for what the server named anyway.
                let ask = if lacking.is_empty() { needed } else { lacking };
                if ask.is_empty() {
                    return Err(Error::with_detail(ErrorCode::ChallengeInvalid, detail("insufficient_scope")));
                }
                let e = Error::with_detail(ErrorCode::ConsentRequired, ServerDetail { scope: Some(ask), ..detail("insufficient_scope") });
                self.emit(&Event::ConsentRequired(e.clone()));
                e
            }
            Answer::StepUp { acr_values, max_age } => {
                let e = Error::with_detail(ErrorCode::StepUpRequired, ServerDetail { acr_values, max_age, ..detail("insufficient_user_authentication") });
                self.emit(&Event::StepUpRequired(e.clone()));
                e
            }
        };
        Err(e)
    }
}

/// What [`Inner::prepare`] found out about a call.
struct Call {
    url: String,
    method: String,
    server: String,
    want: Want,
}

impl Inner {
    /// Sends `request` with `at`: as a Bearer token, or, for a DPoP session, with the DPoP
    /// scheme and a proof (RFC 9449 §7) — and one retry when the resource server answers a DPoP
    /// `use_dpop_nonce` with a new nonce (§9; its nonces are kept for its origin only).
    fn send_with<'a>(&'a self, request: &'a Request, at: &'a AccessToken) -> LocalFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            #[cfg(feature = "dpop")]
            let key = self.st.borrow().session.as_ref().and_then(|s| s.key.clone());
            #[cfg(feature = "dpop")]
            if let Some(key) = key {
                let (method, url) = (request.method(), request.url());
                let mut retried = false;
                loop {
                    let proof = self.proof(&key, &method, &url, Some(at.expose())).await?;
                    let response = send(request, at, Some(&proof)).await?;
                    let headers = response.headers();
                    let fresh = self.harvest(&url, headers.get("dpop-nonce").ok().flatten().as_deref());
                    if !retried && fresh && super::dpop::challenge_asks_for_nonce(response.status(), headers.get("www-authenticate").ok().flatten().as_deref()) {
                        retried = true;
                        continue;
                    }
                    return Ok(response);
                }
            }
            send(request, at, None).await
        })
    }
}

/// Sends `request` with `at` ([`with_token`]), and `proof` for the DPoP scheme.
fn send<'a>(request: &'a Request, at: &'a AccessToken, proof: Option<&'a str>) -> LocalFuture<'a, Result<Response, Error>> {
    Box::pin(async move {
        let promise = sys::window()?.fetch_with_request(&with_token(request, at, proof)?);
        let response: Response = JsFuture::from(promise).await.map_err(|_| ErrorCode::NetworkError)?.unchecked_into();
        Ok(response)
    })
}

/// A copy of `request` with the token in the `Authorization` header and redirects not followed
/// (`redirect: "manual"`: an answer with a redirect is an opaque response, and nothing is sent
/// to the redirect's target). Errors: [`ErrorCode::InvalidConfig`] when the body was already
/// used or the request's mode drops the header (`no-cors`).
fn with_token(request: &Request, at: &AccessToken, proof: Option<&str>) -> Result<Request, Error> {
    let invalid = || Error::new(ErrorCode::InvalidConfig);
    let copy = request.clone().map_err(|_| invalid())?;
    let init = Object::new();
    let _ = Reflect::set(&init, &"redirect".into(), &"manual".into());
    let r = Request::new_with_request_and_init(&copy, init.unchecked_ref::<RequestInit>()).map_err(|_| invalid())?;
    let headers = r.headers();
    let scheme = if proof.is_some() { "DPoP " } else { "Bearer " };
    let _ = headers.set("authorization", &[scheme, at.expose()].concat());
    if let Some(p) = proof {
        let _ = headers.set("dpop", p);
    }
    if !headers.has("authorization").unwrap_or(false) {
        return Err(invalid());
    }
    Ok(r)
}
