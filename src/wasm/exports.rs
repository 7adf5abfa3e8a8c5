//! The module's protocol steps: every protocol decision as a synchronous call for the JavaScript
//! driver (`driver.js`), which does only the I/O (fetch, WebCrypto, storage, locks, timers) in
//! the order these steps dictate. Strings, numbers and bytes in; JSON text out. A failure is the
//! JSON of the core [`Error`] (`{code, error?, error_description?, error_uri?, status?}`): as the
//! `Err` of the Rust functions below, and after a `!` in the text [`run`] and [`Client::run`]
//! return through the C ABI (`abi.rs`); the driver turns it into a `SpaOAuthError`.
//!
//! These steps are internal to the package: the public JavaScript API is the driver's
//! (`AuthClient`, `createPkcePair`, `buildAuthorizationUrl`, `validateIdToken`; docs/js-api.md).
//! Keeping the asynchronous orchestration in JavaScript instead of Rust futures is a size
//! measure (BENCHMARKS.md): no async state machines, no closures, no generated bindings, and one
//! narrow string/bytes interface.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::core::authorize::{self, AuthorizationRequest, PendingAuthorization};
use crate::core::callback::{AuthorizationResponse, CALLBACK_PARAMETERS};
use crate::core::challenge::with_challenge;
use crate::core::config::ClientConfig;
use crate::core::discovery::{self, MetadataKind};
use crate::core::error::{Error, ErrorCode, ServerDetail};
use crate::core::id_token::{self, DEFAULT_MAX_IAT_AGE};
use crate::core::json::{self, Writer};
use crate::core::jwk::{self, PublicKey};
use crate::core::jws::{self, Alg, AlgFamily, VerifiedJws};
use crate::core::logout::{self, TokenTypeHint};
use crate::core::secret::{AccessToken, RefreshToken};
use crate::core::token::{self, HttpRequest, HttpResponse, TokenResponsePolicy};
use crate::core::{pkce, refresh, uri, userinfo};

use super::options::Options;

/// The result of a step: JSON text, or the JSON of the error.
type Out = Result<String, String>;

/// The JSON of a core error: the stable code and what the server said. The static message
/// ([`Error::message`]) stays out of the module (3 kB of text; the driver's message names the
/// code, docs/errors.md explains it).
fn error_json(e: &Error) -> String {
    let mut w = Writer::new();
    w.str("code", e.code.as_str());
    if let Some(v) = e.error() {
        w.str("error", v);
    }
    if let Some(v) = e.error_description() {
        w.str("error_description", v);
    }
    if let Some(v) = e.error_uri() {
        w.str("error_uri", v);
    }
    if let Some(v) = e.status() {
        w.num("status", f64::from(v));
    }
    w.finish()
}

fn out(r: Result<String, Error>) -> Out {
    r.map_err(|e| error_json(&e))
}

fn done(r: Result<(), Error>) -> Result<(), String> {
    r.map_err(|e| error_json(&e))
}

/// A request for the driver's `fetch`: `{method, url, headers: [[name, value]], body}`.
fn request_json(r: &HttpRequest) -> String {
    let mut headers = String::from("[");
    for (i, (n, v)) in r.headers.iter().enumerate() {
        if i > 0 {
            headers.push(',');
        }
        headers.push_str(&json::string_array([*n, v.as_str()]));
    }
    headers.push(']');
    Writer::new().str("method", r.method).str("url", &r.url).raw("headers", &headers).str("body", &r.body).finish()
}

fn response<'a>(status: u16, content_type: &'a Option<String>, body: &'a [u8]) -> HttpResponse<'a> {
    HttpResponse { status, content_type: content_type.as_deref(), body }
}

