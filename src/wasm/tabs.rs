//! Sharing one session between the tabs of an origin without persisting it: a Web Lock elects
//! the one tab that refreshes, and a `BroadcastChannel` carries the outcome (in memory, structured
//! clone; nothing is written to storage). A new tab asks the others for the current session.
//! Where Web Locks or BroadcastChannel are missing, each tab works on its own (documented).

use alloc::string::String;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::core::id_token;
use crate::core::secret::{AccessToken, IdToken, RefreshToken};
use crate::core::session::Session;
use crate::core::token::TokenType;

use super::options::set;

#[wasm_bindgen(module = "/src/wasm/browser.js")]
extern "C" {
    #[wasm_bindgen(js_name = acquireLock)]
    fn acquire_lock_js(name: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = openChannel)]
    pub(crate) fn open_channel(name: &str, on_message: &Function) -> JsValue;
    #[wasm_bindgen(js_name = postToChannel)]
    pub(crate) fn post(channel: &JsValue, message: &JsValue);
    #[wasm_bindgen(js_name = onWake)]
    pub(crate) fn on_wake(callback: &Function);
    #[wasm_bindgen(js_name = setTimer)]
    pub(crate) fn set_timer(ms: f64, callback: &Function) -> JsValue;
    #[wasm_bindgen(js_name = clearTimer)]
    pub(crate) fn clear_timer(id: &JsValue);
    #[wasm_bindgen(js_name = sleep)]
    fn sleep_js(ms: f64) -> js_sys::Promise;
    #[wasm_bindgen(js_name = detach)]
    pub(crate) fn detach(promise: &js_sys::Promise);
}

/// Waits for the Web Lock `name`; the returned function releases it.
pub(crate) async fn acquire_lock(name: &str) -> Option<Function> {
    JsFuture::from(acquire_lock_js(name)).await.ok().and_then(|f| f.dyn_into().ok())
}

/// Releases a lock from [`acquire_lock`].
pub(crate) fn release(lock: Option<Function>) {
    if let Some(f) = lock {
        let _ = f.call0(&JsValue::UNDEFINED);
    }
}

pub(crate) async fn sleep(ms: f64) {
    let _ = JsFuture::from(sleep_js(ms)).await;
}

fn text(v: &JsValue, key: &str) -> Option<String> {
    Reflect::get(v, &JsValue::from_str(key)).ok()?.as_string()
}

fn num(v: &JsValue, key: &str) -> Option<f64> {
    Reflect::get(v, &JsValue::from_str(key)).ok()?.as_f64()
}

/// A message `{ t: kind, from: tab }`.
pub(crate) fn message(kind: &str, from: &str) -> Object {
    let m = Object::new();
    set(&m, "t", &JsValue::from_str(kind));
    set(&m, "from", &JsValue::from_str(from));
    m
}

/// The kind and sender of a message.
pub(crate) fn kind_of(v: &JsValue) -> Option<(String, String)> {
    Some((text(v, "t")?, text(v, "from")?))
}

/// The session as a message payload (tokens travel between same-origin tabs in memory only).
pub(crate) fn session_to_js(s: &Session) -> Object {
    let o = Object::new();
    set(&o, "at", &JsValue::from_str(s.access_token.expose()));
    set(&o, "exp", &s.expires_at.map_or(JsValue::NULL, JsValue::from_f64));
    set(&o, "scope", &JsValue::from_str(&s.scope));
    set(&o, "obtained", &JsValue::from_f64(s.obtained_at));
    if let Some(rt) = &s.refresh_token {
        set(&o, "rt", &JsValue::from_str(rt.expose()));
    }
    if let Some(it) = &s.id_token {
        set(&o, "idt", &JsValue::from_str(it.expose()));
    }
    if let Some(c) = &s.id_claims {
        set(&o, "claims", &JsValue::from_str(&c.json));
    }
    o
}

/// A session received from another tab of this origin (as trusted as same-origin script;
/// the ID-token claims were validated by the tab that obtained them).
pub(crate) fn session_from_js(v: &JsValue) -> Option<Session> {
    let at = text(v, "at").filter(|t| !t.is_empty())?;
    let id_claims = match text(v, "claims") {
        Some(json) => Some(id_token::claims_from_validated_json(&json)?),
        None => None,
    };
    Some(Session {
        access_token: AccessToken::new(at),
        token_type: TokenType::Bearer,
        expires_at: num(v, "exp"),
        scope: text(v, "scope").unwrap_or_default(),
        refresh_token: text(v, "rt").map(RefreshToken::new),
        id_token: text(v, "idt").map(IdToken::new),
        id_claims,
        obtained_at: num(v, "obtained").unwrap_or(0.0),
    })
}
