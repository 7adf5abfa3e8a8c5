//! The tabs of an origin share one session in memory over a `BroadcastChannel` named
//! `spa-oauth <issuer> <client_id>` (nothing is written to storage). Messages are plain objects
//! `{t, from, s?}`: `hello` (send me your session), `session` (here is mine), `logout`,
//! `expired`. A session received from another tab is type-checked member by member; anything
//! else is ignored. Also the page listeners: the renewal timer and the wake-up events
//! (`visibilitychange`, `focus`, `online`, `pageshow`) after which a throttled or frozen tab
//! renews at once.

use std::rc::{Rc, Weak};

#[cfg(feature = "resource-servers")]
use js_sys::Array;
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent};

#[cfg(feature = "resource-servers")]
use super::ScopedToken;
use super::{sys, weak, Inner, Session};
use crate::core::json::{self, Value};
use crate::core::secret::{AccessToken, RefreshToken};

/// A message from another tab.
pub(crate) enum Message {
    Hello,
    Session(Session),
    Logout,
    Expired,
}

const WAKE_EVENTS: [&str; 3] = ["focus", "online", "pageshow"];

/// The page listeners of one client; [`Listeners::remove`] detaches them.
pub(crate) struct Listeners {
    /// The renewal timer's callback.
    pub(crate) timer: Function,
    wake: Option<Function>,
}

impl Listeners {
    /// Removes the wake-up listeners. The functions stay valid (owned by the JavaScript garbage
    /// collector, holding only a weak reference): a late call does nothing.
    pub(crate) fn remove(self) {
        if let (Some(wake), Ok(w)) = (self.wake, sys::window()) {
            if let Some(d) = w.document() {
                let _ = d.remove_event_listener_with_callback("visibilitychange", &wake);
            }
            for ev in WAKE_EVENTS {
                let _ = w.remove_event_listener_with_callback(ev, &wake);
            }
        }
    }
}

/// A function calling `f` on the client while it exists.
fn callback(inner: Weak<Inner>, f: fn(&Rc<Inner>)) -> Function {
    Closure::<dyn FnMut()>::new(move || {
        if let Some(i) = inner.upgrade() {
            f(&i);
        }
    })
    .into_js_value()
    .unchecked_into()
}

/// Opens the channel, registers the wake-up listeners and says hello (in a window only).
pub(crate) fn attach(inner: &Rc<Inner>) {
    let timer = callback(weak(inner), |i| i.check());
    let window = sys::window().ok();
    let document = window.as_ref().and_then(|w| w.document());
    let (Some(w), Some(d)) = (window, document) else {
        inner.set_channel(None, Listeners { timer, wake: None });
        return;
    };
    let channel = BroadcastChannel::new(inner.channel_name()).ok();
    if let Some(c) = &channel {
        let me = weak(inner);
        let onmessage: Function = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let Some(i) = me.upgrade() else { return };
            if let Some(m) = decode(&e.unchecked_into::<MessageEvent>().data(), i.tab()) {
                i.on_message(m);
            }
        })
        .into_js_value()
        .unchecked_into();
        c.set_onmessage(Some(&onmessage));
    }
    // The page may have slept: visible again, focused, online, restored from the bfcache.
    let doc = d.clone();
    let me = weak(inner);
    let wake: Function = Closure::<dyn FnMut()>::new(move || {
        if Reflect::get(&doc, &"visibilityState".into()).ok().and_then(|v| v.as_string()).as_deref() == Some("hidden") {
            return;
        }
        if let Some(i) = me.upgrade() {
            i.check();
        }
    })
    .into_js_value()
    .unchecked_into();
    let _ = d.add_event_listener_with_callback("visibilitychange", &wake);
    for ev in WAKE_EVENTS {
        let _ = w.add_event_listener_with_callback(ev, &wake);
    }
    inner.set_channel(channel, Listeners { timer, wake: Some(wake) });
    inner.post("hello", None);
}

