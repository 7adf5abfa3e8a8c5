//! The `/rust/` page of the spa-oauth demo: the crate's Rust API ([`spa_oauth::AuthClient`])
//! driven by plain `web-sys` DOM code, no framework. It logs in against the local provider
//! (`www/provider.js`) exactly like the JavaScript demo (`www/app/`) does through the npm
//! package.
//!
//! What the page does, in order ([`start`]):
//!  1. reads its configuration (issuer, client id, redirect URI, scope) from `/rust/config.json`,
//!     which the demo server (`www/serve.js`) writes from the provider's discovery document;
//!  2. creates the client ([`AuthClient::create`]: discovery, issuer check);
//!  3. completes a login callback ([`AuthClient::handle_redirect_callback`]), or checks the
//!     provider's return from a logout ([`AuthClient::handle_logout_callback`]), or restores the
//!     session ([`AuthClient::restore_session`]: another tab, else one `prompt=none` redirect);
//!  4. shows the validated ID-token claims, the session events and the buttons "Log in",
//!     "Get token", "UserInfo" and "Log out".
//!
//! Rules it follows (and `tests/e2e/rust-example.test.js` checks):
//!  - everything is written with `textContent`, never `innerHTML`;
//!  - no token is displayed, logged or stored: "Get token" shows the token's length and expiry;
//!  - every failure is shown with its stable code ([`spa_oauth::ErrorCode::as_str`]; the page's
//!    own failures have `example_*` codes);
//!  - `<body data-state>` is `loading` until start-up is done (and while the page leaves for the
//!    provider), then `ready` (logged out), `authenticated` or `error`.

#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};

use js_sys::Reflect;
use spa_oauth::{
    AuthClient, ClientOptions, ErrorCode, Event, LoggedOut, LoginOptions, LogoutOptions, RefreshSource, Restored, Value,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    Document, EventTarget, HtmlElement, RequestCache, RequestCredentials, RequestInit, Response,
};

/// Where the demo server serves this page's configuration.
const CONFIG_URL: &str = "/rust/config.json";

/// Errors a silent (`prompt=none`) restore brings back when the provider has no session for
/// us (OIDC Core §3.1.2.6): the user is simply not logged in.
const SILENT_RESTORE_ERRORS: [&str; 4] = [
    "login_required",
    "interaction_required",
    "consent_required",
    "account_selection_required",
];

/// ID-token claims the page does not show: the login's one-time `nonce`.
const HIDDEN_CLAIMS: [&str; 1] = ["nonce"];

/// Claims that are NumericDates (RFC 7519 §2): shown with their ISO time too.
const DATE_CLAIMS: [&str; 5] = ["exp", "iat", "nbf", "auth_time", "updated_at"];

/// How many session events the page lists.
const MAX_EVENTS: u32 = 8;

// ------------------------------------------------------------------------------------ state

/// The page's client and the post-logout redirect URI (its own URL, registered at the provider).
#[derive(Clone)]
struct App {
    auth: AuthClient,
    post_logout_redirect_uri: String,
}

thread_local! {
    /// Set once the client exists. Event handlers look it up here instead of capturing a clone
    /// (the client keeps its handlers: a captured clone would be a reference cycle).
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
    /// Start-up finished: events may re-render the page.
    static STARTED: Cell<bool> = const { Cell::new(false) };
    /// A cross-document navigation started (login, silent restore or logout redirect).
    static LEAVING: Cell<bool> = const { Cell::new(false) };
    /// This tab's logout is running.
    static LOGGING_OUT: Cell<bool> = const { Cell::new(false) };
}

fn app() -> Option<App> {
    APP.with(|a| a.borrow().clone())
}

fn started() -> bool {
    STARTED.with(Cell::get)
}

fn leaving() -> bool {
    LEAVING.with(Cell::get)
}

// ------------------------------------------------------------------------------------ failures

/// A failure the page shows: the client's error (its stable code, and what the server said),
/// or one of the page's own.
enum Failure {
    Client(spa_oauth::Error),
    Page {
        code: &'static str,
        message: &'static str,
    },
}

impl From<spa_oauth::Error> for Failure {
    fn from(e: spa_oauth::Error) -> Self {
        Failure::Client(e)
    }
}

const CONFIG_UNAVAILABLE: Failure = Failure::Page {
    code: "example_config_unavailable",
    message: "cannot load /rust/config.json",
};
const CONFIG_INVALID: Failure = Failure::Page {
    code: "example_config_invalid",
    message: "/rust/config.json lacks issuer, clientId or redirectUri",
};