/// Whole seconds for the core's clocks (negative or non-finite reads as 0).
fn secs(now: f64) -> u64 {
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

/// The arguments of a step: the JSON array the driver wrote (missing or mistyped members read
/// as empty, which the steps then refuse like any other bad input).
struct Args(Vec<json::Value>);

impl Args {
    fn parse(text: &str) -> Args {
        match json::parse(text.as_bytes()) {
            Ok(json::Value::Array(items)) => Args(items),
            _ => Args(Vec::new()),
        }
    }
    fn opt(&self, i: usize) -> Option<&str> {
        self.0.get(i).and_then(json::Value::as_str)
    }
    fn str(&self, i: usize) -> &str {
        self.opt(i).unwrap_or_default()
    }
    fn owned(&self, i: usize) -> Option<String> {
        self.opt(i).map(String::from)
    }
    fn num_opt(&self, i: usize) -> Option<f64> {
        self.0.get(i).and_then(json::Value::as_f64)
    }
    fn num(&self, i: usize) -> f64 {
        self.num_opt(i).unwrap_or_default()
    }
    fn flag(&self, i: usize) -> bool {
        matches!(self.0.get(i), Some(json::Value::Bool(true)))
    }
    /// Argument `i` as an options object (`null` reads as none).
    fn options(&mut self, i: usize, required: bool) -> Result<Options, Error> {
        let v = self.0.get_mut(i).map(|v| core::mem::replace(v, json::Value::Null)).unwrap_or(json::Value::Null);
        Options::from_value(v, required)
    }
}

/// The `NEW_CLIENT` step (see abi.rs): arguments `[options]`, the discovery document in `bytes`.
pub fn new_client(args: &str, metadata: Option<Vec<u8>>) -> Result<Client, String> {
    Args::parse(args).options(0, true).and_then(|o| build(&o, metadata.as_deref())).map_err(|e| error_json(&e))
}

/// A number as a step result.
pub fn number(n: f64) -> String {
    json::integer(n)
}

/// A failed step's result: `!` and the error JSON.
pub fn failure(error_json: String) -> String {
    reply(Err(error_json))
}

fn reply(r: Out) -> String {
    match r {
        Ok(v) => v,
        Err(e) => {
            let mut out = String::from("!");
            out.push_str(&e);
            out
        }
    }
}

fn flag(b: bool) -> String {
    String::from(if b { "true" } else { "false" })
}

fn quoted(s: Option<&str>) -> String {
    s.map_or_else(|| String::from("null"), json::quote)
}

fn unit(r: Result<(), String>) -> Out {
    r.map(|()| String::from("null"))
}

/// Runs a step that needs no client (see [`Client::run`] for the convention).
pub fn run(op: u32, args: &str, bytes: Option<Vec<u8>>) -> String {
    let mut a = Args::parse(args);
    let b = bytes.as_deref().unwrap_or_default();
    reply(match op {
        1 => out(a.options(0, true).and_then(|o| settings_of(&o))),
        2 => callback_key(a.str(0)).map(|k| json::quote(&k)),
        3 => Ok(cleanup(a.str(0))),
        4 => Ok(json::quote(&txn_client(a.str(0), a.num(1)))),
        5 => Ok(quoted(logout_state(a.str(0)).as_deref())),
        6 => unit(jwks(b)),
        7 => unit(same_authentication(a.str(0), a.str(1))),
        8 => userinfo_response(a.num(0) as u16, a.owned(1), b, a.owned(2), a.str(3)),
        9 => unit(revocation_response(a.num(0) as u16, a.owned(1), b)),
        10 => pkce_pair(b),
        11 => out(a.options(0, true).and_then(|o| authorization_url_of(&o, b, a.num(1)))),
        12 => out(a.options(1, true).and_then(|o| check_key_of(a.str(0), &o, b))),
        13 => out(a.options(1, true).and_then(|o| check_claims_of(a.str(0), &o, bytes.as_deref(), a.num(2)))),
        _ => Err(error_json(&ErrorCode::InvalidConfig.into())),
    })
}

// ------------------------------------------------------------------------- configuration

/// Options of `AuthClient.create`, borrowed from the parsed options (owned strings are made
/// once, when the configuration is built: fewer drop paths, a size measure).
struct Settings<'a> {
    issuer: &'a str,
    client_id: &'a str,
    redirect_uri: &'a str,
    endpoints: [Option<&'a str>; 6],
    require_iss: Option<bool>,
    discovery: MetadataKind,
    algs: Option<Vec<Alg>>,
    trusted_audiences: Vec<&'a str>,
    clock_tolerance: u64,
    refresh_margin: u32,
    scope: String,
    timeout_ms: u32,
    policy: TokenResponsePolicy,
}

fn algs(names: Vec<&str>) -> Result<Vec<Alg>, Error> {
    if names.is_empty() {
        return Err(ErrorCode::InvalidConfig.into());
    }
    names.iter().map(|n| Alg::from_name(n).ok_or_else(|| Error::new(ErrorCode::InvalidConfig))).collect()
}

/// The endpoint options of `AuthClient.create`, in [`Settings::endpoints`] order.
const ENDPOINT_OPTIONS: [&str; 6] =
    ["authorizationEndpoint", "tokenEndpoint", "jwksUri", "userinfoEndpoint", "revocationEndpoint", "endSessionEndpoint"];

fn read_settings(o: &Options) -> Result<Settings<'_>, Error> {
    let mut endpoints = [None; 6];
    for (slot, key) in endpoints.iter_mut().zip(ENDPOINT_OPTIONS) {
        *slot = o.string(key)?;
    }
    let discovery = match o.string("discovery")? {
        None | Some("openid-configuration") => MetadataKind::OpenIdConfiguration,
        Some("oauth-authorization-server") => MetadataKind::OAuthAuthorizationServer,
        Some(_) => return Err(ErrorCode::InvalidConfig.into()),
    };
    Ok(Settings {
        issuer: o.required_string("issuer")?,
        client_id: o.required_string("clientId")?,
        redirect_uri: o.required_string("redirectUri")?,
        endpoints,
        require_iss: o.boolean("authorizationResponseIssParameterSupported")?,
        discovery,
        algs: o.string_list("idTokenSigningAlgValues")?.map(algs).transpose()?,
        trusted_audiences: o.string_list("trustedAudiences")?.unwrap_or_default(),
        clock_tolerance: u64::from(o.u32_in("clockToleranceSeconds", 0, 600)?.unwrap_or(30)),
        refresh_margin: o.u32_in("refreshMarginSeconds", 0, 3600)?.unwrap_or(60),
        timeout_ms: o.u32_in("timeoutMs", 1, 600_000)?.unwrap_or(30_000),
        policy: TokenResponsePolicy {
            allow_string_expires_in: o.boolean("allowStringExpiresIn")?.unwrap_or(false),
            allow_any_content_type: false,
        },
        scope: authorize::normalize_scope(o.string("scope")?.unwrap_or("openid"))?,
    })
}