fn set(o: &Object, k: &str, v: &JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(k), v);
}

fn opt_str(v: Option<&str>) -> JsValue {
    v.map_or(JsValue::NULL, JsValue::from_str)
}

/// The message `{t: kind, from: tab, s?: session}`.
pub(crate) fn message(kind: &str, tab: &str, session: Option<&Session>) -> JsValue {
    let m = Object::new();
    set(&m, "t", &kind.into());
    set(&m, "from", &tab.into());
    if let Some(s) = session {
        let o = Object::new();
        set(&o, "at", &s.at.expose().into());
        set(&o, "rt", &opt_str(s.rt.as_ref().map(RefreshToken::expose)));
        set(&o, "claims", &opt_str(s.claims.as_deref()));
        set(&o, "exp", &s.exp.map_or(JsValue::NULL, JsValue::from_f64));
        set(&o, "scope", &s.scope.as_str().into());
        set(&o, "q", &s.asked.as_str().into());
        set(&o, "obtained", &s.obtained.into());
        set(&o, "v", &s.version.into());
        #[cfg(feature = "resource-servers")]
        set(&o, "x", &scoped_list(s));
        // The DPoP key: the CryptoKey itself (structured clone keeps it non-extractable) and the
        // public coordinates.
        #[cfg(feature = "dpop")]
        if let Some(k) = &s.key {
            set(&o, "k", &k.private);
            set(&o, "kx", &k.public.x.as_str().into());
            set(&o, "ky", &opt_str(k.public.y.as_deref()));
        }
        set(&m, "s", &o);
    }
    m.into()
}

/// The tokens for resource servers as `[{r, scope, at, exp, obtained}]`.
#[cfg(feature = "resource-servers")]
fn scoped_list(s: &Session) -> JsValue {
    let scoped = Array::new();
    for t in &s.scoped {
        let x = Object::new();
        set(&x, "r", &opt_str(t.resource.as_deref()));
        set(&x, "scope", &t.scope.as_str().into());
        set(&x, "at", &t.at.expose().into());
        set(&x, "exp", &t.exp.map_or(JsValue::NULL, JsValue::from_f64));
        set(&x, "obtained", &t.obtained.into());
        scoped.push(&x);
    }
    scoped.into()
}

/// The persistent record of a DPoP session (`persist`): the session message without any access
/// token (no `at`, no tokens for resource servers).
#[cfg(feature = "dpop")]
pub(crate) fn record(s: &Session) -> JsValue {
    let m = message("session", "", Some(s));
    let o = get(&m, "s");
    let _ = Reflect::delete_property(o.unchecked_ref::<Object>(), &"at".into());
    let _ = Reflect::delete_property(o.unchecked_ref::<Object>(), &"x".into());
    let _ = Reflect::set(&o, &"exp".into(), &JsValue::NULL);
    o
}

/// A session from a persistent record, type-checked like a message; its access token is an
/// expired placeholder (the caller refreshes). `None` without a key and a refresh token.
#[cfg(feature = "dpop")]
pub(crate) fn from_record(v: &JsValue) -> Option<Session> {
    if !v.is_object() {
        return None;
    }
    set(v.unchecked_ref(), "at", &"-".into());
    set(v.unchecked_ref(), "exp", &JsValue::from_f64(0.0));
    let _ = Reflect::delete_property(v.unchecked_ref::<Object>(), &"x".into());
    session(v).filter(|s| s.key.is_some() && s.rt.is_some())
}

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

/// `null`/absent → `Some(None)`, a string → `Some(Some(_))`, anything else → `None`.
fn text(v: JsValue) -> Option<Option<String>> {
    if v.is_null() || v.is_undefined() {
        Some(None)
    } else {
        v.as_string().map(Some)
    }
}

