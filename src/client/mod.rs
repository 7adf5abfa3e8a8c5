//! The client: one [`AuthClient`] per authorization server, owning the session in Rust memory.
//!
//! It performs discovery, the authorization request and the code exchange (RFC 6749 §4.1 with
//! RFC 7636 PKCE), verifies ID tokens with WebCrypto (OIDC Core §3.1.3.7), refreshes with
//! rotation (RFC 6749 §6; RFC 9700 §4.14.2) — one request per tab however many callers ask
//! (single flight), one refresher across the tabs of an origin (Web Locks) with the outcome
//! shared over a `BroadcastChannel` — renews on expiry and on wake-up events, restores a
//! session after a reload (another tab, else one top-level `prompt=none` redirect), calls
//! UserInfo (OIDC Core §5.3), revokes (RFC 7009) and logs out (OIDC RP-Initiated Logout 1.0).
//!
//! Every protocol decision is the [`core`](crate::core)'s; this module does the I/O through
//! `web-sys`/`js-sys` in the order those decisions dictate. Tokens never leave it except as
//! the return value of [`AuthClient::access_token`], and never reach storage, a URL or a log.
//!
//! ```no_run
//! use spa_oauth::{AuthClient, ClientOptions, LoginOptions};
//! # async fn app() -> Result<(), spa_oauth::Error> {
//! let auth = AuthClient::create(ClientOptions::new("https://login.example.com", "my-spa", "https://app.example.com/")).await?;
//! if auth.is_redirect_callback(None) {
//!     auth.handle_redirect_callback(None).await?;
//! } else if auth.restore_session(true).await? == spa_oauth::Restored::NoSession {
//!     auth.login_with_redirect(&LoginOptions::default())?;
//! }
//! let token = auth.access_token().await?; // memory, or one refresh for all callers and tabs
//! # let _ = token; Ok(()) }
//! ```

#[cfg(feature = "small-alloc")]
mod alloc;
mod crypto;
#[cfg(feature = "dpop")]
mod dpop;
#[cfg(feature = "dpop")]
mod persist;
#[cfg(feature = "resource-servers")]
mod fetch;
mod http;
mod options;
mod storage;
mod sys;
mod tabs;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

/// A boxed future: awaiting it in several places does not copy its state machine into each
/// caller (a size measure).
pub(crate) type LocalFuture<'a, T> = core::pin::Pin<Box<dyn core::future::Future<Output = T> + 'a>>;

/// Runs a boxed future as a promise (one instantiation of `future_to_promise` for the crate).
pub(crate) fn spawn(f: LocalFuture<'static, Result<JsValue, JsValue>>) -> Promise {
    future_to_promise(f)
}
use web_sys::BroadcastChannel;

#[cfg(feature = "resource-servers")]
pub use fetch::{FetchRecord, TokenInfo};
pub use options::{ClientOptions, LoginOptions, LogoutOptions};

use crate::core::authorize::{self, PendingAuthorization};
use crate::core::callback::{self, AuthorizationResponse};
use crate::core::challenge::with_challenge;
use crate::core::config::ClientConfig;
use crate::core::error::{Error, ErrorCode, ServerDetail};
use crate::core::id_token::{self, DEFAULT_MAX_IAT_AGE};
use crate::core::json::{self, Value};
use crate::core::jwk::{self, Jwk};
use crate::core::jws;
use crate::core::logout::{self, TokenTypeHint};
use crate::core::secret::{AccessToken, RefreshToken};
use crate::core::token::{self, HttpRequest, TokenResponsePolicy};
use crate::core::{pkce, refresh, uri, userinfo};
#[cfg(feature = "resource-servers")]
use crate::core::resource;

#[cfg(feature = "js")]
pub(crate) use crypto::check_id_token;
#[cfg(feature = "js")]
pub(crate) use sys::random;

#[cfg(feature = "small-alloc")]
#[global_allocator]
static ALLOCATOR: alloc::SizeClassAlloc = alloc::SizeClassAlloc::new();

const FIRST_RETRY_MS: f64 = 2000.0;
const MAX_RETRY_MS: f64 = 60_000.0;
const JWKS_MAX_AGE_MS: f64 = 600_000.0;
const JWKS_REFETCH_COOLDOWN_MS: f64 = 60_000.0;
const TAB_ANSWER_MS: f64 = 250.0;
const SILENT_GUARD_SECONDS: u64 = 120;
const LOGOUT_STATE_SECONDS: u64 = 600;

/// What happened to the session (see [`AuthClient::on`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// New tokens: from this tab's refresh or from another tab.
    TokenRefreshed {
        /// Access-token expiry, milliseconds since the epoch, when known.
        expires_at: Option<f64>,
        /// Where the tokens came from.
        source: RefreshSource,
    },
    /// The refresh token was refused (`invalid_grant`) or a refreshed ID token named another
    /// authentication: the session is over in every tab.
    SessionExpired,
    /// This or another tab logged out.
    LoggedOut,
    /// A background failure (refresh, revocation) that did not end the session.
    Error(Error),
    /// A provider quirk the app opted into was met and tolerated: `auth_time_changed` (a
    /// refreshed ID token with another `auth_time`, see [`ClientOptions::allow_auth_time_change`]).
    Warning(&'static str),
    #[cfg(feature = "resource-servers")]
    /// An authorized call ([`AuthClient::fetch`]) got an answer (also one that ends in an
    /// error, and the first answer of a retried call): which token it used, never the token.
    Fetch(FetchRecord),
    #[cfg(feature = "resource-servers")]
    /// A call needs scope the grant does not cover: the `consent_required` error (its
    /// [`Error::detail`] carries `scope` and `resource`).
    ConsentRequired(Error),
    #[cfg(feature = "resource-servers")]
    /// A resource server asks for a stronger or more recent authentication: the
    /// `step_up_required` error (`acr_values`, `max_age`, `resource`).
    StepUpRequired(Error),
}

/// Where new tokens came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshSource {
    /// This tab's refresh request (RFC 6749 §6).
    Refresh,
    /// Another tab of this origin (over the `BroadcastChannel`).
    Tab,
}

/// A subscription made by [`AuthClient::on`], for [`AuthClient::off`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscription(u64);

/// What [`AuthClient::restore_session`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restored {
    /// A session is in memory now (this tab's, or another tab's).
    Session,
    /// No session here and none in another tab; the silent `prompt=none` redirect is under way
    /// (the page is about to unload: render nothing).
    Redirecting,
    /// No session, and no silent attempt (not asked for, or one was made in the last two
    /// minutes): show the logged-out state.
    NoSession,
}

/// Where [`AuthClient::start`] left the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Started {
    /// A session is in memory (just logged in, or restored).
    Authenticated,
    /// A silent `prompt=none` redirect is under way: the page is about to unload.
    Redirecting,
    /// No session: show the logged-out state.
    Anonymous,
}

/// Why the tokens were or were not revoked at logout (RFC 7009).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revocation {
    /// The refresh token (if any) and the access token were revoked.
    Revoked,
    /// The provider has no revocation endpoint (metadata or `revocation_endpoint` option): the
    /// tokens stay valid at the provider until they expire.
    NoEndpoint,
    /// [`LogoutOptions::revoke`] was false.
    NotAsked,
    /// There was no session to revoke.
    NoSession,
    /// A revocation request failed ([`Event::Error`] fired).
    Failed,
}

/// What [`AuthClient::logout`] did after clearing memory in every tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggedOut {
    /// Every token of the session was revoked (RFC 7009) ([`Revocation::Revoked`]).
    pub revoked: bool,
    /// Why the tokens were or were not revoked.
    pub revocation: Revocation,
    /// The browser is on its way to the provider's `end_session_endpoint`.
    pub redirecting: bool,
}

/// Result of [`AuthClient::handle_redirect_callback`].
#[derive(Clone, Debug)]
pub struct CallbackResult {
    /// Granted scope (RFC 6749 §5.1; the requested scope when the server omitted it).
    pub scope: String,
    /// Access-token expiry in milliseconds since the epoch, when the server gave a lifetime.
    pub expires_at: Option<f64>,
}

/// The tokens of a session (memory only). The raw ID token is not kept once validated: only its
/// claims (it would serve only as `id_token_hint`, which is never sent, issue 11.2).
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) at: AccessToken,
    pub(crate) rt: Option<RefreshToken>,
    /// Validated ID-token claims, JSON text.
    pub(crate) claims: Option<String>,
    /// Access-token expiry, ms since the epoch.
    pub(crate) exp: Option<f64>,
    pub(crate) scope: String,
    /// The scope the login asked for (a refresh token covers the scope of its authorization
    /// request, not earlier ones): a later login asks for it again (incremental consent).
    pub(crate) asked: String,
    /// When the token response of `at` arrived, ms.
    pub(crate) obtained: f64,
    /// Orders the copies of this session across tabs (ms; any change makes it larger).
    pub(crate) version: f64,
    /// Tokens for resource servers and scopes (RFC 8707; RFC 6749 §6 down-scoping).
    #[cfg(feature = "resource-servers")]
    pub(crate) scoped: Vec<ScopedToken>,
    /// The DPoP key every token of the session is bound to (RFC 9449 §5: the refresh token too).
    #[cfg(feature = "dpop")]
    pub(crate) key: Option<Rc<dpop::Key>>,
}