/// Reads the options of `AuthClient.create`: `{discovery: url | null, timeoutMs, refreshMargin}`;
/// `discovery` is the metadata URL (OIDC Discovery §4, RFC 8414 §3) unless both endpoints are
/// given. Throws `invalid_config`, `insecure_endpoint`.
pub fn settings(options: &str) -> Out {
    out(Options::parse(options, true).and_then(|o| settings_of(&o)))
}

fn settings_of(o: &Options) -> Result<String, Error> {
    let st = read_settings(o)?;
    let url = if st.endpoints[0].is_some() && st.endpoints[1].is_some() {
        None
    } else {
        Some(discovery::metadata_url(st.issuer, st.discovery)?)
    };
    Ok(Writer::new()
        .opt("discovery", url.as_deref())
        .num("timeoutMs", f64::from(st.timeout_ms))
        .num("refreshMargin", f64::from(st.refresh_margin))
        .finish())
}

/// One client's validated configuration (RFC 6749 §2, §3; RFC 8414 §2): the protocol steps that
/// need it are its methods.
pub struct Client {
    config: ClientConfig,
    scope: String,
    policy: TokenResponsePolicy,
}

impl Client {
    /// Builds the client from the options and, with discovery, the metadata document (its
    /// `issuer` must equal the configured one exactly). Throws `invalid_config`,
    /// `insecure_endpoint`, `discovery_invalid`, `discovery_issuer_mismatch`, `metadata_missing`.
    pub fn new(options: &str, metadata: Option<Vec<u8>>) -> Result<Client, String> {
        Options::parse(options, true).and_then(|o| build(&o, metadata.as_deref())).map_err(|e| error_json(&e))
    }

    /// Runs protocol step `op` of this client with the JSON array `args` and optional `bytes`
    /// (numbered from 20, apart from the client-less steps of [`run`], so a mix-up is refused;
    /// driver.js names them): the result's JSON text, or `!` followed by the error's JSON. One
    /// entry point for every step (a size measure: each export carries its own argument and
    /// result conversions).
    pub fn run(&self, op: u32, args: &str, bytes: Option<Vec<u8>>) -> String {
        let mut a = Args::parse(args);
        let b = bytes.as_deref().unwrap_or_default();
        reply(match op {
            20 => Ok(self.info()),
            21 => out(a.options(0, false).and_then(|o| self.authorize_with(&o, a.flag(1), b, a.num(2)))),
            22 => Ok(flag(self.is_callback(a.str(0)))),
            23 => self.callback(a.str(0), a.owned(1), a.num(2)),
            24 => self.token_response(a.num(0) as u16, a.owned(1), b, a.owned(2), a.str(3), a.flag(4), a.num(5)),
            25 => self.key(a.str(0), bytes),
            26 => self.claims(a.str(0), a.owned(1), a.flag(2), a.num_opt(3), bytes.as_deref(), a.num(4)),
            27 => self.refresh_request(a.str(0)),
            28 => self.userinfo_request(a.str(0)),
            29 => self.revocation_request(a.str(0), a.flag(1)),
            30 => Ok(quoted(self.end_session_url(a.owned(0), a.owned(1), a.str(2)).as_deref())),
            _ => Err(error_json(&ErrorCode::InvalidConfig.into())),
        })
    }
}

