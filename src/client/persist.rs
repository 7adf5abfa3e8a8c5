//! The opt-in persistent DPoP mode (`ClientOptions::dpop_persist`): the session's
//! non-extractable DPoP key and its DPoP-bound refresh token are kept in IndexedDB (database
//! `spa-oauth`, store `dpop`, one record per client), so a reload with no other tab open keeps the
//! session without a redirect. Never an access token or an ID token: the record holds the
//! `CryptoKey` (IndexedDB stores it by structured clone and it stays non-extractable), the public
//! coordinates, the refresh token (useless without the key, RFC 9449 §5), the validated claims
//! and the scopes. The record goes at logout and when the session ends.

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{spawn, tabs, Inner, LocalFuture, Session};
use crate::core::error::{Error, ErrorCode};

const STORE: &str = "dpop";

fn call(obj: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(obj, &method.into())?.dyn_into()?;
    let a = Array::new();
    for x in args {
        a.push(x);
    }
    f.apply(obj, &a)
}

/// An `IDBRequest` as a promise of its `result`.
fn settled(req: JsValue) -> Promise {
    Promise::new(&mut |resolve: Function, reject: Function| {
        let r = req.clone();
        let ok = Closure::once_into_js(move |_e: JsValue| {
            let _ = resolve.call1(&JsValue::UNDEFINED, &Reflect::get(&r, &"result".into()).unwrap_or(JsValue::UNDEFINED));
        });
        let err = Closure::once_into_js(move |_e: JsValue| {
            let _ = reject.call0(&JsValue::UNDEFINED);
        });
        let _ = Reflect::set(&req, &"onsuccess".into(), &ok);
        let _ = Reflect::set(&req, &"onerror".into(), &err);
    })
}

/// One operation on the store (`get`, `put`, `delete`) in its own transaction.
fn op<'a>(method: &'a str, args: &'a [&'a JsValue]) -> LocalFuture<'a, Result<JsValue, Error>> {
    Box::pin(async move {
        let unavailable = |_| Error::new(ErrorCode::StorageUnavailable);
        let idb = Reflect::get(&js_sys::global(), &"indexedDB".into()).ok().filter(JsValue::is_object).ok_or(Error::new(ErrorCode::StorageUnavailable))?;
        let open = call(&idb, "open", &[&"spa-oauth".into(), &JsValue::from(1)]).map_err(unavailable)?;
        let o = open.clone();
        let upgrade = Closure::once_into_js(move |_e: JsValue| {
            if let Ok(db) = Reflect::get(&o, &"result".into()) {
                let _ = call(&db, "createObjectStore", &[&STORE.into()]);
            }
        });
        let _ = Reflect::set(&open, &"onupgradeneeded".into(), &upgrade);
        let db = JsFuture::from(settled(open)).await.map_err(unavailable)?;
        let mode = if method == "get" { "readonly" } else { "readwrite" };
        let result = async {
            let tx = call(&db, "transaction", &[&STORE.into(), &mode.into()])?;
            let store = call(&tx, "objectStore", &[&STORE.into()])?;
            JsFuture::from(settled(call(&store, method, args)?)).await
        }
        .await;
        let _ = call(&db, "close", &[]);
        result.map_err(unavailable)
    })
}

impl Inner {
    /// Writes the session's key, refresh token and claims (no access token), in the background.
    pub(crate) fn persist(&self, s: &Session) {
        if !self.dpop_persist || s.key.is_none() || s.rt.is_none() {
            return;
        }
        let (record, name) = (tabs::record(s), self.channel_name().to_owned());
        drop(spawn(Box::pin(async move {
            let _ = op("put", &[&record, &name.as_str().into()]).await;
            Ok(JsValue::UNDEFINED)
        })));
    }

    /// Removes the record (logout, session over), in the background.
    pub(crate) fn forget(&self) {
        if !self.dpop_persist {
            return;
        }
        let name = self.channel_name().to_owned();
        drop(spawn(Box::pin(async move {
            let _ = op("delete", &[&name.as_str().into()]).await;
            Ok(JsValue::UNDEFINED)
        })));
    }

    /// Keeps the key made for a login (`dpop_jkt`, RFC 9449 §10) across its redirect, under the
    /// login transaction's storage key; waits for the write (the page navigates next). Used by
    /// the asynchronous login of the `par` feature (the full build's).
    #[cfg_attr(not(feature = "par"), allow(dead_code))]
    pub(crate) fn put_pending<'a>(&'a self, txn: &'a str, key: &'a super::dpop::Key) -> LocalFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let record = js_sys::Object::new();
            let _ = Reflect::set(&record, &"k".into(), &key.private);
            let _ = Reflect::set(&record, &"kx".into(), &key.public.x.as_str().into());
            let _ = Reflect::set(&record, &"ky".into(), &key.public.y.as_deref().map_or(JsValue::NULL, JsValue::from_str));
            op("put", &[&record, &txn.into()]).await.map(|_| ())
        })
    }

    /// The key kept for the login transaction `txn`, removed from the store.
    pub(crate) fn take_pending<'a>(&'a self, txn: &'a str) -> LocalFuture<'a, Option<super::dpop::Key>> {
        Box::pin(async move {
            let v = op("get", &[&txn.into()]).await.ok()?;
            let _ = op("delete", &[&txn.into()]).await;
            let private: web_sys::CryptoKey = Reflect::get(&v, &"k".into()).ok()?.dyn_into().ok()?;
            let x = Reflect::get(&v, &"kx".into()).ok()?.as_string()?;
            let y = Reflect::get(&v, &"ky".into()).ok()?.as_string();
            Some(super::dpop::Key { private, public: crate::core::dpop::PublicJwk { x, y } })
        })
    }

    /// The persisted session, as a session whose access token has expired (the caller refreshes
    /// it with the stored key and refresh token).
    pub(crate) fn load<'a>(&'a self) -> LocalFuture<'a, Option<Session>> {
        Box::pin(async move {
            if !self.dpop_persist {
                return None;
            }
            let name = self.channel_name().to_owned();
            let v = op("get", &[&name.as_str().into()]).await.ok()?;
            tabs::from_record(&v)
        })
    }
}