#[cfg(feature = "resource-servers")]
/// An access token for one resource server (RFC 8707 `resource`) and scope, from a refresh grant.
#[derive(Clone)]
pub(crate) struct ScopedToken {
    pub(crate) resource: Option<String>,
    pub(crate) scope: String,
    pub(crate) at: AccessToken,
    pub(crate) exp: Option<f64>,
    pub(crate) obtained: f64,
}

#[cfg(feature = "resource-servers")]
/// Most tokens for resource servers kept at once (the oldest goes).
const MAX_SCOPED: usize = 8;

/// Which token a call needs: the session's (both `None`), or one for a resource server and/or
/// a scope. Without the `resource-servers` feature only the session's: every branch for the
/// others is then dead code the compiler removes.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Want {
    #[cfg(feature = "resource-servers")]
    pub(crate) resource: Option<String>,
    #[cfg(feature = "resource-servers")]
    pub(crate) scope: Option<String>,
}

impl Want {
    #[cfg(feature = "resource-servers")]
    fn is_default(&self) -> bool {
        self.resource.is_none() && self.scope.is_none()
    }
    #[cfg(not(feature = "resource-servers"))]
    fn is_default(&self) -> bool {
        true
    }
    #[cfg(feature = "resource-servers")]
    fn parts(&self) -> (Option<&str>, Option<&str>) {
        (self.resource.as_deref(), self.scope.as_deref())
    }
    #[cfg(not(feature = "resource-servers"))]
    fn parts(&self) -> (Option<&str>, Option<&str>) {
        (None, None)
    }
}

/// The renewal margin of a token obtained at `obtained` expiring at `exp`: `margin_ms`, or half
/// the lifetime when that is shorter.
fn margin_of(margin_ms: f64, obtained: f64, exp: Option<f64>) -> f64 {
    let lifetime = exp.map_or(f64::INFINITY, |e| e - obtained);
    if margin_ms >= lifetime {
        (lifetime / 2.0).max(0.0)
    } else {
        margin_ms
    }
}

impl Session {
    fn fresh(&self, now: f64, margin: f64) -> bool {
        self.exp.is_none_or(|exp| exp - now > margin)
    }

#[cfg(feature = "resource-servers")]
    /// The token in memory for `want` with more than the margin left, and its scope: the
    /// session's when `want` names no resource and its scope covers the one asked, else a
    /// scoped token for that resource covering it.
    fn find(&self, want: &Want, now: f64, margin_ms: f64) -> Option<(&AccessToken, &str)> {
        let required = want.scope.as_deref().unwrap_or("");
        if want.resource.is_none() && self.fresh(now, margin_of(margin_ms, self.obtained, self.exp)) && resource::covers(&self.scope, required) {
            return Some((&self.at, &self.scope));
        }
        self.scoped
            .iter()
            .find(|t| t.resource == want.resource && resource::covers(&t.scope, required) && t.exp.is_none_or(|e| e - now > margin_of(margin_ms, t.obtained, Some(e))))
            .map(|t| (&t.at, t.scope.as_str()))
    }

    /// Keeps `t`: expired tokens and the one it replaces go; at most [`MAX_SCOPED`] stay
    /// (the newest).
    #[cfg(feature = "resource-servers")]
    fn push_scoped(&mut self, t: ScopedToken) {
        self.scoped.retain(|o| o.exp.is_none_or(|e| e > t.obtained) && !(o.resource == t.resource && o.scope == t.scope));
        let excess = (self.scoped.len() + 1).saturating_sub(MAX_SCOPED);
        // (Not `Vec::remove`: its bounds panic would link the formatting machinery.)
        self.scoped = core::mem::take(&mut self.scoped).into_iter().skip(excess).collect();
        self.scoped.push(t);
    }

    fn same_rt(&self, other: Option<&Session>) -> bool {
        let a = self.rt.as_ref().map(RefreshToken::expose);
        let b = other.and_then(|o| o.rt.as_ref()).map(RefreshToken::expose);
        a == b
    }
}

fn sub_of(claims: Option<&str>) -> Option<String> {
    let v = json::parse(claims?.as_bytes()).ok()?;
    v.get("sub").and_then(Value::as_str).map(String::from)
}

/// A refresh in flight: its completion (a promise) and its outcome.
struct Flight {
    done: Promise,
    result: Rc<RefCell<Option<Result<AccessToken, Error>>>>,
}

type Handler = Rc<dyn Fn(&Event)>;

#[derive(Default)]
struct State {
    live: bool,
    session: Option<Rc<Session>>,
    userinfo: Option<String>,
    jwks: Option<(Rc<Vec<Jwk>>, f64)>,
    kid_refetch: f64,
    in_callback: bool,
    refreshing: Vec<(Want, Rc<Flight>)>,
    retry_ms: f64,
    not_before: f64,
    /// A forced refresh was asked for at this time (ms): until a session obtained later is
    /// here, a refresh flight does not settle for the token in memory.
    force_after: f64,
    peers: bool,
    handlers: Vec<(u64, Handler)>,
    next_handler: u64,
    channel: Option<BroadcastChannel>,
    timer: Option<JsValue>,
    closures: Option<tabs::Listeners>,
    /// DPoP nonces per origin (RFC 9449 §8, §9).
    #[cfg(feature = "dpop")]
    nonces: Vec<(String, String)>,
}

pub(crate) struct Inner {
    config: ClientConfig,
    scope: String,
    policy: TokenResponsePolicy,
    allow_auth_time_change: bool,
    timeout_ms: u32,
    margin_ms: f64,
    #[cfg(feature = "resource-servers")]
    servers: Vec<fetch::Server>,
    #[cfg(feature = "resource-servers")]
    indicators: bool,
    #[cfg(feature = "dpop")]
    dpop: bool,
    #[cfg(feature = "dpop")]
    dpop_ed25519: bool,
    #[cfg(feature = "dpop")]
    dpop_persist: bool,
    name: String,
    tab: String,
    st: sys::Shared<State>,
}

/// An OAuth 2.0 / OpenID Connect client for one authorization server (RFC 6749 §4.1 with RFC
/// 7636 PKCE, OpenID Connect Core 1.0), for a browser page. Cheap to clone: clones share one
/// session. Made by [`AuthClient::create`].
#[derive(Clone)]
pub struct AuthClient {
    inner: Rc<Inner>,
}

impl core::fmt::Debug for AuthClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the tokens.
        f.debug_struct("AuthClient").field("issuer", &self.inner.config.issuer).field("client_id", &self.inner.config.client_id).finish_non_exhaustive()
    }
}

impl AuthClient {
    /// Creates a client. Without both endpoints it reads the provider metadata first (OIDC
    /// Discovery §4, or RFC 8414 §3): the metadata `issuer` must equal the configured one
    /// exactly, endpoints must be https (loopback excepted), redirects are not followed.
    /// Errors: `invalid_config`, `insecure_endpoint`, `discovery_invalid`,
    /// `discovery_issuer_mismatch`, `metadata_missing`, `network_error`, `timeout`,
    /// `redirect_refused`.
    pub async fn create(options: ClientOptions) -> Result<AuthClient, Error> {
        let (scope, discovery) = options.check()?;
        let metadata = match discovery {
            Some(url) => {
                let r = http::send(&http::get(&url), options.timeout_ms).await.map_err(|e| match e.code {
                    ErrorCode::NetworkError | ErrorCode::Timeout | ErrorCode::RedirectRefused => e,
                    _ => ErrorCode::DiscoveryInvalid.into(),
                })?;
                if r.status != 200 {
                    return Err(ErrorCode::DiscoveryInvalid.into());
                }
                Some(r.body)
            }
            None => None,
        };
        let config = options.config(metadata.as_deref())?;
        #[cfg(feature = "resource-servers")]
        let servers = fetch::servers(&options.resource_servers)?;
        let tab = pkce::base64url(&sys::random(12)?);
        let name = ["spa-oauth ", config.issuer.as_str(), " ", config.client_id.as_str()].concat();
        let inner = Rc::new(Inner {
            config,
            scope,
            policy: options.policy(),
            allow_auth_time_change: options.allow_auth_time_change,
            timeout_ms: options.timeout_ms,
            margin_ms: f64::from(options.refresh_margin_seconds) * 1000.0,
            #[cfg(feature = "resource-servers")]
            servers,
            #[cfg(feature = "resource-servers")]
            indicators: options.resource_indicators,
            #[cfg(feature = "dpop")]
            dpop: options.dpop,
            #[cfg(feature = "dpop")]
            dpop_ed25519: options.dpop_ed25519,
            #[cfg(feature = "dpop")]
            dpop_persist: options.dpop && options.dpop_persist,
            name,
            tab,
            st: sys::Shared::new(State { live: true, retry_ms: FIRST_RETRY_MS, kid_refetch: f64::NEG_INFINITY, ..State::default() }),
        });
        tabs::attach(&inner);
        Ok(AuthClient { inner })
    }