impl Failure {
    fn code(&self) -> &'static str {
        match self {
            Failure::Client(e) => e.code.as_str(),
            Failure::Page { code, .. } => code,
        }
    }

    fn message(&self) -> &'static str {
        match self {
            Failure::Client(e) => e.message(),
            Failure::Page { message, .. } => message,
        }
    }
}

// ------------------------------------------------------------------------------------ DOM

fn document() -> Option<Document> {
    web_sys::window()?.document()
}

fn element(id: &str) -> Option<HtmlElement> {
    document()?.get_element_by_id(id)?.dyn_into().ok()
}

/// Text only: `textContent`, never HTML.
fn set_text(id: &str, text: &str) {
    if let Some(e) = element(id) {
        e.set_text_content(Some(text));
    }
}

fn set_hidden(id: &str, hidden: bool) {
    if let Some(e) = element(id) {
        e.set_hidden(hidden);
    }
}

/// Sets (`Some`) or removes (`None`) the attribute `data-<name>` of element `id`.
fn set_data(id: &str, name: &str, value: Option<&str>) {
    if let Some(e) = element(id) {
        let attribute = ["data-", name].concat();
        let _ = match value {
            Some(v) => e.set_attribute(&attribute, v),
            None => e.remove_attribute(&attribute),
        };
    }
}

fn set_state(state: &str, status: &str) {
    if let Some(body) = document().and_then(|d| d.body()) {
        let _ = body.set_attribute("data-state", state);
    }
    set_text("status", status);
}

fn state() -> Option<String> {
    document()?.body()?.get_attribute("data-state")
}

fn show_buttons(authenticated: bool) {
    set_hidden("login", authenticated);
    for id in ["get-token", "userinfo", "logout"] {
        set_hidden(id, !authenticated);
    }
}

fn authenticated() -> bool {
    app().is_some_and(|a| a.auth.is_authenticated())
}

/// Milliseconds since the epoch as an ISO 8601 time.
fn iso_time(ms: f64) -> String {
    js_sys::Date::new(&JsValue::from_f64(ms))
        .to_iso_string()
        .as_string()
        .unwrap_or_default()
}

/// "2026-11-20T10:00:00.000Z (599 s left)", or "unknown (no expires_in)".
fn describe_expiry(expires_at: Option<f64>) -> String {
    match expires_at {
        Some(ms) => {
            let left = ((ms - js_sys::Date::now()) / 1000.0).round().max(0.0);
            format!("{} ({left} s left)", iso_time(ms))
        }
        None => String::from("unknown (no expires_in)"),
    }
}

/// A claim value as text (strings as they are, arrays joined, objects as JSON).
fn claim_text(name: &str, value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) if DATE_CLAIMS.contains(&name) => {
            format!("{n} ({})", iso_time(n * 1000.0))
        }
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|v| claim_text("", v))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_json(),
    }
}

fn error_clear() {
    set_hidden("error", true);
    for id in [
        "error-code",
        "error-error",
        "error-sep",
        "error-description",
        "error-message",
    ] {
        set_text(id, "");
    }
}

/// Shows a failure: its stable code, the server's `error` / `error_description` (untrusted
/// text, as text) and the static message. Only the code and the message reach the console.
fn show_failure(failure: &Failure) {
    let code = failure.code();
    let (error, description) = match failure {
        Failure::Client(e) => (e.error().unwrap_or(""), e.error_description().unwrap_or("")),
        Failure::Page { .. } => ("", ""),
    };
    set_text("error-code", code);
    set_text("error-error", error);
    set_text(
        "error-sep",
        if !error.is_empty() && !description.is_empty() {
            ": "
        } else {
            ""
        },
    );
    set_text("error-description", description);
    set_text("error-message", failure.message());
    set_hidden("error", false);
    web_sys::console::error_1(&JsValue::from_str(
        &["[rust example] ", code, ": ", failure.message()].concat(),
    ));
    show_buttons(authenticated());
    set_state("error", &["error (", code, ")"].concat());
}