/// The steps of a [`Client`] for Rust callers (tests); JavaScript reaches them through
/// [`Client::run`].
impl Client {
    /// `{issuer, clientId, jwksUri, userinfo, revocation}` for the driver (lock and channel
    /// names, storage filters, which endpoints exist).
    pub fn info(&self) -> String {
        let c = &self.config;
        Writer::new()
            .str("issuer", &c.issuer)
            .str("clientId", &c.client_id)
            .opt("jwksUri", c.jwks_uri.as_deref())
            .bool("userinfo", c.userinfo_endpoint.is_some())
            .bool("revocation", c.revocation_endpoint.is_some())
            .finish()
    }

    /// Starts an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1)
    /// from the login options (`scope`, `extraParams`): `{url, key, value}`, the transaction to
    /// store under `key`. `random`: [`authorize::RANDOM_BYTES`] bytes from `getRandomValues`.
    pub fn authorize(&self, options: &str, prompt_none: bool, random: &[u8], now: f64) -> Out {
        out(Options::parse(options, false).and_then(|o| self.authorize_with(&o, prompt_none, random, now)))
    }

    /// True when `url` is an authorization response for this client: at the redirect URI, with
    /// `state` and `code` or `error`.
    pub fn is_callback(&self, url: &str) -> bool {
        let Ok(response) = AuthorizationResponse::parse(url) else { return false };
        let Ok(redirect) = uri::split(&self.config.redirect_uri, ErrorCode::InvalidConfig) else { return false };
        let Ok(here) = uri::split(url, ErrorCode::CallbackMalformed) else { return false };
        response.looks_like_callback() && uri::base_for_comparison(&redirect) == uri::base_for_comparison(&here)
    }

    /// Validates the authorization response at `url` against the stored transaction `pending`
    /// (RFC 6749 §4.1.2; RFC 9207; OIDC Core §3.1.2.6) and builds the token request
    /// (§4.1.3): `{request, scope, nonce, maxAge, idToken}`. A silent (`prompt=none`) attempt
    /// answered with an interaction error throws `login_required`.
    pub fn callback(&self, url: &str, pending: Option<String>, now: f64) -> Out {
        out(self.accept(url, pending.as_deref(), now))
    }

    /// Judges the token endpoint's answer (RFC 6749 §5.1, §5.2; OIDC Core §3.1.3.3):
    /// `{accessToken, refreshToken, idToken, expiresAt (ms), scope}`. Errors carry the
    /// `WWW-Authenticate` challenge when there is one.
    #[allow(clippy::too_many_arguments)]
    pub fn token_response(
        &self,
        status: u16,
        content_type: Option<String>,
        body: &[u8],
        www_authenticate: Option<String>,
        scope: &str,
        expect_id_token: bool,
        received_at: f64,
    ) -> Out {
        let r = token::process_token_response(response(status, &content_type, body), scope, expect_id_token, received_at, self.policy)
            .map_err(|e| with_challenge(e, www_authenticate.as_deref()))
            .map(|t| {
                let mut w = Writer::new();
                w.str("accessToken", t.access_token.expose())
                    .opt("refreshToken", t.refresh_token.as_ref().map(RefreshToken::expose))
                    .opt("idToken", t.id_token.as_ref().map(|i| i.expose()));
                // Milliseconds, whole (JSON text carries whole numbers only; see json::Writer).
                match t.expires_at {
                    Some(at) => w.num("expiresAt", (at * 1000.0 + 0.5) as i64 as f64),
                    None => w.raw("expiresAt", "null"),
                };
                w.str("scope", &t.scope).finish()
            });
        out(r)
    }

    /// What WebCrypto needs to verify `id_token` (RFC 7515 §5.2) with the key the JWK Set
    /// `jwks` designates (algorithm allow-list of this client): `{importAlg, verifyAlg, jwk, hash,
    /// signature, data}` (RFC 7518 §3; RFC 8037).
    /// Without `jwks`, only parses the token (`null`): a malformed token or a refused algorithm
    /// is reported before any key is fetched.
    pub fn key(&self, id_token: &str, jwks: Option<Vec<u8>>) -> Out {
        match jwks {
            Some(j) => out(verification_input(id_token, &self.config.id_token_algs, &j)),
            None => out(jws::parse_compact(id_token, &self.config.id_token_algs).map(|_| String::from("null"))),
        }
    }