    /// Detaches the client: page listeners, channel and timer removed, session dropped from
    /// memory. Every later call fails or reports no session. (Dropping the last clone does the
    /// same.)
    pub fn close(&self) {
        self.inner.detach();
    }

    // ---------------------------------------------------------------- login

    /// Starts a login (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1): stores the login
    /// transaction (state, nonce, verifier; `sessionStorage`, 10 minutes, single use) and
    /// navigates to the authorization endpoint. Errors: `protocol_parameter_override`,
    /// `invalid_config`, `storage_unavailable`, `crypto_unavailable`, `no_browser_context`.
    pub fn login_with_redirect(&self, options: &LoginOptions) -> Result<(), Error> {
        sys::navigate(&self.inner.begin(options, false)?)
    }

    /// Like [`Self::login_with_redirect`] but returns the URL instead of navigating.
    pub fn create_authorization_url(&self, options: &LoginOptions) -> Result<String, Error> {
        self.inner.begin(options, false)
    }

    /// Starts a login like [`Self::login_with_redirect`], with a pushed authorization request
    /// (RFC 9126) when the client uses PAR ([`ClientOptions::par`], or the provider's
    /// `require_pushed_authorization_requests`): the parameters go to the PAR endpoint and the
    /// browser carries only `client_id` and `request_uri`. (The synchronous methods refuse a
    /// client that uses PAR with `invalid_config`.) Errors: those of `login_with_redirect`,
    /// `par_error`, `par_response_invalid`, `network_error`, `timeout`, `redirect_refused`.
    #[cfg(feature = "par")]
    pub async fn login_with_par(&self, options: &LoginOptions) -> Result<(), Error> {
        sys::navigate(&self.inner.begin_pushed(options, false).await?)
    }

    /// Like [`Self::login_with_par`] but returns the URL instead of navigating.
    #[cfg(feature = "par")]
    pub async fn par_authorization_url(&self, options: &LoginOptions) -> Result<String, Error> {
        self.inner.begin_pushed(options, false).await
    }

    /// True when `url` (default: the current location) is an authorization response for this
    /// client: at the redirect URI, with `state` and `code` or `error`.
    pub fn is_redirect_callback(&self, url: Option<&str>) -> bool {
        let here;
        let url = match url {
            Some(u) => u,
            None => match sys::here_opt() {
                Some(h) => {
                    here = h;
                    &here
                }
                None => return false,
            },
        };
        self.inner.st.borrow().live && self.inner.is_callback(url)
    }

    /// Completes a login (RFC 6749 §4.1.2, §4.1.3; RFC 9207; OIDC Core §3.1.3.7): validates the
    /// response at `url` (default: the current location) against the stored transaction,
    /// removes `code`, `state`, `iss`, `session_state` from the address bar, exchanges the code
    /// and keeps the tokens in memory. Errors: every callback, token-response and ID-token code;
    /// `callback_in_progress` while another call runs; `login_required` for a silent restore the
    /// provider answered with an interaction error.
    pub async fn handle_redirect_callback(&self, url: Option<&str>) -> Result<CallbackResult, Error> {
        let url = match url {
            Some(u) => String::from(u),
            None => sys::here()?,
        };
        {
            let mut st = self.inner.st.borrow_mut();
            if st.in_callback {
                return Err(ErrorCode::CallbackInProgress.into());
            }
            st.in_callback = true;
        }
        let r = self.inner.callback(&url).await;
        self.inner.st.borrow_mut().in_callback = false;
        r
    }

    /// The one call an app makes at start-up: completes a login when the page is the redirect
    /// callback ([`Self::handle_redirect_callback`]), recognises the return from its own logout
    /// ([`Self::handle_logout_callback`]: no silent restore right after a logout), else restores
    /// the session ([`Self::restore_session`] with the silent redirect). A silent attempt the
    /// provider answered with `login_required` is [`Started::Anonymous`]; other callback
    /// failures are returned (e.g. `authorization_error` when the user cancelled).
    pub async fn start(&self) -> Result<Started, Error> {
        if self.is_redirect_callback(None) {
            return match self.handle_redirect_callback(None).await {
                Ok(_) => Ok(Started::Authenticated),
                Err(e) if e.code == ErrorCode::LoginRequired => Ok(Started::Anonymous),
                Err(e) => Err(e),
            };
        }
        if self.handle_logout_callback(None) {
            return Ok(Started::Anonymous);
        }
        Ok(match self.restore_session(true).await? {
            Restored::Session => Started::Authenticated,
            Restored::Redirecting => Started::Redirecting,
            Restored::NoSession => Started::Anonymous,
        })
    }

    // ---------------------------------------------------------------- session

    /// True when an unexpired access token is in memory.
    pub fn is_authenticated(&self) -> bool {
        self.inner.st.borrow().session.as_ref().is_some_and(|s| s.fresh(sys::now_ms(), 0.0))
    }

    /// Access-token expiry in milliseconds since the epoch; `None` when unknown or logged out.
    pub fn token_expiry(&self) -> Option<f64> {
        self.inner.st.borrow().session.as_ref().and_then(|s| s.exp)
    }

    /// The granted scope (RFC 6749 §5.1, §3.3); `None` when logged out.
    pub fn granted_scope(&self) -> Option<String> {
        self.inner.st.borrow().session.as_ref().map(|s| s.scope.clone())
    }

    /// The validated claims of the current ID token (signature verified with WebCrypto, claims
    /// checked per OIDC Core §3.1.3.7), or `None`.
    pub fn id_token_claims(&self) -> Option<Value> {
        let claims = self.inner.st.borrow().session.as_ref()?.claims.clone()?;
        json::parse(claims.as_bytes()).ok()
    }

    /// The last UserInfo response of this session ([`Self::user_info`]), if any.
    pub fn last_user_info(&self) -> Option<Value> {
        let info = self.inner.st.borrow().userinfo.clone()?;
        json::parse(info.as_bytes()).ok()
    }

    /// The ID-token claims merged with the last UserInfo response (which wins), or `None`.
    pub fn user(&self) -> Option<Value> {
        let mut claims = self.id_token_claims()?;
        let info = self.inner.st.borrow().userinfo.clone();
        if let (Value::Object(members), Some(Ok(Value::Object(extra)))) = (&mut claims, info.map(|i| json::parse(i.as_bytes()))) {
            for (k, v) in extra {
                match members.iter_mut().find(|(n, _)| *n == k) {
                    Some(slot) => slot.1 = v,
                    None => members.push((k, v)),
                }
            }
        }
        Some(claims)
    }

    /// The access token (send it only in the `Authorization` header, RFC 6750 §2.1): the one in
    /// memory while it has more than the refresh margin left, else a refreshed one (RFC 6749 §6;
    /// one request however many callers and tabs ask at once). Errors: `login_required` when
    /// there is no session or the refresh token was refused (then [`Event::SessionExpired`]);
    /// a transient failure hands out the still-valid token and retries with backoff.
    pub async fn access_token(&self) -> Result<AccessToken, Error> {
        self.inner.access_token().await
    }

    /// The access token in memory when it needs no renewal (more than the margin left): what
    /// [`Self::access_token`] resolves at once. The JavaScript face answers from it without
    /// scheduling a future.
    #[cfg(feature = "js")]
    pub(crate) fn fresh_access_token(&self) -> Option<AccessToken> {
        let st = self.inner.st.borrow();
        let s = st.session.as_ref()?;
        s.fresh(sys::now_ms(), self.inner.margin(s)).then(|| s.at.clone())
    }

    /// A new access token even when the one in memory has time left — for when an API refused it
    /// (`cacheMode: "off"` in auth0-spa-js, `forceRefresh` in MSAL): one refresh request
    /// (RFC 6749 §6), shared with concurrent calls and other tabs like any refresh; a failure is
    /// returned, never the old token. Errors: `login_required` without a refresh token or when
    /// it was refused; the refresh's network and response codes.
    pub async fn refresh_access_token(&self) -> Result<AccessToken, Error> {
        self.inner.forced_refresh().await
    }

    /// Calls the UserInfo endpoint (OIDC Core §5.3) with the access token in the
    /// `Authorization` header: the claims (`sub` must equal the ID token's). Errors:
    /// `login_required`, `metadata_missing`, `userinfo_invalid`, `userinfo_sub_mismatch`,
    /// `network_error`, `timeout`, `redirect_refused`.
    pub async fn user_info(&self) -> Result<Value, Error> {
        let text = self.inner.user_info().await?;
        json::parse(text.as_bytes()).map_err(|_| ErrorCode::UserinfoInvalid.into())
    }

    // ---------------------------------------------------------------- events

    /// Subscribes `handler` to the session's [`Event`]s.
    pub fn on(&self, handler: impl Fn(&Event) + 'static) -> Subscription {
        let mut st = self.inner.st.borrow_mut();
        st.next_handler += 1;
        let id = st.next_handler;
        st.handlers.push((id, Rc::new(handler)));
        Subscription(id)
    }

