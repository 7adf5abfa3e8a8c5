//! The tabs of an origin share one session in memory over a `BroadcastChannel` named
//! `spa-oauth <issuer> <client_id>` (nothing is written to storage). Messages are plain objects
//! `{t, from, s?}`: `hello` (send me your session), `session` (here is mine), `logout`,
//! `expired`. A session received from another tab is type-checked member by member; anything
//! else is ignored. Also the page listeners: the renewal timer and the wake-up events
//! (`visibilitychange`, `focus`, `online`, `pageshow`) after which a throttled or frozen tab
//! renews at once.

use std::rc::{Rc, Weak};

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent};

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
        set(&o, "obtained", &s.obtained.into());
        set(&m, "s", &o);
    }
    m.into()
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

fn session(s: &JsValue) -> Option<Session> {
    if !s.is_object() {
        return None;
    }
    let at = get(s, "at").as_string().filter(|a| !a.is_empty())?;
    let obtained = get(s, "obtained").as_f64().filter(|o| o.is_finite())?;
    let scope = get(s, "scope").as_string()?;
    let rt = text(get(s, "rt"))?;
    let claims = text(get(s, "claims"))?;
    // Claims must be a JSON object with a string `sub` (what this tab validated would be).
    if let Some(c) = &claims {
        let v = json::parse(c.as_bytes()).ok()?;
        if !matches!(v, Value::Object(_)) || v.get("sub").and_then(Value::as_str).is_none() {
            return None;
        }
    }
    let exp_v = get(s, "exp");
    let exp = if exp_v.is_null() || exp_v.is_undefined() { None } else { Some(exp_v.as_f64().filter(|e| !e.is_nan())?) };
    Some(Session {
        at: AccessToken::new(at),
        rt: rt.map(RefreshToken::new),
        claims,
        exp,
        scope,
        obtained,
    })
}