    /// The claim checks of an ID token whose signature the driver verified with WebCrypto
    /// (OIDC Core §3.1.3.7; §12.2 with `nonce_optional` for refreshed tokens): the claims JSON.
    /// `access_token_hash`: the access token hashed with the function the verification input
    /// names (`hash`), by WebCrypto.
    pub fn claims(&self, id_token: &str, nonce: Option<String>, nonce_optional: bool, max_age: Option<f64>, access_token_hash: Option<&[u8]>, now: f64) -> Out {
        let c = &self.config;
        let expect = id_token::Expectations {
            issuer: &c.issuer,
            client_id: &c.client_id,
            trusted_audiences: &c.trusted_audiences,
            nonce: nonce.as_deref(),
            nonce_optional,
            max_age: max_age.map(secs),
            access_token_hash,
            now: secs(now),
            clock_tolerance: c.clock_tolerance,
            max_iat_age: DEFAULT_MAX_IAT_AGE,
        };
        out(claims_after_verification(id_token, &c.id_token_algs, &expect))
    }

    /// The refresh request (RFC 6749 §6).
    pub fn refresh_request(&self, refresh_token: &str) -> Out {
        out(refresh::refresh_request(&self.config, &RefreshToken::new(refresh_token.into())).map(|r| request_json(&r)))
    }

    /// The UserInfo request (OIDC Core §5.3.1; token in the `Authorization` header).
    pub fn userinfo_request(&self, access_token: &str) -> Out {
        out(self
            .config
            .userinfo_endpoint
            .as_deref()
            .ok_or_else(|| Error::new(ErrorCode::MetadataMissing))
            .and_then(|e| userinfo::userinfo_request(e, &AccessToken::new(access_token.into())))
            .map(|r| request_json(&r)))
    }

    /// A revocation request (RFC 7009 §2.1) for a refresh or an access token.
    pub fn revocation_request(&self, token: &str, refresh_token: bool) -> Out {
        let hint = if refresh_token { TokenTypeHint::RefreshToken } else { TokenTypeHint::AccessToken };
        out(logout::revocation_request(&self.config, token, hint).map(|r| request_json(&r)))
    }

    /// The RP-initiated logout URL (OIDC RP-Initiated Logout 1.0 §2), when the provider has an
    /// `end_session_endpoint`.
    pub fn end_session_url(&self, id_token_hint: Option<String>, post_logout_redirect_uri: Option<String>, state: &str) -> Option<String> {
        logout::end_session_url(&self.config, id_token_hint.as_deref(), post_logout_redirect_uri.as_deref(), state)
    }
}

fn build(o: &Options, metadata: Option<&[u8]>) -> Result<Client, Error> {
    let st = read_settings(o)?;
    let m = match metadata {
        Some(body) => discovery::parse_metadata(body, st.issuer)?,
        None => Default::default(),
    };
    // An explicit option wins over the metadata; every endpoint is checked (https or loopback).
    let [a, t, j, u, r, e] = st.endpoints;
    let pick = |explicit: Option<&str>, discovered: Option<String>| -> Result<Option<String>, Error> {
        match explicit.map(String::from).or(discovered) {
            Some(url) => {
                uri::check_endpoint(&url)?;
                Ok(Some(url))
            }
            None => Ok(None),
        }
    };
    let jwks_uri = pick(j, m.jwks_uri)?;
    let userinfo_endpoint = pick(u, m.userinfo_endpoint)?;
    let revocation_endpoint = pick(r, m.revocation_endpoint)?;
    let end_session_endpoint = pick(e, m.end_session_endpoint)?;
    let missing = || Error::new(ErrorCode::MetadataMissing);
    let authorization_endpoint = a.map(String::from).or(m.authorization_endpoint).ok_or_else(missing)?;
    let token_endpoint = t.map(String::from).or(m.token_endpoint).ok_or_else(missing)?;
    let mut config = ClientConfig::new(
        st.issuer.into(),
        st.client_id.into(),
        st.redirect_uri.into(),
        authorization_endpoint,
        token_endpoint,
        // Explicit endpoints without metadata: strict by default (RFC 9207 iss required).
        st.require_iss.unwrap_or(if m.issuer.is_empty() { true } else { m.iss_parameter_supported }),
    )?;
    config.jwks_uri = jwks_uri;
    config.userinfo_endpoint = userinfo_endpoint;
    config.revocation_endpoint = revocation_endpoint;
    config.end_session_endpoint = end_session_endpoint;
    // OIDC Core §3.1.3.7 step 7: RS256, or what the client registered (idTokenSigningAlgValues).
    // What the provider merely supports is not accepted by default (catalogue IT-05).
    config.id_token_algs = st.algs.unwrap_or_else(|| vec![Alg::RS256]);
    config.trusted_audiences = st.trusted_audiences.into_iter().map(String::from).collect();
    config.clock_tolerance = st.clock_tolerance;
    Ok(Client { config, scope: st.scope, policy: st.policy })
}