    /// Ends a subscription made by [`Self::on`].
    pub fn off(&self, subscription: Subscription) {
        self.inner.st.borrow_mut().handlers.retain(|(id, _)| *id != subscription.0);
    }

    // ---------------------------------------------------------------- restore and logout

    /// Restores the session after a reload (tokens live in memory only): from another open tab
    /// of this origin if one has it; otherwise, when `silent`, one top-level `prompt=none`
    /// authorization redirect (no iframe, no third-party cookies), at most once per two minutes.
    /// Errors: `storage_unavailable`, `crypto_unavailable`, `no_browser_context` (only when a
    /// silent redirect was due).
    pub async fn restore_session(&self, silent: bool) -> Result<Restored, Error> {
        self.inner.restore(silent).await
    }

    /// Logs out (OIDC RP-Initiated Logout 1.0): memory in every tab first, then RFC 7009
    /// revocation of the refresh and access tokens (a failure fires [`Event::Error`] and, when
    /// the page does not navigate away, is returned as `revocation_failed`; the local logout
    /// stands), then the `end_session_endpoint` with `client_id`, `post_logout_redirect_uri` and a
    /// `state` that [`Self::handle_logout_callback`] checks — never with `id_token_hint`: a token
    /// in that URL would stay in the browser history (an OP that wants proof of the session asks
    /// the user to confirm).
    /// Without navigation, a failed revocation is returned as its error (the local logout
    /// stands either way).
    pub async fn logout(&self, options: &LogoutOptions) -> Result<LoggedOut, Error> {
        self.inner.logout(options).await
    }

    /// After an RP-initiated logout: true when `url` (default: the current location) carries
    /// the `state` of a logout started in this tab (catalogue LO-01, LO-02). Removes `state`
    /// from the address bar.
    pub fn handle_logout_callback(&self, url: Option<&str>) -> bool {
        let Some(url) = url.map(String::from).or_else(sys::here_opt) else { return false };
        let state = logout::logout_state(&url);
        sys::replace_url(&url, &logout::without_state(&url));
        state.is_some_and(|s| storage::mark_age("logout", &s, sys::secs(sys::now_secs()), true).is_some_and(|age| age <= LOGOUT_STATE_SECONDS))
    }
}

/// What an accepted authorization response leads to.
struct Accepted {
    request: HttpRequest,
    scope: String,
    nonce: Option<String>,
    max_age: Option<u64>,
    acr_values: Option<String>,
    return_to: Option<String>,
    expect_id_token: bool,
    /// The transaction's storage key (a DPoP key may wait under it, persistent mode).
    #[cfg_attr(not(feature = "dpop"), allow(dead_code))]
    txn: String,
}

impl Inner {
    fn live(&self) -> Result<(), Error> {
        if self.st.borrow().live {
            Ok(())
        } else {
            Err(ErrorCode::InvalidConfig.into())
        }
    }

    fn margin(&self, s: &Session) -> f64 {
        margin_of(self.margin_ms, s.obtained, s.exp)
    }

    /// The RFC 8707 `resource` indicators logins ask for (none when they are off).
    #[cfg(feature = "resource-servers")]
    fn resources(&self) -> Vec<String> {
        if self.indicators {
            self.servers.iter().map(|s| s.url.clone()).collect()
        } else {
            Vec::new()
        }
    }
    #[cfg(not(feature = "resource-servers"))]
    fn resources(&self) -> Vec<String> {
        Vec::new()
    }

    pub(crate) fn emit(&self, event: &Event) {
        let handlers: Vec<Handler> = self.st.borrow().handlers.iter().map(|(_, h)| h.clone()).collect();
        for h in handlers {
            h(event);
        }
    }

    // ------------------------------------------------------------ login

    /// The authorization URL of a new login (the transaction stored); with PAR configured only
    /// through [`Self::begin_pushed`].
    fn begin(&self, options: &LoginOptions, silent: bool) -> Result<String, Error> {
        #[cfg(feature = "par")]
        if self.config.par_endpoint.is_some() {
            return Err(ErrorCode::InvalidConfig.into());
        }
        self.begin_tx(options, silent, None).map(|(url, _)| url)
    }

    /// A pushed authorization request (RFC 9126) when the client uses PAR, else [`Self::begin`]'s
    /// URL: the request goes to the PAR endpoint and the browser gets `client_id` and the
    /// `request_uri` only. A failed push removes the transaction it would have used.
    #[cfg(feature = "par")]
    fn begin_pushed<'a>(&'a self, options: &'a LoginOptions, silent: bool) -> LocalFuture<'a, Result<String, Error>> {
        Box::pin(async move {
            // The persistent DPoP mode makes the key now and binds the code to it (RFC 9449 §10
            // `dpop_jkt`): the key waits for the callback in IndexedDB.
            #[cfg(feature = "dpop")]
            let early = if self.dpop_persist { Some(dpop::generate(self.dpop_ed25519).await?) } else { None };
            #[cfg(feature = "dpop")]
            let jkt = early.as_ref().map(|k| k.public.thumbprint());
            #[cfg(not(feature = "dpop"))]
            let jkt: Option<String> = None;
            let (url, key) = self.begin_tx(options, silent, jkt.as_deref())?;
            #[cfg(feature = "dpop")]
            if let Some(k) = &early {
                if let Err(e) = self.put_pending(&key, k).await {
                    let _ = storage::take(&key);
                    return Err(e);
                }
            }
            if self.config.par_endpoint.is_none() {
                return Ok(url);
            }
            let push = crate::core::par::push_request(&self.config, &url)?;
            let pushed = match http::send(&push, self.timeout_ms).await {
                Ok(r) => crate::core::par::process_push_response(r.response()),
                Err(e) => Err(e),
            };
            match pushed {
                Ok(request_uri) => Ok(crate::core::par::authorization_url(&self.config, &request_uri)),
                Err(e) => {
                    let _ = storage::take(&key);
                    Err(e)
                }
            }
        })
    }

    /// The authorization URL and the storage key of the transaction it stored.
    fn begin_tx(&self, options: &LoginOptions, silent: bool, dpop_jkt: Option<&str>) -> Result<(String, String), Error> {
        self.live()?;
        // Incremental: the client's scope, what the session's login asked for, and this login's.
        let asked = self.st.borrow().session.as_ref().map(|s| s.asked.clone());
        let base = match asked {
            Some(a) => authorize::scope_union(&self.scope, &a)?,
            None => self.scope.clone(),
        };
        let mut request = options.request(&base, &self.resources())?;
        if silent {
            request.extra.push(("prompt".into(), "none".into()));
        }
        let random = sys::random(authorize::RANDOM_BYTES)?;
        let now = sys::secs(sys::now_secs());
        let (mut url, mut pending) = authorize::authorization_request(&self.config, &request, &random, now)?;
        if let Some(jkt) = dpop_jkt {
            // A base64url thumbprint: nothing to escape.
            url.push_str("&dpop_jkt=");
            url.push_str(jkt);
        }
        if let Some(to) = &options.return_to {
            authorize::check_return_to(&self.config, to)?;
            pending.return_to = Some(to.clone());
        }
        storage::sweep(now, None);
        let key = [storage::TXN_PREFIX, pending.state.expose()].concat();
        storage::put(&key, &pending.to_storage_string())?;
        Ok((url, key))
    }

    fn is_callback(&self, url: &str) -> bool {
        let Ok(response) = AuthorizationResponse::parse(url) else { return false };
        let Ok(redirect) = uri::split(&self.config.redirect_uri, ErrorCode::InvalidConfig) else { return false };
        let Ok(here) = uri::split(url, ErrorCode::CallbackMalformed) else { return false };
        response.looks_like_callback() && uri::base_for_comparison(&redirect) == uri::base_for_comparison(&here)
    }

    fn accept(&self, url: &str, now: u64) -> Result<Accepted, Error> {
        let response = AuthorizationResponse::parse(url)?;
        let stored = storage::take(&[storage::TXN_PREFIX, response.state()?].concat())?;
        // A malformed stored record reads as absent (state_mismatch below).
        let pending = stored.and_then(|p| PendingAuthorization::from_storage_string(&p).ok());
        let silent = pending.as_ref().is_some_and(|p| p.prompt_none);
        let code = response.validate(&self.config, pending.as_ref(), now).map_err(|e| {
            // OIDC Core §3.1.2.6: a silent restore answered "the user must interact" → not logged in.
            let interaction = matches!(e.error(), Some("login_required" | "interaction_required" | "consent_required" | "account_selection_required"));
            if silent && e.code == ErrorCode::AuthorizationError && interaction {
                Error::with_detail(ErrorCode::LoginRequired, ServerDetail {
                    error: e.error().map(String::from),
                    error_description: e.error_description().map(String::from),
                    ..Default::default()
                })
            } else {
                e
            }
        })?;
        let pending = pending.ok_or(ErrorCode::StateMismatch)?;
        let request = token::authorization_code_request(&self.config, &pending, &code)?;
        Ok(Accepted {
            request,
            expect_id_token: token::expects_id_token(&pending.scope),
            nonce: pending.nonce.as_ref().map(|n| String::from(n.expose())),
            max_age: pending.max_age,
            acr_values: pending.acr_values,
            return_to: pending.return_to,
            txn: [storage::TXN_PREFIX, pending.state.expose()].concat(),
            scope: pending.scope,
        })
    }