/// A message of another tab of this client, or `None` (malformed, or our own).
fn decode(data: &JsValue, tab: &str) -> Option<Message> {
    if !data.is_object() {
        return None;
    }
    let kind = get(data, "t").as_string()?;
    let from = get(data, "from").as_string()?;
    if from == tab {
        return None;
    }
    match kind.as_str() {
        "hello" => Some(Message::Hello),
        "logout" => Some(Message::Logout),
        "expired" => Some(Message::Expired),
        "session" => session(&get(data, "s")).map(Message::Session),
        _ => None,
    }
}

fn finite(v: JsValue) -> Option<f64> {
    v.as_f64().filter(|o| o.is_finite())
}

/// `null`/absent → `Some(None)`, a number → `Some(Some(_))`, anything else (NaN too) → `None`.
fn expiry(v: JsValue) -> Option<Option<f64>> {
    if v.is_null() || v.is_undefined() {
        Some(None)
    } else {
        Some(Some(v.as_f64().filter(|e| !e.is_nan())?))
    }
}

fn session(s: &JsValue) -> Option<Session> {
    if !s.is_object() {
        return None;
    }
    let at = get(s, "at").as_string().filter(|a| !a.is_empty())?;
    let obtained = finite(get(s, "obtained"))?;
    let scope = get(s, "scope").as_string()?;
    // `q`, `v` and `x` are newer members: a tab of an older build sends none (then the scope
    // asked is the granted one, the version the time obtained, no tokens for resource servers).
    let asked = text(get(s, "q"))?.unwrap_or_else(|| scope.clone());
    let rt = text(get(s, "rt"))?;
    let claims = text(get(s, "claims"))?;
    // Claims must be a JSON object with a string `sub` (what this tab validated would be).
    if let Some(c) = &claims {
        let v = json::parse(c.as_bytes()).ok()?;
        if !matches!(v, Value::Object(_)) || v.get("sub").and_then(Value::as_str).is_none() {
            return None;
        }
    }
    let v = get(s, "v");
    let version = if v.is_undefined() { obtained } else { finite(v)? };
    Some(Session {
        at: AccessToken::new(at),
        rt: rt.map(RefreshToken::new),
        claims,
        exp: expiry(get(s, "exp"))?,
        scope,
        asked,
        obtained,
        version,
        #[cfg(feature = "resource-servers")]
        scoped: scoped_of(&get(s, "x"))?,
        #[cfg(feature = "dpop")]
        key: key_of(s)?,
    })
}

/// The DPoP key of a session message: none, or a `CryptoKey` with both coordinates.
#[cfg(feature = "dpop")]
fn key_of(s: &JsValue) -> Option<Option<std::rc::Rc<super::dpop::Key>>> {
    let k = get(s, "k");
    if k.is_undefined() {
        return Some(None);
    }
    let private: web_sys::CryptoKey = k.dyn_into().ok()?;
    let public = crate::core::dpop::PublicJwk { x: get(s, "kx").as_string()?, y: text(get(s, "ky"))? };
    Some(Some(std::rc::Rc::new(super::dpop::Key { private, public })))
}

/// The tokens for resource servers of a session message, type-checked.
#[cfg(feature = "resource-servers")]
fn scoped_of(list: &JsValue) -> Option<Vec<ScopedToken>> {
    if list.is_undefined() {
        return Some(Vec::new());
    }
    if !Array::is_array(list) {
        return None;
    }
    let list: &Array = list.unchecked_ref();
    if list.length() > super::MAX_SCOPED as u32 {
        return None;
    }
    let mut scoped = Vec::new();
    for x in list.iter() {
        scoped.push(ScopedToken {
            resource: text(get(&x, "r"))?,
            scope: get(&x, "scope").as_string()?,
            at: AccessToken::new(get(&x, "at").as_string().filter(|a| !a.is_empty())?),
            exp: expiry(get(&x, "exp"))?,
            obtained: finite(get(&x, "obtained"))?,
        });
    }
    Some(scoped)
}
