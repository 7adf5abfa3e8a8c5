//! Token lifecycle of an [`AuthClient`](super::AuthClient): refresh with rotation (single flight
//! in a tab, one refresher across tabs), renewal scheduling that survives sleeping tabs, session
//! sharing and restore, revocation and logout, and the events apps subscribe to.

use alloc::rc::{Rc, Weak};
use alloc::string::String;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::error::{Error, ErrorCode};
use crate::core::logout::{self, TokenTypeHint};
use crate::core::refresh;
use crate::core::token::{self, HttpResponse};

use super::super::error::to_js_error;
use super::super::options::set;
use super::super::{http, storage, sys, tabs};
use super::{Inner, MAX_RETRY_MS, FIRST_RETRY_MS, TAB_ANSWER_MS, SILENT_GUARD_SECS};

fn detail(code: &str) -> JsValue {
    let o = Object::new();
    set(&o, "code", &JsValue::from_str(code));
    o.into()
}

impl Inner {
    // ---------------------------------------------------------------- events

    pub(super) fn emit(&self, event: &str, payload: &JsValue) {
        // Copy the handlers first: a handler may subscribe or unsubscribe.
        let handlers: alloc::vec::Vec<Function> = match self.handlers.try_borrow() {
            Ok(h) => h.iter().filter(|(e, _)| e == event).map(|(_, f)| f.clone()).collect(),
            Err(_) => return,
        };
        for f in handlers {
            let _ = f.call1(&JsValue::UNDEFINED, payload);
        }
    }

    fn emit_error(&self, e: &Error) {
        self.emit("error", &to_js_error(e.clone()));
    }

    // ---------------------------------------------------------------- tabs and timers