    fn callback<'a>(self: &'a Rc<Self>, url: &'a str) -> LocalFuture<'a, Result<CallbackResult, Error>> {
        Box::pin(self.callback_inner(url))
    }

    async fn callback_inner(self: &Rc<Self>, url: &str) -> Result<CallbackResult, Error> {
        self.live()?;
        let now = sys::secs(sys::now_secs());
        let accepted = self.accept(url, now);
        // BBA "Historic Note", catalogue BR-01: the response leaves the address bar before
        // anything else runs (the fragment too when it carries tokens).
        sys::replace_url(url, &callback::cleaned_url(url));
        let accepted = match accepted {
            Ok(a) => a,
            Err(e) => {
                // The flow is spent: drop every transaction of this client in this tab.
                storage::sweep(now, Some(&self.config.client_id));
                return Err(e);
            }
        };
        // RFC 9449 §5: with DPoP, a fresh key for this session and a proof on the exchange.
        #[cfg(feature = "dpop")]
        let key = match (self.dpop, self.dpop_persist) {
            (false, _) => None,
            // The key the authorization request named (dpop_jkt), if it waited; else a new one.
            (true, true) => match self.take_pending(&accepted.txn).await {
                Some(k) => Some(Rc::new(k)),
                None => Some(Rc::new(dpop::generate(self.dpop_ed25519).await?)),
            },
            (true, false) => Some(Rc::new(dpop::generate(self.dpop_ed25519).await?)),
        };
        #[cfg(feature = "dpop")]
        let r = match &key {
            Some(k) => self.token_call(&accepted.request, k).await?,
            None => http::send(&accepted.request, self.timeout_ms).await?,
        };
        #[cfg(not(feature = "dpop"))]
        let r = http::send(&accepted.request, self.timeout_ms).await?;
        let received_at = sys::now_ms();
        let t = token::process_token_response(r.response(), &accepted.scope, accepted.expect_id_token, received_at / 1000.0, self.policy)
            .map_err(|e| with_challenge(e, r.challenge.as_deref()))?;
        let claims = match &t.id_token {
            Some(idt) => Some(self.verify_id_token(idt.expose(), accepted.nonce.as_deref(), false, accepted.max_age, t.access_token.expose()).await?),
            None => None,
        };
        if let Some(acr_values) = &accepted.acr_values {
            // RFC 9470 §4: a step-up must come back at one of the levels asked for.
            let c = claims.as_deref().and_then(|c| json::parse(c.as_bytes()).ok()).ok_or(ErrorCode::AcrInvalid)?;
            id_token::check_acr(&c, acr_values)?;
        }
        self.live()?;
        let session = Session {
            exp: t.expires_at.map(ms),
            at: t.access_token,
            rt: t.refresh_token,
            claims,
            scope: t.scope,
            asked: accepted.scope.clone(),
            obtained: received_at,
            version: received_at,
            #[cfg(feature = "resource-servers")]
            scoped: Vec::new(),
            #[cfg(feature = "dpop")]
            key,
        };
        storage::unmark("silent", &self.config.client_id);
        let result = CallbackResult { scope: session.scope.clone(), expires_at: session.exp };
        // Replace the session only now that everything checked out (never half-applied).
        {
            let mut st = self.st.borrow_mut();
            st.session = Some(Rc::new(session));
            st.userinfo = None;
        }
        self.broadcast();
        self.schedule();
        if let Some(to) = &accepted.return_to {
            sys::replace_url(&callback::cleaned_url(url), to);
        }
        Ok(result)
    }

    // ------------------------------------------------------------ ID tokens