fn login_request(default_scope: &str, o: &Options) -> Result<AuthorizationRequest, Error> {
    let scope = o.string("scope")?.unwrap_or(default_scope).into();
    Ok(AuthorizationRequest { scope, extra: o.params("extraParams")? })
}

impl Client {
    fn authorize_with(&self, o: &Options, prompt_none: bool, random: &[u8], now: f64) -> Result<String, Error> {
        let mut request = login_request(&self.scope, o)?;
        if prompt_none {
            request.extra.push(("prompt".into(), "none".into()));
        }
        let (url, pending) = authorize::authorization_request(&self.config, &request, random, secs(now))?;
        let mut key = String::from(TXN_PREFIX);
        key.push_str(pending.state.expose());
        Ok(Writer::new().str("url", &url).str("key", &key).str("value", &pending.to_storage_string()).finish())
    }

    fn accept(&self, url: &str, pending: Option<&str>, now: f64) -> Result<String, Error> {
        let response = AuthorizationResponse::parse(url)?;
        // A malformed stored record reads as absent (state_mismatch below).
        let pending = pending.and_then(|p| PendingAuthorization::from_storage_string(p).ok());
        let silent = pending.as_ref().is_some_and(|p| p.prompt_none);
        let code = response.validate(&self.config, pending.as_ref(), secs(now)).map_err(|e| {
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
        let mut w = Writer::new();
        w.raw("request", &request_json(&request)).str("scope", &pending.scope).opt("nonce", pending.nonce.as_ref().map(|n| n.expose()));
        match pending.max_age {
            Some(m) => w.num("maxAge", m as f64),
            None => w.raw("maxAge", "null"),
        };
        Ok(w.bool("idToken", token::expects_id_token(&pending.scope)).finish())
    }
}

// ------------------------------------------------------------------------- transactions

/// Prefix of the sessionStorage keys of login transactions (`spa-oauth:txn:<state>`).
pub const TXN_PREFIX: &str = "spa-oauth:txn:";

/// The sessionStorage key of the transaction the authorization response at `url` names by its
/// `state`. Throws `callback_malformed`, `state_missing`.
pub fn callback_key(url: &str) -> Out {
    let r = AuthorizationResponse::parse(url).and_then(|r| {
        let mut key = String::from(TXN_PREFIX);
        key.push_str(r.state()?);
        Ok(key)
    });
    r.map_err(|e| error_json(&e))
}

/// What to remove from the address bar after a callback at `url` (BBA "Historic Note",
/// catalogue BR-01): `{names, hash}` (the fragment too when it carries tokens).
pub fn cleanup(url: &str) -> String {
    let hash = AuthorizationResponse::parse(url).is_ok_and(|r| r.fragment_has_tokens());
    Writer::new().raw("names", &json::string_array(CALLBACK_PARAMETERS.iter().copied())).bool("hash", hash).finish()
}

/// The `client_id` of a stored transaction that is readable and unexpired, else `""` (to sweep).
pub fn txn_client(stored: &str, now: f64) -> String {
    match PendingAuthorization::from_storage_string(stored) {
        Ok(p) if !p.is_expired(secs(now)) => p.client_id,
        _ => String::new(),
    }
}

/// The `state` of a post-logout redirect at `url` (OIDC RP-Initiated Logout 1.0 §3), if any.
pub fn logout_state(url: &str) -> Option<String> {
    let parts = uri::split(url, ErrorCode::CallbackMalformed).ok()?;
    let pairs = crate::core::form::parse_pairs(parts.query.unwrap_or("")).ok()?;
    pairs.into_iter().find(|(n, _)| n == "state").map(|(_, v)| v)
}

// ------------------------------------------------------------------------- ID tokens

/// Checks a JWK Set document (RFC 7517 §5) before the driver caches it. Throws `jwks_invalid`.
pub fn jwks(body: &[u8]) -> Result<(), String> {
    done(jwk::parse_jwks(body).map(drop))
}

fn hash_name(bits: u16) -> &'static str {
    match bits {
        256 => "SHA-256",
        384 => "SHA-384",
        _ => "SHA-512",
    }
}

/// Parses the compact JWS `token` with the algorithm allow-list, selects its key from the JWK Set
/// `jwks` and describes the WebCrypto verification (RFC 7518 §3; RFC 8037):
/// `{importAlg, verifyAlg, jwk, signature (base64url), data (signing input)}`.
fn verification_input(token: &str, accepted: &[Alg], jwks: &[u8]) -> Result<String, Error> {
    let parsed = jws::parse_compact(token, accepted)?;
    let keys = jwk::parse_jwks(jwks)?;
    let key = jwk::select_key(&keys, &parsed)?;
    if !key.fits(parsed.alg) {
        return Err(ErrorCode::SignatureInvalid.into());
    }
    let mut jwk = Writer::new();
    match &key.key {
        PublicKey::Rsa { n, e } => jwk.str("kty", "RSA").str("n", n).str("e", e),
        PublicKey::Ec { crv, x, y } => jwk.str("kty", "EC").str("crv", crv).str("x", x).str("y", y),
        PublicKey::Ed25519 { x } => jwk.str("kty", "OKP").str("crv", "Ed25519").str("x", x),
    };
    let bits = parsed.alg.hash_bits();
    let hash = hash_name(bits);
    let (mut import, mut verify) = (Writer::new(), Writer::new());
    match parsed.alg.family() {
        AlgFamily::RsaPkcs1 => {
            import.str("name", "RSASSA-PKCS1-v1_5").str("hash", hash);
            verify.str("name", "RSASSA-PKCS1-v1_5");
        }
        AlgFamily::RsaPss => {
            import.str("name", "RSA-PSS").str("hash", hash);
            // RFC 7518 §3.5: salt length equals the hash output length.
            verify.str("name", "RSA-PSS").num("saltLength", f64::from(bits / 8));
        }
        AlgFamily::Ecdsa(curve) => {
            import.str("name", "ECDSA").str("namedCurve", curve);
            verify.str("name", "ECDSA").str("hash", hash);
        }
        AlgFamily::Ed25519 => {
            import.str("name", "Ed25519");
            verify.str("name", "Ed25519");
        }
    };
    Ok(Writer::new()
        .raw("importAlg", &import.finish())
        .raw("verifyAlg", &verify.finish())
        .raw("jwk", &jwk.finish())
        // The hash function of the alg, for the access token's hash (`at_hash`).
        .str("hash", hash)
        .str("signature", &pkce::base64url(&parsed.signature))
        .str("data", core::str::from_utf8(&parsed.signing_input).unwrap_or_default())
        .finish())
}

/// The claim checks (OIDC Core §3.1.3.7) of a token whose signature `crypto.subtle.verify`
/// accepted. The one place that vouches for a signature: the driver calls it only after the
/// verification of [`verification_input`] returned true (`driver.js`, `verifyIdToken`).
fn claims_after_verification(token: &str, accepted: &[Alg], expect: &id_token::Expectations<'_>) -> Result<String, Error> {
    jws::parse_compact(token, accepted)
        .map(VerifiedJws::after_signature_check)
        .and_then(|v| id_token::validate(&v, expect))
        .map(|c| c.json)
}

/// A refreshed ID token must name the same authentication (OIDC Core §12.2): throws
/// `id_token_changed` otherwise. Both arguments are claims JSON returned by `claims`.
pub fn same_authentication(previous: &str, refreshed: &str) -> Result<(), String> {
    let read = |j: &str| json::parse(j.as_bytes()).map_err(|_| Error::new(ErrorCode::IdTokenChanged));
    done(read(previous).and_then(|p| refresh::check_same_authentication(&p, &read(refreshed)?)))
}

// ------------------------------------------------------------------------- UserInfo, revocation

/// Judges a UserInfo response (OIDC Core §5.3.2, §5.3.4): the claims JSON; `sub` must be
/// `expected_sub`.
pub fn userinfo_response(status: u16, content_type: Option<String>, body: &[u8], www_authenticate: Option<String>, expected_sub: &str) -> Out {
    userinfo::process_userinfo_response(response(status, &content_type, body), expected_sub)
        .map_err(|e| error_json(&with_challenge(e, www_authenticate.as_deref())))
}

/// Judges a revocation response (RFC 7009 §2.2). Throws `revocation_failed`.
pub fn revocation_response(status: u16, content_type: Option<String>, body: &[u8]) -> Result<(), String> {
    done(logout::process_revocation_response(response(status, &content_type, body)))
}

// ------------------------------------------------------------------------- low level

/// A PKCE pair (RFC 7636 §4.1, §4.2) from 32 random bytes: `{codeVerifier, codeChallenge,
/// codeChallengeMethod}`.
pub fn pkce_pair(random: &[u8]) -> Out {
    out(pkce::pkce_pair(random).map(|p| {
        Writer::new()
            .str("codeVerifier", p.verifier.expose())
            .str("codeChallenge", &p.challenge)
            .str("codeChallengeMethod", pkce::CODE_CHALLENGE_METHOD)
            .finish()
    }))
}

/// An authorization URL without a stored transaction (`buildAuthorizationUrl`):
/// `{url, state, nonce, codeVerifier}`.
pub fn authorization_url(options: &str, random: &[u8], now: f64) -> Out {
    out(Options::parse(options, true).and_then(|o| authorization_url_of(&o, random, now)))
}

fn authorization_url_of(o: &Options, random: &[u8], now: f64) -> Result<String, Error> {
    let endpoint = o.required_string("authorizationEndpoint")?;
    // The token endpoint is not used here; the authorization endpoint stands in for the check.
    let (issuer, client_id, redirect_uri) = (o.required_string("issuer")?, o.required_string("clientId")?, o.required_string("redirectUri")?);
    let config = ClientConfig::new(issuer.into(), client_id.into(), redirect_uri.into(), endpoint.into(), endpoint.into(), false)?;
    let request = login_request("openid", o)?;
    let (url, p) = authorize::authorization_request(&config, &request, random, secs(now))?;
    Ok(Writer::new()
        .str("url", &url)
        .str("state", p.state.expose())
        .opt("nonce", p.nonce.as_ref().map(|n| n.expose()))
        .str("codeVerifier", p.code_verifier.expose())
        .finish())
}

/// Options of `validateIdToken` (borrowed from the parsed options).
struct IdTokenCheck<'a> {
    issuer: &'a str,
    client_id: &'a str,
    jwks: Option<&'a str>,
    nonce: Option<&'a str>,
    max_age: Option<u64>,
    access_token: Option<&'a str>,
    algs: Vec<Alg>,
    trusted: Vec<String>,
    tolerance: u64,
}

