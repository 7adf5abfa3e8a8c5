//! `sessionStorage` for the login transaction only (never tokens): one item per pending
//! authorization, keyed by its `state`, deleted on use, swept when expired or malformed.

use alloc::string::String;
use alloc::vec::Vec;

use crate::core::authorize::PendingAuthorization;
use crate::core::error::{Error, ErrorCode};

use super::sys;

/// Prefix of every key spa-oauth writes.
pub(crate) const PREFIX: &str = "spa-oauth:txn:";

fn session_storage() -> Result<web_sys::Storage, Error> {
    sys::window()?
        .session_storage()
        .ok()
        .flatten()
        .ok_or_else(|| ErrorCode::StorageUnavailable.into())
}

/// Stores a pending authorization under `PREFIX + state`.
pub(crate) fn put(pending: &PendingAuthorization) -> Result<(), Error> {
    let storage = session_storage()?;
    let mut key = String::from(PREFIX);
    key.push_str(pending.state.expose());
    storage
        .set_item(&key, &pending.to_storage_string())
        .map_err(|_| ErrorCode::StorageUnavailable.into())
}

/// Removes and returns the pending authorization stored for `state` (single use: it is gone
/// from storage whatever happens next). A malformed record is removed and treated as absent.
pub(crate) fn take(state: &str) -> Result<Option<PendingAuthorization>, Error> {
    let storage = session_storage()?;
    let mut key = String::from(PREFIX);
    key.push_str(state);
    let raw = storage.get_item(&key).map_err(|_| Error::new(ErrorCode::StorageUnavailable))?;
    let _ = storage.remove_item(&key);
    Ok(raw.and_then(|r| PendingAuthorization::from_storage_string(&r).ok()))
}

fn keys(storage: &web_sys::Storage) -> Vec<String> {
    let n = storage.length().unwrap_or(0);
    (0..n)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(PREFIX))
        .collect()
}

/// Deletes expired or unreadable transactions; with `client_id`, also every transaction of
/// that client (after a failed callback the flow is spent).
pub(crate) fn sweep(now: u64, client_id: Option<&str>) {
    let Ok(storage) = session_storage() else { return };
    for key in keys(&storage) {
        let keep = match storage.get_item(&key).ok().flatten() {
            Some(raw) => match PendingAuthorization::from_storage_string(&raw) {
                Ok(p) => !p.is_expired(now) && client_id.is_none_or(|c| c != p.client_id),
                Err(_) => false,
            },
            None => false,
        };
        if !keep {
            let _ = storage.remove_item(&key);
        }
    }
}

fn marker_key(kind: &str, id: &str) -> String {
    let mut key = String::from("spa-oauth:");
    key.push_str(kind);
    key.push(':');
    key.push_str(id);
    key
}

fn put_marker(kind: &str, id: &str, now: u64) {
    if let Ok(storage) = session_storage() {
        let _ = storage.set_item(&marker_key(kind, id), &crate::core::pkce::base64url(&now.to_be_bytes()));
    }
}

/// Reads and removes a marker; its age in seconds when it was there.
fn take_marker(kind: &str, id: &str, now: u64) -> Option<u64> {
    let storage = session_storage().ok()?;
    let key = marker_key(kind, id);
    let raw = storage.get_item(&key).ok().flatten();
    let _ = storage.remove_item(&key);
    let bytes: [u8; 8] = crate::core::base64url::decode(&raw?)?.try_into().ok()?;
    Some(now.saturating_sub(u64::from_be_bytes(bytes)))
}

/// Age in seconds of the silent-restore marker of `client_id`, if any (not removed).
pub(crate) fn silent_guard_age(client_id: &str, now: u64) -> Option<u64> {
    let age = take_marker("silent", client_id, now);
    if age.is_some() {
        // Keep it: the guard holds until it expires or a login succeeds.
        put_marker("silent", client_id, now.saturating_sub(age.unwrap_or(0)));
    }
    age
}

/// Marks that a silent (`prompt=none`) restore was started for `client_id`.
pub(crate) fn set_silent_guard(client_id: &str, now: u64) {
    put_marker("silent", client_id, now);
}

/// Clears the silent-restore marker (a login completed).
pub(crate) fn clear_silent_guard(client_id: &str) {
    let _ = take_marker("silent", client_id, 0);
}

/// Remembers the `state` of an RP-initiated logout until the provider redirects back.
pub(crate) fn put_logout_state(state: &str, now: u64) {
    put_marker("logout", state, now);
}

/// True when `state` is a pending logout of this tab younger than the transaction TTL; the
/// marker is removed (single use).
pub(crate) fn take_logout_state(state: &str, now: u64) -> bool {
    take_marker("logout", state, now).is_some_and(|age| age <= crate::core::authorize::TRANSACTION_TTL)
}