    fn fetch_jwks<'a>(&'a self) -> LocalFuture<'a, Result<Rc<Vec<Jwk>>, Error>> {
        Box::pin(self.fetch_jwks_inner())
    }

    async fn fetch_jwks_inner(&self) -> Result<Rc<Vec<Jwk>>, Error> {
        let url = self.config.jwks_uri.as_deref().ok_or(ErrorCode::MetadataMissing)?;
        let r = http::send(&http::get(url), self.timeout_ms).await?;
        if r.status != 200 {
            // Catalogue JW-08: fail closed.
            return Err(Error::with_detail(ErrorCode::JwksInvalid, ServerDetail { status: Some(r.status), ..Default::default() }));
        }
        let keys = Rc::new(jwk::parse_jwks(&r.body)?);
        self.st.borrow_mut().jwks = Some((keys.clone(), sys::now_ms()));
        Ok(keys)
    }

    /// Signature with WebCrypto (keys: cached, else a fresh JWK Set; an unknown `kid` refetches
    /// once per cooldown, so a rotation is survived and a kid flood is not amplified), then the
    /// claims (OIDC Core §3.1.3.7; §12.2 with `nonce_optional` for refreshed tokens): the
    /// validated claims JSON.
    fn verify_id_token<'a>(&'a self, idt: &'a str, nonce: Option<&'a str>, nonce_optional: bool, max_age: Option<u64>, access_token: &'a str) -> LocalFuture<'a, Result<String, Error>> {
        Box::pin(self.verify_id_token_inner(idt, nonce, nonce_optional, max_age, access_token))
    }

    async fn verify_id_token_inner(&self, idt: &str, nonce: Option<&str>, nonce_optional: bool, max_age: Option<u64>, access_token: &str) -> Result<String, Error> {
        // A malformed token or a refused algorithm is reported before any key is fetched.
        let parsed = jws::parse_compact(idt, &self.config.id_token_algs)?;
        let cached = self.st.borrow().jwks.clone();
        let mut keys = None;
        if let Some((k, at)) = cached {
            if sys::now_ms() - at < JWKS_MAX_AGE_MS {
                match jwk::select_key(&k, &parsed) {
                    Ok(_) => keys = Some(k),
                    Err(e) => {
                        let now = sys::now_ms();
                        let mut st = self.st.borrow_mut();
                        if e.code != ErrorCode::KeyNotFound || now - st.kid_refetch < JWKS_REFETCH_COOLDOWN_MS {
                            return Err(e);
                        }
                        st.kid_refetch = now;
                    }
                }
            }
        }
        let keys = match keys {
            Some(k) => k,
            None => self.fetch_jwks().await?,
        };
        let expect = id_token::Expectations {
            issuer: &self.config.issuer,
            client_id: &self.config.client_id,
            trusted_audiences: &self.config.trusted_audiences,
            nonce,
            nonce_optional,
            max_age,
            access_token_hash: None,
            now: sys::secs(sys::now_secs()),
            clock_tolerance: self.config.clock_tolerance,
            max_iat_age: DEFAULT_MAX_IAT_AGE,
        };
        crypto::check_id_token(parsed, &keys, expect, Some(access_token)).await.map(|c| c.json)
    }

    // ------------------------------------------------------------ tabs and timers

    fn post(&self, kind: &str, session: Option<&Session>) {
        let channel = self.st.borrow().channel.clone();
        if let Some(c) = channel {
            let _ = c.post_message(&tabs::message(kind, &self.tab, session));
        }
    }

    fn broadcast(&self) {
        let s = self.st.borrow().session.clone();
        if let Some(s) = s {
            self.post("session", Some(&s));
            #[cfg(feature = "dpop")]
            self.persist(&s);
        }
    }

    /// Drops the session, cached UserInfo and renewal timer of this tab; true if there was a
    /// session.
    fn clear(&self) -> bool {
        let had = {
            let mut st = self.st.borrow_mut();
            st.userinfo = None;
            st.session.take().is_some()
        };
        self.set_timer(None);
        had
    }

    fn set_timer(&self, ms: Option<f64>) {
        let mut st = self.st.borrow_mut();
        if let Some(t) = st.timer.take() {
            sys::clear_timeout(&t);
        }
        if let (Some(ms), true) = (ms, st.live) {
            if let Some(cb) = st.closures.as_ref().map(|c| c.timer.clone()) {
                st.timer = Some(sys::set_timeout(&cb, ms.clamp(0.0, 2_147_483_647.0)));
            }
        }
    }

    /// Arms the renewal timer on the absolute expiry minus the margin (hidden tabs' timers may
    /// be throttled: [`Self::check`] also runs on every wake-up).
    fn schedule(&self) {
        let s = self.st.borrow().session.clone();
        // A little late: a timer that fires before the due instant would find nothing to do.
        let due = s.and_then(|s| match (&s.rt, s.exp) {
            (Some(_), Some(exp)) => Some(exp - self.margin(&s) - sys::now_ms() + 101.0),
            _ => None,
        });
        self.set_timer(due);
    }

    /// Renews when due (timer, wake-up), else re-arms the timer.
    pub(crate) fn check(self: &Rc<Self>) {
        let (live, s, not_before, refreshing) = {
            let st = self.st.borrow();
            (st.live, st.session.clone(), st.not_before, st.refreshing.iter().any(|(w, _)| w.is_default()))
        };
        if !live {
            return;
        }
        let now = sys::now_ms();
        let due = s.as_ref().is_some_and(|s| s.rt.is_some() && !s.fresh(now, self.margin(s)));
        if due && now >= not_before {
            // The flight runs on its own; its outcome reaches the app through events.
            drop(self.refresh(Want::default()));
        } else if !refreshing && now >= not_before {
            self.schedule();
        }
    }

    // ------------------------------------------------------------ access tokens and refresh

    fn access_token<'a>(self: &'a Rc<Self>) -> LocalFuture<'a, Result<AccessToken, Error>> {
        Box::pin(self.access_token_inner())
    }

    async fn access_token_inner(self: &Rc<Self>) -> Result<AccessToken, Error> {
        let (s, not_before) = {
            let st = self.st.borrow();
            (st.session.clone(), st.not_before)
        };
        let s = s.ok_or(ErrorCode::LoginRequired)?;
        let t = sys::now_ms();
        if s.fresh(t, self.margin(&s)) {
            return Ok(s.at.clone());
        }
        let valid = s.fresh(t, 0.0);
        if s.rt.is_some() {
            // After a failed refresh, callers get the still-valid token until the backoff ends.
            if valid && t < not_before {
                return Ok(s.at.clone());
            }
            return self.refresh(Want::default()).await;
        }
        if valid {
            return Ok(s.at.clone());
        }
        Err(ErrorCode::LoginRequired.into())
    }

    /// A new access token even if the one in memory has time left (the app saw it refused):
    /// joins a refresh in flight when that one ends with a token obtained after this call,
    /// else runs one more; single flight in the tab and one refresher across tabs as always.
    fn forced_refresh<'a>(self: &'a Rc<Self>) -> LocalFuture<'a, Result<AccessToken, Error>> {
        Box::pin(self.forced_refresh_inner())
    }

    async fn forced_refresh_inner(self: &Rc<Self>) -> Result<AccessToken, Error> {
        let requested = sys::now_ms();
        {
            let mut st = self.st.borrow_mut();
            if st.session.as_ref().is_none_or(|s| s.rt.is_none()) {
                return Err(ErrorCode::LoginRequired.into());
            }
            st.force_after = st.force_after.max(requested);
        }
        let mut r = self.refresh(Want::default()).await;
        let newer = self.st.borrow().session.as_ref().is_some_and(|s| s.obtained >= requested);
        if r.is_ok() && !newer {
            // The flight joined had answered before this call: one more, for a token of our own.
            r = self.refresh(Want::default()).await;
        }
        // Done: later refreshes settle for a valid token again (unless another forced call is
        // still waiting).
        let mut st = self.st.borrow_mut();
        if st.force_after == requested {
            st.force_after = 0.0;
        }
        r
    }

    /// Starts a refresh for `want`, or joins the one in flight for it (single flight per token
    /// in this tab).
    fn refresh(self: &Rc<Self>, want: Want) -> impl core::future::Future<Output = Result<AccessToken, Error>> + 'static {
        let existing = self.st.borrow().refreshing.iter().find(|(w, _)| *w == want).map(|(_, f)| f.clone());
        let flight = match existing {
            Some(f) => f,
            None => {
                let result = Rc::new(RefCell::new(None));
                let (inner, out, key) = (self.clone(), result.clone(), want.clone());
                let done = spawn(Box::pin(async move {
                    let r = inner.across_tabs(&key).await;
                    *out.borrow_mut() = Some(r);
                    inner.st.borrow_mut().refreshing.retain(|(w, _)| *w != key);
                    Ok(JsValue::UNDEFINED)
                }));
                let f = Rc::new(Flight { done, result });
                self.st.borrow_mut().refreshing.push((want, f.clone()));
                f
            }
        };
        async move {
            let _ = JsFuture::from(flight.done.clone()).await;
            let r = flight.result.borrow().clone();
            r.unwrap_or_else(|| Err(ErrorCode::LoginRequired.into()))
        }
    }

    /// Holds the origin-wide Web Lock while refreshing, so exactly one tab presents the refresh
    /// token; the others receive the outcome over the channel while they wait.
    fn across_tabs<'a>(self: &'a Rc<Self>, want: &'a Want) -> LocalFuture<'a, Result<AccessToken, Error>> {
        Box::pin(self.across_tabs_inner(want))
    }

    async fn across_tabs_inner(self: &Rc<Self>, want: &Want) -> Result<AccessToken, Error> {
        // One lock for every token: each refresh grant may rotate the one refresh token.
        let release: Function = sys::lock(&self.name).await;
        let peers = self.st.borrow().peers;
        if peers {
            self.catch_up(want).await;
        }
        let r = self.refresh_locked(want).await;
        match &r {
            #[cfg(feature = "resource-servers")]
            Err(e) if e.code == ErrorCode::ConsentRequired => self.emit(&Event::ConsentRequired(e.clone())),
            Err(e) if e.code != ErrorCode::LoginRequired && want.is_default() => self.emit(&Event::Error(e.clone())),
            _ => {}
        }
        let _ = release.call0(&JsValue::UNDEFINED);
        r
    }

    /// With the lock held, wait (≤ 150 ms, only with other tabs) for their newest session: the
    /// lock can be granted before the previous holder's broadcast is delivered, and a hello
    /// round trip cannot overtake it (a channel delivers one sender's messages in order).
    async fn catch_up(&self, #[cfg_attr(not(feature = "resource-servers"), allow(unused_variables))] want: &Want) {
        let ok = || {
            let st = self.st.borrow();
            st.session.as_ref().is_some_and(|s| {
                #[cfg(feature = "resource-servers")]
                if !want.is_default() {
                    return s.find(want, sys::now_ms(), self.margin_ms).is_some();
                }
                s.fresh(sys::now_ms(), self.margin(s)) && s.obtained >= st.force_after
            })
        };
        if ok() {
            return;
        }
        self.post("hello", None);
        let mut waited = 0.0;
        while waited < 150.0 && !ok() {
            sys::sleep(10.0).await;
            waited += 10.0;
        }
    }

    fn refresh_locked<'a>(self: &'a Rc<Self>, want: &'a Want) -> LocalFuture<'a, Result<AccessToken, Error>> {
        Box::pin(self.refresh_locked_inner(want))
    }

    /// One refresh grant (RFC 6749 §6) for `want`: the session's token, or (with `resource` /
    /// `scope`, RFC 8707 §2.2) a token for a resource server. Either way a rotated refresh token
    /// replaces the session's and the new session goes to the other tabs.
    async fn refresh_locked_inner(self: &Rc<Self>, want: &Want) -> Result<AccessToken, Error> {
        self.live()?;
        let default = want.is_default();
        let (s, force_after) = {
            let st = self.st.borrow();
            (st.session.clone().ok_or(ErrorCode::LoginRequired)?, st.force_after)
        };
        // Another tab may have refreshed while we waited for the lock (for a forced refresh:
        // after it was asked for).
        let now = sys::now_ms();
        if default && s.fresh(now, self.margin(&s)) && s.obtained >= force_after {
            return Ok(s.at.clone());
        }
        #[cfg(feature = "resource-servers")]
        if !default {
            if let Some((at, _)) = s.find(want, now, self.margin_ms) {
                return Ok(at.clone());
            }
        }
        let rt = s.rt.clone().ok_or(ErrorCode::LoginRequired)?;
        let (resource, scope) = want.parts();
        let request = refresh::refresh_request(&self.config, &rt, resource, scope)?;
        // RFC 9449 §5: a DPoP-bound refresh token is presented with a proof of the same key.
        #[cfg(feature = "dpop")]
        let sent = match &s.key {
            Some(k) => self.token_call(&request, k).await,
            None if self.dpop => Err(Error::new(ErrorCode::LoginRequired)),
            None => http::send(&request, self.timeout_ms).await,
        };
        #[cfg(not(feature = "dpop"))]
        let sent = http::send(&request, self.timeout_ms).await;
        let r = match sent {
            Ok(r) => r,
            Err(e) if e.code == ErrorCode::LoginRequired => return Err(e),
            Err(e) => return self.transient(e, default),
        };
        if r.status >= 500 {
            return self.transient(Error::with_detail(ErrorCode::TokenResponseStatus, ServerDetail { status: Some(r.status), ..Default::default() }), default);
        }
        let received_at = sys::now_ms();
        let fallback_scope = if default { s.scope.as_str() } else { scope.unwrap_or("") };
        let t = token::process_token_response(r.response(), fallback_scope, false, received_at / 1000.0, self.policy).map_err(|e| with_challenge(e, r.challenge.as_deref()));
        let t = match t {
            Ok(t) => t,
            Err(e) if e.code == ErrorCode::TokenError && e.error() == Some("invalid_grant") => {
                // Catalogue RT-03: revoked, expired or reused: the session is over, in every
                // tab. No retry.
                self.expire();
                return Err(Error::with_detail(ErrorCode::LoginRequired, ServerDetail {
                    error: e.error().map(String::from),
                    error_description: e.error_description().map(String::from),
                    status: e.status(),
                    ..Default::default()
                }));
            }
            // Any other refusal or malformed answer: keep the session, back off, report — and
            // a refresh token the answer carries anyway (issue 11.4: the presented one is gone).
            Err(e) => {
                if let Some(rt) = token::issued_refresh_token(r.response()) {
                    self.adopt_refresh_token(&s, rt);
                }
                #[cfg(feature = "resource-servers")]
                if !default && e.code == ErrorCode::TokenError && matches!(e.error(), Some("invalid_scope" | "invalid_target")) {
                    // The grant does not cover this scope or resource: the user must consent.
                    return Err(self.consent(want, scope.unwrap_or(""), &e));
                }
                return self.transient(e, default);
            }
        };
        // The session may have ended while the request was in flight (logout here or elsewhere).
        if !s.same_rt(self.st.borrow().session.as_deref()) {
            return Err(ErrorCode::LoginRequired.into());
        }
        let mut claims = None;
        if let Some(idt) = &t.id_token {
            let nonce = s.claims.as_deref().and_then(|c| json::parse(c.as_bytes()).ok()).and_then(|v| v.get("nonce").and_then(Value::as_str).map(String::from));
            let c = match self.verify_id_token(idt.expose(), nonce.as_deref(), true, None, t.access_token.expose()).await {
                Ok(c) => c,
                Err(e) => {
                    // Catalogue RT-09: the access and ID tokens of the response are discarded and
                    // the session keeps its still-valid access token. But the response came from
                    // the token endpoint over TLS: a rotating provider has already retired the
                    // refresh token presented, so the new one is kept (issue 11.4) — the retry
                    // after the backoff presents it instead of a rotated-away token that the
                    // provider would treat as reuse and answer with invalid_grant for the
                    // whole grant.
                    if let Some(rt) = t.refresh_token {
                        self.adopt_refresh_token(&s, rt);
                    }
                    return self.transient(e, default);
                }
            };
            let mut keep_claims = false;
            if let Some(prev) = &s.claims {
                match same_authentication(prev, &c) {
                    Ok(refresh::AuthenticationCheck::Same) => {}
                    Ok(refresh::AuthenticationCheck::AuthTimeChanged) if self.allow_auth_time_change => {
                        // The opted-in quirk: same user and client, the session keeps its
                        // original claims (OIDC Core §12.2's auth_time), the app is told.
                        keep_claims = true;
                        self.emit(&Event::Warning("auth_time_changed"));
                    }
                    Ok(refresh::AuthenticationCheck::AuthTimeChanged) => {
                        // Catalogue RT-07: a changed auth_time is another authentication.
                        self.expire();
                        return Err(ErrorCode::IdTokenChanged.into());
                    }
                    Err(e) => {
                        // Catalogue RT-05/06/07: never a silent user switch.
                        self.expire();
                        return Err(e);
                    }
                }
            }
            if !keep_claims {
                claims = Some(c);
            }
        }
        let current = self.st.borrow().session.clone();
        let Some(current) = current.filter(|c| s.same_rt(Some(c))) else {
            return Err(ErrorCode::LoginRequired.into());
        };
        // A resource server's token must cover the scope asked for (RFC 6749 §3.3: the
        // provider may grant less): else the call needs consent. The rotated refresh token stays.
        #[cfg(feature = "resource-servers")]
        if !default {
            let lacking = scope.map(|w| resource::missing(&t.scope, w)).unwrap_or_default();
            if !lacking.is_empty() {
                if let Some(rt) = t.refresh_token {
                    self.adopt_refresh_token(&s, rt);
                }
                return Err(self.consent(want, &lacking, &Error::new(ErrorCode::ConsentRequired)));
            }
        }
        // RFC 6749 §6: a new refresh token replaces the old one (rotation), none keeps it
        // (catalogue RT-01/02).
        let mut session = Session {
            rt: t.refresh_token.or_else(|| current.rt.clone()),
            claims: claims.or_else(|| current.claims.clone()),
            version: received_at.max(current.version + 0.001),
            ..(*current).clone()
        };
        let at = t.access_token;
        if default {
            session.exp = t.expires_at.map(ms);
            session.at = at.clone();
            session.scope = t.scope;
            session.obtained = received_at;
        } else {
            #[cfg(feature = "resource-servers")]
            session.push_scoped(ScopedToken { resource: want.resource.clone(), scope: t.scope, at: at.clone(), exp: t.expires_at.map(ms), obtained: received_at });
        }
        let exp = session.exp;
        {
            let mut st = self.st.borrow_mut();
            st.session = Some(Rc::new(session));
            st.retry_ms = FIRST_RETRY_MS;
            st.not_before = 0.0;
        }
        self.broadcast();
        if default {
            self.schedule();
            self.emit(&Event::TokenRefreshed { expires_at: exp, source: RefreshSource::Refresh });
        }
        Ok(at)
    }

    /// The `consent_required` error for `want` lacking `scope`, with what the server said.
    #[cfg(feature = "resource-servers")]
    fn consent(&self, want: &Want, scope: &str, cause: &Error) -> Error {
        Error::with_detail(ErrorCode::ConsentRequired, ServerDetail {
            error: cause.error().map(String::from),
            error_description: cause.error_description().map(String::from),
            status: cause.status(),
            scope: Some(scope.into()),
            resource: want.resource.clone(),
            ..Default::default()
        })
    }

    /// Replaces only the refresh token of the session `s` was read from (if it is still the
    /// current one) and shares the change with the other tabs: the session counts as newer (by
    /// 1 µs, so a tab holding the old copy adopts it), its access tokens and claims stay.
    fn adopt_refresh_token(&self, s: &Session, rt: RefreshToken) {
        let changed = {
            let mut st = self.st.borrow_mut();
            match st.session.as_deref() {
                Some(current) if s.same_rt(Some(current)) => {
                    let mut next = current.clone();
                    next.rt = Some(rt);
                    next.version += 0.001;
                    st.session = Some(Rc::new(next));
                    true
                }
                _ => false,
            }
        };
        if changed {
            self.broadcast();
        }
    }

    /// A network error, time-out, 5xx or unusable answer: keep the tokens, retry later with
    /// backoff (2 s doubling to 60 s); for the session's token (`default`), hand out the
    /// still-valid one if there is one.
    fn transient(&self, e: Error, default: bool) -> Result<AccessToken, Error> {
        let delay = {
            let mut st = self.st.borrow_mut();
            let delay = st.retry_ms;
            st.retry_ms = (delay * 2.0).min(MAX_RETRY_MS);
            st.not_before = sys::now_ms() + delay;
            delay
        };
        self.set_timer(Some(delay));
        let (s, force_after) = {
            let st = self.st.borrow();
            (st.session.clone(), st.force_after)
        };
        match s {
            // A forced refresh wants a new token: its failure is the caller's answer.
            Some(s) if default && s.fresh(sys::now_ms(), 0.0) && s.obtained >= force_after => {
                self.emit(&Event::Error(e));
                Ok(s.at.clone())
            }
            _ => Err(e),
        }
    }

    /// The session is over in every tab (invalid_grant, user changed).
    fn expire(&self) {
        #[cfg(feature = "dpop")]
        self.forget();
        if self.clear() {
            self.post("expired", None);
            self.emit(&Event::SessionExpired);
        }
    }

    // ------------------------------------------------------------ UserInfo

    fn user_info<'a>(self: &'a Rc<Self>) -> LocalFuture<'a, Result<String, Error>> {
        Box::pin(self.user_info_inner())
    }

    async fn user_info_inner(self: &Rc<Self>) -> Result<String, Error> {
        let endpoint = self.config.userinfo_endpoint.clone().ok_or(ErrorCode::MetadataMissing)?;
        // A token that needs renewal is renewed first, as for any other call (issue 11.6).
        let at = self.access_token().await?;
        let s = self.st.borrow().session.clone().ok_or(ErrorCode::LoginRequired)?;
        let expected = sub_of(s.claims.as_deref()).ok_or(ErrorCode::LoginRequired)?;
        let request = userinfo::userinfo_request(&endpoint, &at)?;
        #[cfg(feature = "dpop")]
        let r = match &s.key {
            Some(k) => self.resource_call(&request, &at, k).await?,
            None => http::send(&request, self.timeout_ms).await?,
        };
        #[cfg(not(feature = "dpop"))]
        let r = http::send(&request, self.timeout_ms).await?;
        let info = userinfo::process_userinfo_response(r.response(), &expected).map_err(|e| with_challenge(e, r.challenge.as_deref()))?;
        // The session may have changed while the request was in flight: keep only a match.
        let now_sub = sub_of(self.st.borrow().session.as_ref().and_then(|s| s.claims.as_deref()));
        if now_sub.as_deref() != Some(expected.as_str()) {
            return Err(ErrorCode::LoginRequired.into());
        }
        self.st.borrow_mut().userinfo = Some(info.clone());
        Ok(info)
    }

    // ------------------------------------------------------------ restore and logout

    fn restore<'a>(self: &'a Rc<Self>, silent: bool) -> LocalFuture<'a, Result<Restored, Error>> {
        Box::pin(self.restore_inner(silent))
    }

    async fn restore_inner(self: &Rc<Self>, silent: bool) -> Result<Restored, Error> {
        let s = self.st.borrow().session.clone();
        // A valid token, or a refresh token access_token() can renew with: nothing to restore.
        if s.is_some_and(|s| s.fresh(sys::now_ms(), 0.0) || s.rt.is_some()) {
            return Ok(Restored::Session);
        }
        self.post("hello", None);
        let mut waited = 0.0;
        while waited < TAB_ANSWER_MS {
            sys::sleep(50.0).await;
            waited += 50.0;
            if self.st.borrow().session.is_some() {
                return Ok(Restored::Session);
            }
        }
        // The opt-in persistent DPoP mode: the stored key and refresh token, refreshed now.
        #[cfg(feature = "dpop")]
        if let Some(saved) = self.load().await {
            if self.st.borrow().session.is_none() {
                self.st.borrow_mut().session = Some(Rc::new(saved));
            }
            if self.access_token().await.is_ok() {
                return Ok(Restored::Session);
            }
            // Refused (then the record is gone) or unreachable: no half session stays.
            if self.st.borrow().session.as_ref().is_some_and(|s| !s.fresh(sys::now_ms(), 0.0)) {
                self.clear();
            }
        }
        let now = sys::secs(sys::now_secs());
        if !silent || storage::mark_age("silent", &self.config.client_id, now, false).is_some_and(|age| age < SILENT_GUARD_SECONDS) {
            return Ok(Restored::NoSession);
        }
        #[cfg(feature = "par")]
        let url = self.begin_pushed(&LoginOptions::default(), true).await?;
        #[cfg(not(feature = "par"))]
        let url = self.begin(&LoginOptions::default(), true)?;
        storage::mark("silent", &self.config.client_id, now);
        sys::navigate(&url)?;
        Ok(Restored::Redirecting)
    }

    fn logout<'a>(self: &'a Rc<Self>, options: &'a LogoutOptions) -> LocalFuture<'a, Result<LoggedOut, Error>> {
        Box::pin(self.logout_inner(options))
    }

    async fn logout_inner(self: &Rc<Self>, options: &LogoutOptions) -> Result<LoggedOut, Error> {
        self.live()?;
        let s = self.st.borrow().session.clone();
        let now = sys::secs(sys::now_secs());
        self.clear();
        #[cfg(feature = "dpop")]
        self.forget();
        storage::sweep(now, Some(&self.config.client_id));
        self.post("logout", None);
        if s.is_some() {
            self.emit(&Event::LoggedOut);
        }
        let mut first = None;
        let revocation = match (&s, options.revoke, &self.config.revocation_endpoint) {
            (None, _, _) => Revocation::NoSession,
            (Some(_), false, _) => Revocation::NotAsked,
            (Some(_), true, None) => Revocation::NoEndpoint,
            (Some(s), true, Some(_)) => {
                // (token, hint, a token for a resource server)
                let mut tokens = Vec::new();
                if let Some(rt) = &s.rt {
                    tokens.push((rt.expose(), TokenTypeHint::RefreshToken, false));
                }
                tokens.push((s.at.expose(), TokenTypeHint::AccessToken, false));
                #[cfg(feature = "resource-servers")]
                tokens.extend(s.scoped.iter().map(|t| (t.at.expose(), TokenTypeHint::AccessToken, true)));
                for (token, hint, scoped) in tokens {
                    match self.revoke(token, hint).await {
                        // A resource server's token is often a JWT (RFC 9068) the provider cannot
                        // revoke (RFC 7009 §2.2.1 unsupported_token_type): it expires; nothing
                        // the client could do.
                        Err(e) if scoped && e.error() == Some("unsupported_token_type") => {}
                        Err(e) => {
                            self.emit(&Event::Error(e.clone()));
                            first.get_or_insert(e);
                        }
                        Ok(()) => {}
                    }
                }
                if first.is_some() {
                    Revocation::Failed
                } else {
                    Revocation::Revoked
                }
            }
        };
        let outcome = |redirecting| LoggedOut { revoked: revocation == Revocation::Revoked, revocation, redirecting };
        if options.redirect {
            let state = pkce::base64url(&sys::random(32)?);
            if let Some(url) = logout::end_session_url(&self.config, options.post_logout_redirect_uri.as_deref(), &state) {
                if options.post_logout_redirect_uri.is_some() {
                    storage::mark("logout", &state, now);
                }
                sys::navigate(&url)?;
                return Ok(outcome(true));
            }
        }
        first.map_or(Ok(outcome(false)), Err)
    }

    fn revoke<'a>(&'a self, token: &'a str, hint: TokenTypeHint) -> LocalFuture<'a, Result<(), Error>> {
        Box::pin(self.revoke_inner(token, hint))
    }

    async fn revoke_inner(&self, token: &str, hint: TokenTypeHint) -> Result<(), Error> {
        let request = logout::revocation_request(&self.config, token, hint)?;
        let r = http::send(&request, self.timeout_ms)
            .await
            .map_err(|e| Error::with_detail(ErrorCode::RevocationFailed, ServerDetail { error: Some(e.code.as_str().into()), ..Default::default() }))?;
        logout::process_revocation_response(r.response())
    }

    /// Removes listeners, closes the channel, stops the timer, drops the session: the client is
    /// inert afterwards (messages and events that still arrive do nothing).
    fn detach(&self) {
        self.clear();
        let (channel, closures) = {
            let mut st = self.st.borrow_mut();
            st.live = false;
            st.handlers.clear();
            st.refreshing.clear();
            st.jwks = None;
            (st.channel.take(), st.closures.take())
        };
        if let Some(c) = channel {
            c.set_onmessage(None);
            c.close();
        }
        if let Some(c) = closures {
            c.remove();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.detach();
    }
}