fn read_check(o: &Options) -> Result<IdTokenCheck<'_>, Error> {
    Ok(IdTokenCheck {
        issuer: o.required_string("issuer")?,
        client_id: o.required_string("clientId")?,
        jwks: o.string("jwks")?,
        nonce: o.string("nonce")?,
        max_age: o.u32_in("maxAge", 0, u32::MAX)?.map(u64::from),
        access_token: o.string("accessToken")?,
        algs: o.string_list("idTokenSigningAlgValues")?.map_or_else(|| Ok(Alg::ALL.to_vec()), algs)?,
        trusted: o.string_list("trustedAudiences")?.unwrap_or_default().into_iter().map(String::from).collect(),
        tolerance: u64::from(o.u32_in("clockToleranceSeconds", 0, 600)?.unwrap_or(30)),
    })
}

/// `validateIdToken`, first step: the verification input (as [`Client::key`] describes it).
pub fn check_key(id_token: &str, options: &str) -> Out {
    out(Options::parse(options, true).and_then(|o| check_key_of(id_token, &o, &[])))
}

/// `jwks`: the JWK Set's JSON text when the driver passes it as bytes (faster than a string
/// member); empty: the `jwks` option.
fn check_key_of(id_token: &str, o: &Options, jwks: &[u8]) -> Result<String, Error> {
    let c = read_check(o)?;
    let jwks = match (jwks, c.jwks) {
        ([], Some(text)) => text.as_bytes(),
        ([], None) => return Err(ErrorCode::InvalidConfig.into()),
        (bytes, _) => bytes,
    };
    verification_input(id_token, &c.algs, jwks)
}

/// `validateIdToken`, after a successful WebCrypto verification: the claim checks.
/// `access_token_hash`: `options.accessToken` hashed as for [`Client::claims`].
pub fn check_claims(id_token: &str, options: &str, access_token_hash: Option<&[u8]>, now: f64) -> Out {
    out(Options::parse(options, true).and_then(|o| check_claims_of(id_token, &o, access_token_hash, now)))
}

fn check_claims_of(id_token: &str, o: &Options, access_token_hash: Option<&[u8]>, now: f64) -> Result<String, Error> {
    let c = read_check(o)?;
    let expect = id_token::Expectations {
        issuer: c.issuer,
        client_id: c.client_id,
        trusted_audiences: &c.trusted,
        nonce: c.nonce,
        nonce_optional: false,
        max_age: c.max_age,
        // The option is type-checked by read_check; its hash comes from the driver.
        access_token_hash: c.access_token.and(access_token_hash),
        now: secs(now),
        clock_tolerance: c.tolerance,
        max_iat_age: DEFAULT_MAX_IAT_AGE,
    };
    claims_after_verification(id_token, &c.algs, &expect)
}
