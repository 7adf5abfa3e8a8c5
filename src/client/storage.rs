//! `sessionStorage`, for the login transaction only (never a token): `spa-oauth:txn:<state>`
//! holds a [`PendingAuthorization`] (state, nonce, PKCE verifier; single use, 10 minutes), and
//! two markers hold a time and nothing secret: `spa-oauth:silent:<client>` (the loop guard of
//! the silent restore) and `spa-oauth:logout:<state>` (a logout started in this tab).

use web_sys::Storage;

use super::sys;
use crate::core::authorize::PendingAuthorization;
use crate::core::error::{Error, ErrorCode};

/// Prefix of the keys of login transactions.
pub(crate) const TXN_PREFIX: &str = "spa-oauth:txn:";

/// `sessionStorage`, or [`ErrorCode::NoBrowserContext`] / [`ErrorCode::StorageUnavailable`].
pub(crate) fn storage() -> Result<Storage, Error> {
    let w = sys::window()?;
    match w.session_storage() {
        Ok(Some(s)) => Ok(s),
        _ => Err(ErrorCode::StorageUnavailable.into()),
    }
}

/// Stores a value; a full or refused storage is [`ErrorCode::StorageUnavailable`].
pub(crate) fn put(key: &str, value: &str) -> Result<(), Error> {
    storage()?.set_item(key, value).map_err(|_| ErrorCode::StorageUnavailable.into())
}

/// Removes and returns an item (single use: gone whatever happens next).
pub(crate) fn take(key: &str) -> Result<Option<String>, Error> {
    let s = storage()?;
    let value = s.get_item(key).map_err(|_| Error::new(ErrorCode::StorageUnavailable))?;
    let _ = s.remove_item(key);
    Ok(value)
}

/// Deletes expired or unreadable transactions; with `client_id`, every transaction of that client.
pub(crate) fn sweep(now: u64, client_id: Option<&str>) {
    let Ok(s) = storage() else { return };
    let len = s.length().unwrap_or(0);
    let mut doomed = Vec::new();
    for i in 0..len {
        let Some(key) = s.key(i).ok().flatten() else { continue };
        if !key.starts_with(TXN_PREFIX) {
            continue;
        }
        let owner = match s.get_item(&key).ok().flatten().map(|v| PendingAuthorization::from_storage_string(&v)) {
            Some(Ok(p)) if !p.is_expired(now) => Some(p.client_id),
            _ => None,
        };
        if owner.is_none() || owner.as_deref() == client_id {
            doomed.push(key);
        }
    }
    for key in doomed {
        let _ = s.remove_item(&key);
    }
}

fn marker(kind: &str, id: &str) -> String {
    ["spa-oauth:", kind, ":", id].concat()
}

/// Writes a marker (a time in whole seconds); failures are ignored (a marker is a convenience).
pub(crate) fn mark(kind: &str, id: &str, now: u64) {
    if let Ok(s) = storage() {
        let _ = s.set_item(&marker(kind, id), &now.to_string());
    }
}

/// Removes a marker (one storage call; failures are ignored).
pub(crate) fn unmark(kind: &str, id: &str) {
    if let Ok(s) = storage() {
        let _ = s.remove_item(&marker(kind, id));
    }
}

/// Age in seconds of a marker, or `None`; `remove` takes it (single use).
pub(crate) fn mark_age(kind: &str, id: &str, now: u64, remove: bool) -> Option<u64> {
    let s = storage().ok()?;
    let key = marker(kind, id);
    let v = s.get_item(&key).ok().flatten();
    if remove {
        let _ = s.remove_item(&key);
    }
    let v = v?;
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let then: u64 = v.parse().ok()?;
    Some(now.saturating_sub(then))
}