/// Milliseconds, whole, from the core's fractional seconds.
fn ms(seconds: f64) -> f64 {
    (seconds * 1000.0 + 0.5).floor()
}

/// A refreshed ID token must name the same authentication (OIDC Core §12.2): `id_token_changed`
/// otherwise. Both arguments are validated claims JSON.
fn same_authentication(previous: &str, refreshed: &str) -> Result<refresh::AuthenticationCheck, Error> {
    let read = |j: &str| json::parse(j.as_bytes()).map_err(|_| Error::new(ErrorCode::IdTokenChanged));
    refresh::check_same_authentication(&read(previous)?, &read(refreshed)?)
}

/// A weak handle for listeners (they never keep a client alive).
pub(crate) fn weak(inner: &Rc<Inner>) -> Weak<Inner> {
    Rc::downgrade(inner)
}

impl Inner {
    pub(crate) fn tab(&self) -> &str {
        &self.tab
    }
    pub(crate) fn channel_name(&self) -> &str {
        &self.name
    }

    /// A message from another tab (see `tabs`).
    pub(crate) fn on_message(self: &Rc<Self>, m: tabs::Message) {
        {
            let mut st = self.st.borrow_mut();
            if !st.live {
                return;
            }
            st.peers = true;
        }
        match m {
            tabs::Message::Hello => {
                // An answer only: the session did not change, so nothing to persist again.
                let s = self.st.borrow().session.clone();
                if let Some(s) = s {
                    self.post("session", Some(&s));
                }
            }
            tabs::Message::Session(s) => {
                // A DPoP client's session is nothing without its key.
                #[cfg(feature = "dpop")]
                if self.dpop && s.key.is_none() {
                    return;
                }
                {
                    let mut st = self.st.borrow_mut();
                    // Only a newer session replaces ours: a late answer never brings back a
                    // rotated-away refresh token.
                    if st.session.as_ref().is_some_and(|cur| s.version.partial_cmp(&cur.version) != Some(core::cmp::Ordering::Greater)) {
                        return;
                    }
                    if sub_of(st.session.as_ref().and_then(|c| c.claims.as_deref())) != sub_of(s.claims.as_deref()) {
                        st.userinfo = None;
                    }
                    st.session = Some(Rc::new(s.clone()));
                }
                self.schedule();
                self.emit(&Event::TokenRefreshed { expires_at: s.exp, source: RefreshSource::Tab });
            }
            tabs::Message::Logout => {
                #[cfg(feature = "dpop")]
                self.forget();
                if self.clear() {
                    self.emit(&Event::LoggedOut);
                }
            }
            tabs::Message::Expired => {
                #[cfg(feature = "dpop")]
                self.forget();
                if self.clear() {
                    self.emit(&Event::SessionExpired);
                }
            }
        }
    }

    pub(crate) fn set_channel(&self, channel: Option<BroadcastChannel>, closures: tabs::Listeners) {
        let mut st = self.st.borrow_mut();
        st.channel = channel;
        st.closures = Some(closures);
    }
}

/// Tells whether a JS value is a live function (for the JavaScript face's `on`).
#[cfg(feature = "js")]
pub(crate) fn is_function(v: &JsValue) -> bool {
    v.is_function()
}

/// Whole seconds since the Unix epoch (the core's clock input), for the low-level helpers.
#[cfg(feature = "js")]
pub(crate) fn now_whole_secs() -> u64 {
    sys::secs(sys::now_secs())
}