    /// Joins the other tabs of this origin (BroadcastChannel), listens for wake-ups, and asks the
    /// other tabs for their session. No-op outside a browser window.
    pub(super) fn attach(self: &Rc<Self>) {
        if sys::window().is_err() {
            return;
        }
        let weak: Weak<Inner> = Rc::downgrade(self);
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |msg: JsValue| {
            if let Some(inner) = weak.upgrade() {
                inner.on_tab_message(&msg);
            }
        });
        let channel = tabs::open_channel(&self.scope_name, on_message.as_ref().unchecked_ref());
        let weak: Weak<Inner> = Rc::downgrade(self);
        let wake = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                inner.check();
            }
        });
        tabs::on_wake(wake.as_ref().unchecked_ref());
        if let Ok(mut c) = self.channel.try_borrow_mut() {
            *c = channel;
        }
        if let Ok(mut w) = self.wake.try_borrow_mut() {
            *w = Some(wake.as_ref().unchecked_ref::<Function>().clone());
        }
        // Leaked on purpose (see `Inner::wake`): they hold only a Weak reference.
        wake.forget();
        on_message.forget();
        self.post(&tabs::message("hello", &self.tab_id).into());
    }

    fn post(&self, message: &JsValue) {
        if let Ok(c) = self.channel.try_borrow() {
            tabs::post(&c, message);
        }
    }

    pub(super) fn broadcast_session(&self) {
        let msg = tabs::message("session", &self.tab_id);
        let payload = self.with_session(|s| s.map(tabs::session_to_js));
        if let Some(p) = payload {
            set(&msg, "s", &p);
            self.post(&msg.into());
        }
    }

    fn on_tab_message(self: &Rc<Self>, msg: &JsValue) {
        let Some((kind, from)) = tabs::kind_of(msg) else { return };
        if from == self.tab_id {
            return;
        }
        self.peers.set(true);
        match kind.as_str() {
            "hello" => self.broadcast_session(),
            "session" => {
                let Ok(payload) = js_sys::Reflect::get(msg, &JsValue::from_str("s")) else { return };
                let Some(incoming) = tabs::session_from_js(&payload) else { return };
                // Only a newer session replaces ours: a late answer never brings back a rotated-away
                // refresh token.
                let newer = self.with_session(|s| s.is_none_or(|s| incoming.obtained_at > s.obtained_at));
                if newer {
                    let user_changed = self.with_session(|s| {
                        s.and_then(|s| s.id_claims.as_ref()).map(|c| c.sub.clone())
                            != incoming.id_claims.as_ref().map(|c| c.sub.clone())
                    });
                    if user_changed {
                        if let Ok(mut u) = self.userinfo.try_borrow_mut() {
                            *u = None;
                        }
                    }
                    let expires_at = incoming.expires_at;
                    self.set_session(Some(incoming));
                    self.schedule();
                    let d = Object::new();
                    set(&d, "expiresAt", &expires_at.map_or(JsValue::NULL, |e| JsValue::from_f64(e * 1000.0)));
                    set(&d, "source", &JsValue::from_str("tab"));
                    self.emit("tokenRefreshed", &d.into());
                }
            }
            "logout" if self.clear_local() => self.emit("loggedOut", &detail("logged_out")),
            "expired" if self.clear_local() => self.emit("sessionExpired", &detail("login_required")),
            _ => {}
        }
    }

    /// Drops the session, cached UserInfo and renewal timer of this tab. True if there was a
    /// session.
    fn clear_local(&self) -> bool {
        let had = self.with_session(|s| s.is_some());
        self.set_session(None);
        if let Ok(mut u) = self.userinfo.try_borrow_mut() {
            *u = None;
        }
        self.cancel_timer();
        had
    }

    fn cancel_timer(&self) {
        if let Ok(mut t) = self.timer.try_borrow_mut() {
            if !t.is_null() {
                tabs::clear_timer(&t);
            }
            *t = JsValue::NULL;
        }
    }

    fn set_timer_ms(&self, ms: f64) {
        self.cancel_timer();
        let Ok(wake) = self.wake.try_borrow() else { return };
        let Some(w) = wake.as_ref() else { return };
        let id = tabs::set_timer(ms.clamp(0.0, 2_147_483_647.0), w);
        if let Ok(mut t) = self.timer.try_borrow_mut() {
            *t = id;
        }
    }

    /// Schedules the next renewal on the absolute expiry (minus the margin). Timers of hidden
    /// tabs may be throttled or frozen; `check` also runs on every wake-up event.
    pub(super) fn schedule(&self) {
        let due = self.with_session(|s| s?.renewal_due(self.refresh_margin));
        match due {
            // Rounded up and a little late: a timer that fires before the due instant would find
            // nothing to do (check() then reschedules anyway).
            Some(at) => self.set_timer_ms((at - sys::now_f64()) * 1000.0 + 101.0),
            None => self.cancel_timer(),
        }
    }

    /// Renews now if the token is within the margin of its expiry (timer or wake-up).
    fn check(self: &Rc<Self>) {
        let due = self.with_session(|s| {
            s.is_some_and(|s| s.refresh_token.is_some() && !s.is_fresh(sys::now_f64(), s.effective_margin(self.refresh_margin)))
        }) && sys::now_f64() >= self.retry_not_before.get();
        if due {
            tabs::detach(&self.refresh());
        } else if self.refreshing.try_borrow().is_ok_and(|r| r.is_none()) && sys::now_f64() >= self.retry_not_before.get() {
            // Woken early (or by an event): keep the renewal timer armed.
            self.schedule();
        }
    }

    // ---------------------------------------------------------------- access tokens and refresh

    /// `getAccessToken()`: the in-memory token while it has more than the margin left; otherwise
    /// a refresh (shared by every caller in this tab); a still-valid token when there is no
    /// refresh token.
    pub(super) fn access_token(self: &Rc<Self>) -> Promise {
        let now = sys::now_f64();
        let state = self.with_session(|s| {
            s.map(|s| {
                (
                    s.access_token_at(now, s.effective_margin(self.refresh_margin)).map(|t| JsValue::from_str(t.expose())),
                    s.access_token_at(now, 0.0).map(|t| JsValue::from_str(t.expose())),
                    s.refresh_token.is_some(),
                )
            })
        });
        // After a failed refresh, callers get the still-valid token until the backoff ends.
        let backing_off = now < self.retry_not_before.get();
        match state {
            None => Promise::reject(&to_js_error(ErrorCode::LoginRequired.into())),
            Some((Some(fresh), _, _)) => Promise::resolve(&fresh),
            Some((None, Some(valid), true)) if backing_off => Promise::resolve(&valid),
            Some((None, _, true)) => self.refresh(),
            Some((None, Some(valid), false)) => Promise::resolve(&valid),
            Some((None, None, false)) => Promise::reject(&to_js_error(ErrorCode::LoginRequired.into())),
        }
    }

    /// Starts a refresh, or joins the one in flight (single flight).
    pub(super) fn refresh(self: &Rc<Self>) -> Promise {
        if let Ok(r) = self.refreshing.try_borrow() {
            if let Some(p) = r.as_ref() {
                return p.clone();
            }
        }
        let inner = self.clone();
        let promise = crate::wasm::spawn(alloc::boxed::Box::pin(async move {
            let result = inner.clone().refresh_across_tabs().await;
            if let Ok(mut r) = inner.refreshing.try_borrow_mut() {
                *r = None;
            }
            result.map(|t| JsValue::from_str(&t)).map_err(to_js_error)
        }));
        if let Ok(mut r) = self.refreshing.try_borrow_mut() {
            *r = Some(promise.clone());
        }
        promise
    }

    /// Holds the origin-wide Web Lock while refreshing, so exactly one tab presents the refresh
    /// token; the others receive the outcome over the BroadcastChannel while they wait.
    async fn refresh_across_tabs(self: Rc<Self>) -> Result<String, Error> {
        let lock = tabs::acquire_lock(&self.scope_name).await;
        if self.peers.get() {
            alloc::boxed::Box::pin(self.clone().catch_up()).await;
        }
        let result = alloc::boxed::Box::pin(self.clone().refresh_locked()).await;
        tabs::release(lock);
        if let Err(e) = &result {
            if e.code != ErrorCode::LoginRequired {
                self.emit_error(e);
            }
        }
        result
    }

    /// With the lock held, makes sure we have the newest session before deciding to refresh: the
    /// previous holder broadcast its result before releasing the lock, but the lock can be
    /// granted before that message is delivered. A hello round trip cannot overtake it (a
    /// channel delivers one sender's messages in order), so every other tab's newest session is
    /// here once their answers arrive (up to 150 ms, only when other tabs exist).
    async fn catch_up(self: Rc<Self>) {
        let fresh = |inner: &Inner| inner.with_session(|s| s.is_some_and(|s| s.is_fresh(sys::now_f64(), s.effective_margin(inner.refresh_margin))));
        if fresh(&self) {
            return;
        }
        self.post(&tabs::message("hello", &self.tab_id).into());
        let mut waited = 0.0;
        while waited < 150.0 && !fresh(&self) {
            tabs::sleep(10.0).await;
            waited += 10.0;
        }
    }

    async fn refresh_locked(self: Rc<Self>) -> Result<String, Error> {
        let now = sys::now_f64();
        // Another tab may have refreshed while we waited for the lock.
        let current = self.with_session(|s| {
            s.map(|s| {
                (
                    s.access_token_at(now, s.effective_margin(self.refresh_margin)).map(|t| String::from(t.expose())),
                    s.refresh_token.clone(),
                    s.scope.clone(),
                    s.id_claims.clone(),
                )
            })
        });
        let (fresh, refresh_token, scope, previous_claims) = current.ok_or(ErrorCode::LoginRequired)?;
        if let Some(t) = fresh {
            return Ok(t);
        }
        let refresh_token = refresh_token.ok_or(ErrorCode::LoginRequired)?;
        let request = refresh::refresh_request(&self.config, &refresh_token)?;
        let fetched = match http::send(&request, self.timeout_ms).await {
            Ok(f) if f.status < 500 => f,
            Ok(f) => return self.transient_failure(Error::new(ErrorCode::TokenResponseStatus).with_status(f.status)),
            Err(e) => return self.transient_failure(e),
        };
        let received_at = sys::now_f64();
        let response = token::process_token_response(
            HttpResponse { status: fetched.status, content_type: fetched.content_type.as_deref(), body: &fetched.body },
            &scope,
            false,
            received_at,
            self.policy,
        );
        let response = match response {
            Ok(r) => r,
            Err(e) if e.code == ErrorCode::TokenError && e.error() == Some("invalid_grant") => {
                // RT-03: revoked, expired or reused: the session is over, in every tab. No retry.
                self.expire_session();
                return Err(Error::with_detail(ErrorCode::LoginRequired, crate::core::error::ServerDetail {
                    error: e.error().map(String::from),
                    error_description: e.error_description().map(String::from),
                    error_uri: None,
                    status: e.status(),
                }));
            }
            // Any other refusal or malformed answer: keep the session, back off, report.
            Err(e) => return self.transient_failure(e),
        };
        // The session may have ended while the request was in flight (logout in this or another tab).
        if self.with_session(|s| s.is_none_or(|s| s.refresh_token.as_ref().map(|r| r.expose()) != Some(refresh_token.expose()))) {
            return Err(ErrorCode::LoginRequired.into());
        }
        let id_claims = match (&response.id_token, &previous_claims) {
            (Some(raw), _) => {
                let nonce = previous_claims.as_ref().and_then(|c| c.nonce.clone());
                let claims = match alloc::boxed::Box::pin(self.verify_id_token(raw, nonce.as_deref(), true, None, response.access_token.expose())).await {
                    Ok(c) => c,
                    // RT-09: the whole response is discarded; the session stays as it was.
                    Err(e) => return self.transient_failure(e),
                };
                if let Some(prev) = &previous_claims {
                    if let Err(e) = refresh::check_same_authentication(prev, &claims) {
                        // RT-05/06/07: never a silent user switch.
                        self.expire_session();
                        return Err(e);
                    }
                }
                Some(claims)
            }
            (None, _) => None,
        };
        let token = String::from(response.access_token.expose());
        let expires_at = response.expires_at;
        let next = self.with_session(|s| s.map(|s| s.refreshed(response, true, id_claims, received_at)));
        self.set_session(next);
        self.retry_ms.set(FIRST_RETRY_MS);
        self.retry_not_before.set(0.0);
        self.broadcast_session();
        self.schedule();
        let d = Object::new();
        set(&d, "expiresAt", &expires_at.map_or(JsValue::NULL, |e| JsValue::from_f64(e * 1000.0)));
        set(&d, "source", &JsValue::from_str("refresh"));
        self.emit("tokenRefreshed", &d.into());
        Ok(token)
    }

    /// A network error, time-out or 5xx: keep the tokens (nothing is lost on a transient fault),
    /// hand out the still-valid access token if there is one, retry later with backoff.
    fn transient_failure(&self, e: Error) -> Result<String, Error> {
        let delay = self.retry_ms.get();
        self.retry_ms.set((delay * 2.0).min(MAX_RETRY_MS));
        self.retry_not_before.set(sys::now_f64() + delay / 1000.0);
        self.set_timer_ms(delay);
        let valid = self.with_session(|s| s.and_then(|s| s.access_token_at(sys::now_f64(), 0.0)).map(|t| String::from(t.expose())));
        match valid {
            Some(t) => {
                self.emit_error(&e);
                Ok(t)
            }
            None => Err(e),
        }
    }

    /// The session is over in every tab (invalid_grant, user changed).
    fn expire_session(&self) {
        if self.clear_local() {
            self.post(&tabs::message("expired", &self.tab_id).into());
            self.emit("sessionExpired", &detail("login_required"));
        }
    }

    // ---------------------------------------------------------------- restore

    /// `restoreSession()`: a session from another open tab, else one silent top-level
    /// `prompt=none` redirect (at most one per [`SILENT_GUARD_SECS`]).
    pub(super) async fn restore(self: Rc<Self>, silent: bool) -> Result<bool, Error> {
        // A valid token, or a refresh token getAccessToken() can renew with: nothing to restore.
        if self.with_session(|s| s.is_some_and(|s| s.is_fresh(sys::now_f64(), 0.0) || s.refresh_token.is_some())) {
            return Ok(true);
        }
        self.post(&tabs::message("hello", &self.tab_id).into());
        let mut waited = 0.0;
        while waited < TAB_ANSWER_MS {
            tabs::sleep(50.0).await;
            waited += 50.0;
            if self.with_session(|s| s.is_some()) {
                return Ok(true);
            }
        }
        let now = sys::now_secs();
        if !silent || storage::silent_guard_age(&self.config.client_id, now).is_some_and(|age| age < SILENT_GUARD_SECS) {
            return Ok(false);
        }
        let mut request = super::login_request(&self.default_scope, JsValue::UNDEFINED)?;
        request.extra.push(("prompt".into(), "none".into()));
        let url = self.begin_login(&request)?;
        storage::set_silent_guard(&self.config.client_id, now);
        sys::window()?.location().assign(&url).map_err(|_| Error::new(ErrorCode::NoBrowserContext))?;
        Ok(false)
    }

    // ---------------------------------------------------------------- logout

    /// `logout()`: memory first (every tab), then revocation of the refresh and access tokens
    /// (RFC 7009; failures are reported, the local logout stands), then RP-initiated logout.
    pub(super) async fn logout(self: Rc<Self>, post_logout_redirect_uri: Option<String>, revoke: bool, redirect: bool) -> Result<(), Error> {
        let session = self.session.try_borrow_mut().ok().and_then(|mut s| s.take());
        self.clear_local();
        storage::sweep(sys::now_secs(), Some(&self.config.client_id));
        self.post(&tabs::message("logout", &self.tab_id).into());
        if session.is_some() {
            self.emit("loggedOut", &detail("logged_out"));
        }
        let mut first_error = None;
        if let (true, Some(s), Some(_)) = (revoke, &session, &self.config.revocation_endpoint) {
            let mut tokens: alloc::vec::Vec<(&str, TokenTypeHint)> = alloc::vec::Vec::new();
            if let Some(rt) = &s.refresh_token {
                tokens.push((rt.expose(), TokenTypeHint::RefreshToken));
            }
            tokens.push((s.access_token.expose(), TokenTypeHint::AccessToken));
            for (t, hint) in tokens {
                let outcome = match logout::revocation_request(&self.config, t, hint) {
                    Ok(req) => match http::send(&req, self.timeout_ms).await {
                        Ok(f) => logout::process_revocation_response(HttpResponse { status: f.status, content_type: f.content_type.as_deref(), body: &f.body }),
                        Err(e) => Err(Error::with_detail(ErrorCode::RevocationFailed, crate::core::error::ServerDetail { error: Some(String::from(e.code.as_str())), ..Default::default() })),
                    },
                    Err(e) => Err(e),
                };
                if let Err(e) = outcome {
                    self.emit_error(&e);
                    first_error.get_or_insert(e);
                }
            }
        }
        if redirect {
            let state = crate::core::pkce::base64url(&sys::random_bytes(32)?);
            let hint = session.as_ref().and_then(|s| s.id_token.as_ref()).map(|t| t.expose());
            if let Some(url) = logout::end_session_url(&self.config, hint, post_logout_redirect_uri.as_deref(), &state) {
                drop(session);
                if post_logout_redirect_uri.is_some() {
                    storage::put_logout_state(&state, sys::now_secs());
                }
                sys::window()?.location().assign(&url).map_err(|_| Error::new(ErrorCode::NoBrowserContext))?;
                return Ok(());
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