/// Appends one line to the event list (the last [`MAX_EVENTS`]) and counts it in
/// `data-<name>` of `#events` (for the tests).
fn note_event(name: &str, detail: Option<&str>) {
    let (Some(doc), Some(list)) = (document(), element("events")) else {
        return;
    };
    let count = list
        .get_attribute(&["data-", name].concat())
        .and_then(|c| c.parse::<u32>().ok())
        .unwrap_or(0)
        + 1;
    set_data("events", name, Some(&count.to_string()));
    set_data("events", "last", Some(name));
    if let Ok(item) = doc.create_element("li") {
        let text = match detail {
            Some(d) => [name, " (", d, ")"].concat(),
            None => name.to_owned(),
        };
        item.set_text_content(Some(&text));
        let _ = list.append_child(&item);
    }
    while list.child_element_count() > MAX_EVENTS {
        match list.first_element_child() {
            Some(first) => first.remove(),
            None => break,
        }
    }
}

// ------------------------------------------------------------------------------------ rendering

/// The authenticated view: subject, scope, expiry and the validated ID-token claims.
fn render_session(auth: &AuthClient) {
    let claims = auth.id_token_claims();
    let sub = claims
        .as_ref()
        .and_then(|c| c.get("sub"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    set_text("sub", &sub);
    set_text("scope", &auth.granted_scope().unwrap_or_default());
    render_expiry(auth.token_expiry());
    render_claims(claims.as_ref());
    set_hidden("session", false);
    show_buttons(true);
    set_state("authenticated", &["logged in as ", sub.as_str()].concat());
}

fn render_expiry(expires_at: Option<f64>) {
    set_text("expiry", &describe_expiry(expires_at));
    set_data(
        "expiry",
        "expires-at",
        expires_at.map(|ms| ms.to_string()).as_deref(),
    );
}

/// One `<dt>`/`<dd>` pair per claim; each `<dd>` carries `data-claim="<name>"`.
fn render_claims(claims: Option<&Value>) {
    let (Some(doc), Some(list)) = (document(), element("claims")) else {
        return;
    };
    list.set_text_content(None);
    let Some(Value::Object(members)) = claims else {
        return;
    };
    for (name, value) in members {
        if HIDDEN_CLAIMS.contains(&name.as_str()) {
            continue;
        }
        let (Ok(dt), Ok(dd)) = (doc.create_element("dt"), doc.create_element("dd")) else {
            return;
        };
        dt.set_text_content(Some(name));
        dd.set_text_content(Some(&claim_text(name, value)));
        let _ = dd.set_attribute("data-claim", name);
        let _ = list.append_child(&dt);
        let _ = list.append_child(&dd);
    }
}

fn render_logged_out(status: &str, state: &str) {
    set_hidden("session", true);
    for id in ["sub", "scope", "expiry", "claims"] {
        set_text(id, "");
    }
    set_data("expiry", "expires-at", None);
    show_buttons(false);
    set_state(state, status);
}

// ------------------------------------------------------------------------------------ events

/// Shows the client's session events; re-renders when another tab logged in or out.
fn on_event(event: &Event) {
    match event {
        Event::TokenRefreshed { expires_at, source } => {
            let from = match source {
                RefreshSource::Refresh => "refresh",
                RefreshSource::Tab => "another tab",
            };
            note_event("token-refreshed", Some(from));
            if !started() || leaving() {
                return;
            }
            if state().as_deref() == Some("authenticated") {
                render_expiry(*expires_at);
            } else if let Some(app) = app().filter(|a| a.auth.is_authenticated()) {
                // Another tab logged in (or refreshed) and shared its session with this one.
                error_clear();
                render_session(&app.auth);
            }
        }
        Event::SessionExpired => {
            note_event("session-expired", None);
            if started() && !leaving() {
                render_logged_out("session expired: log in again", "ready");
            }
        }
        Event::LoggedOut => {
            note_event("logged-out", None);
            if !started() || leaving() {
                return;
            }
            if LOGGING_OUT.with(Cell::get) {
                render_logged_out("logging out…", "loading");
            } else {
                render_logged_out("logged out (in another tab)", "ready");
            }
        }
        Event::Error(e) => {
            // A background failure (a refresh that will be retried, a failed revocation).
            note_event("error", Some(e.code.as_str()));
            web_sys::console::warn_1(&JsValue::from_str(
                &["[rust example] background: ", e.code.as_str()].concat(),
            ));
        }
        _ => note_event("other", None),
    }
}

/// The client navigates with `location.assign()`; the Navigation API reports that synchronously,
/// so the page knows when `restore_session` or `logout` is leaving for the provider.
fn watch_navigation() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(navigation) = Reflect::get(&window, &JsValue::from_str("navigation")) else {
        return;
    };
    let Ok(target) = navigation.dyn_into::<EventTarget>() else {
        return;
    };
    let listener = Closure::<dyn FnMut(web_sys::Event)>::new(|event: web_sys::Event| {
        let same_document = Reflect::get(&event, &JsValue::from_str("destination"))
            .and_then(|d| Reflect::get(&d, &JsValue::from_str("sameDocument")))
            .ok()
            .and_then(|v| v.as_bool());
        if same_document != Some(true) {
            LEAVING.with(|l| l.set(true));
        }
    });
    let _ = target.add_event_listener_with_callback("navigate", listener.as_ref().unchecked_ref());
    listener.forget(); // lives as long as the page
}

// ------------------------------------------------------------------------------------ buttons

fn on_click(id: &str, handler: fn()) {
    let Some(button) = element(id) else { return };
    let closure = Closure::<dyn FnMut()>::new(handler);
    button.set_onclick(Some(closure.as_ref().unchecked_ref()));
    closure.forget(); // lives as long as the page
}

fn on_login() {
    let Some(app) = app() else { return };
    error_clear();
    if let Err(e) = app.auth.login_with_redirect(&LoginOptions::default()) {
        show_failure(&e.into());
    }
}

/// "Get token": [`AuthClient::access_token`] (refreshing when due). The token is dropped at
/// once: only its length and the expiry are shown.
fn on_get_token() {
    let Some(app) = app() else { return };
    spawn_local(async move {
        match app.auth.access_token().await {
            Ok(token) => {
                let length = token.expose().len();
                drop(token);
                let expiry = app.auth.token_expiry();
                set_data("token-result", "result", Some("ok"));
                set_data("token-result", "length", Some(&length.to_string()));
                set_text(
                    "token-result",
                    &format!(
                        "ok: an access token of {length} characters, expires {}",
                        describe_expiry(expiry)
                    ),
                );
                if state().as_deref() == Some("authenticated") {
                    render_expiry(expiry);
                }
            }
            Err(e) => {
                let code = e.code.as_str();
                set_data("token-result", "result", Some(code));
                set_data("token-result", "length", None);
                set_text("token-result", &["error (", code, ")"].concat());
                if e.code == ErrorCode::LoginRequired {
                    render_logged_out("not logged in", "ready");
                }
            }
        }
    });
}

/// "UserInfo": [`AuthClient::user_info`] (the client checks that its `sub` is the ID token's).
fn on_userinfo() {
    let Some(app) = app() else { return };
    spawn_local(async move {
        match app.auth.user_info().await {
            Ok(info) => {
                let field = |name: &str| {
                    info.get(name)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                };
                let sub = field("sub");
                set_data("userinfo-result", "result", Some("ok"));
                set_data("userinfo-result", "sub", Some(&sub));
                set_text(
                    "userinfo-result",
                    &format!(
                        "ok: sub {sub}, name {}, email {}",
                        field("name"),
                        field("email")
                    ),
                );
            }
            Err(e) => {
                let code = e.code.as_str();
                set_data("userinfo-result", "result", Some(code));
                set_data("userinfo-result", "sub", None);
                set_text("userinfo-result", &["error (", code, ")"].concat());
                if e.code == ErrorCode::LoginRequired {
                    render_logged_out("not logged in", "ready");
                }
            }
        }
    });
}

/// "Log out": memory (every tab), revocation (RFC 7009), then the provider's
/// end_session_endpoint, which sends the browser back here with a `state` (see [`run`]).
fn on_logout() {
    let Some(app) = app() else { return };
    error_clear();
    LOGGING_OUT.with(|l| l.set(true));
    set_state("loading", "logging out…");
    spawn_local(async move {
        let options = LogoutOptions::default()
            .post_logout_redirect_uri(app.post_logout_redirect_uri.as_str());
        let result = app.auth.logout(&options).await;
        LOGGING_OUT.with(|l| l.set(false));
        if matches!(result, Ok(LoggedOut { redirecting: true, .. })) || leaving() {
            return; // on the way to the provider
        }
        render_logged_out("logged out", "ready");
        if let Err(e) = result {
            show_failure(&e.into());
        }
    });
}

// ------------------------------------------------------------------------------------ start-up

struct Config {
    issuer: String,
    client_id: String,
    redirect_uri: String,
    scope: Option<String>,
}

async fn load_config() -> Result<Config, Failure> {
    let window = web_sys::window().ok_or(CONFIG_UNAVAILABLE)?;
    let init = RequestInit::new();
    init.set_cache(RequestCache::NoStore);
    init.set_credentials(RequestCredentials::SameOrigin);
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(CONFIG_URL, &init))
        .await
        .ok()
        .and_then(|r| r.dyn_into().ok())
        .ok_or(CONFIG_UNAVAILABLE)?;
    if !response.ok() {
        return Err(CONFIG_UNAVAILABLE);
    }
    let json = JsFuture::from(response.json().map_err(|_| CONFIG_INVALID)?)
        .await
        .map_err(|_| CONFIG_INVALID)?;
    let field = |name: &str| {
        Reflect::get(&json, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
            .filter(|s| !s.is_empty())
    };
    Ok(Config {
        issuer: field("issuer").ok_or(CONFIG_INVALID)?,
        client_id: field("clientId").ok_or(CONFIG_INVALID)?,
        redirect_uri: field("redirectUri").ok_or(CONFIG_INVALID)?,
        scope: field("scope"),
    })
}

/// The provider's return from an RP-initiated logout: `?state=` without `code` or `error`.
fn is_logout_return() -> bool {
    let Some(href) = web_sys::window().and_then(|w| w.location().href().ok()) else {
        return false;
    };
    let Ok(url) = web_sys::Url::new(&href) else {
        return false;
    };
    let params = url.search_params();
    params.has("state") && !params.has("code") && !params.has("error")
}

async fn run() -> Result<(), Failure> {
    let config = load_config().await?;
    let mut options =
        ClientOptions::new(config.issuer, config.client_id, config.redirect_uri.clone());
    if let Some(scope) = config.scope {
        options = options.scope(scope);
    }
    // Discovery: <issuer>/.well-known/openid-configuration, whose issuer must equal ours.
    let auth = AuthClient::create(options).await?;
    auth.on(on_event);
    APP.with(|a| {
        *a.borrow_mut() = Some(App {
            auth: auth.clone(),
            post_logout_redirect_uri: config.redirect_uri,
        })
    });
    on_click("login", on_login);
    on_click("get-token", on_get_token);
    on_click("userinfo", on_userinfo);
    on_click("logout", on_logout);

    let mut restore = true;
    let mut logged_out_status = "not logged in";
    if auth.is_redirect_callback(None) {
        set_state("loading", "completing login…");
        if let Err(e) = auth.handle_redirect_callback(None).await {
            let silent_no_session = e.code == ErrorCode::LoginRequired
                && e.error()
                    .is_some_and(|x| SILENT_RESTORE_ERRORS.contains(&x));
            if !silent_no_session {
                return Err(e.into());
            }
            // The silent restore found no session at the provider: simply not logged in.
            note_event("silent-restore", e.error());
            restore = false;
        }
    } else if is_logout_return() {
        // Back from the end_session_endpoint: only this tab's own logout state counts.
        let ours = auth.handle_logout_callback(None);
        set_data(
            "logout-result",
            "result",
            Some(if ours { "ok" } else { "mismatch" }),
        );
        set_text(
            "logout-result",
            if ours {
                "logged out"
            } else {
                "logout state did not match"
            },
        );
        if ours {
            // Just logged out: never restore silently (that could log the user straight back in).
            restore = false;
            logged_out_status = "logged out";
        } else {
            // A foreign state proves nothing: other tabs only, no silent redirect.
            set_state("loading", "restoring session…");
            auth.restore_session(false).await?;
            restore = false;
        }
    }

    if restore && !auth.is_authenticated() {
        set_state("loading", "restoring session…");
        if auth.restore_session(true).await? == Restored::Redirecting {
            return Ok(()); // the silent prompt=none redirect is under way
        }
    }

    STARTED.with(|s| s.set(true));
    if auth.is_authenticated() {
        render_session(&auth);
    } else {
        render_logged_out(logged_out_status, "ready");
    }
    Ok(())
}

/// Runs the page (called by the wasm-bindgen glue when the module is instantiated).
#[wasm_bindgen(start)]
pub fn start() {
    watch_navigation();
    spawn_local(async {
        if let Err(failure) = run().await {
            STARTED.with(|s| s.set(true));
            show_failure(&failure);
        }
    });
}
