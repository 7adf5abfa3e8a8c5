// spa-oauth demo SPA: uses the built package exactly as an application would.
//
// Rules this page follows (and the end-to-end tests check):
//  - tokens are never displayed, logged or stored by the page; the package keeps them in memory;
//  - everything that came from the network (claims, error descriptions) is rendered with
//    textContent only, never innerHTML;
//  - document.body.dataset.state is "loading" until init is done, then "ready" (logged out),
//    "authenticated" or "error"; it stays "loading" while the page is leaving for the provider
//    (silent session restore, logout).
//
// Start-up: a login callback (?code= / ?error=) is completed first; the provider's return from
// a logout (?state= without code/error) is checked with handleLogoutCallback(); otherwise, when
// no session is in memory (a reload, a new tab), restoreSession() takes it from another open tab
// or makes one silent prompt=none redirect (loop-guarded by the SDK). The session events
// (tokenRefreshed, sessionExpired, loggedOut, error) are shown in #session-events.

import init, { AuthClient } from '/pkg/spa_oauth.js';

const $ = (id) => document.getElementById(id);

let auth;
let expiryTimer;
/** main() finished: events may re-render the page. */
let started = false;
/** A cross-document navigation started (the SDK's silent-restore or logout redirect). */
let leaving = false;
/** This tab's logout() is running. */
let loggingOut = false;
const recentEvents = [];

/**
 * Errors a silent (prompt=none) restore brings back when the provider has no session for us
 * (OIDC Core §3.1.2.6): the user is simply not logged in.
 */
const SILENT_RESTORE_ERRORS = new Set([
  'login_required', 'interaction_required', 'consent_required', 'account_selection_required',
]);

/** The SDK navigates with location.assign(); the Navigation API reports it synchronously. */
function watchNavigation() {
  globalThis.navigation?.addEventListener('navigate', (event) => {
    if (!event.destination?.sameDocument) leaving = true;
  });
}

function setState(state, statusText) {
  document.body.dataset.state = state;
  $('status').textContent = statusText;
}

function setText(id, value) {
  $(id).textContent = value == null ? '' : String(value);
}

function clearError() {
  $('error').hidden = true;
  for (const id of ['error-code', 'error-error', 'error-sep', 'error-description', 'error-message']) {
    setText(id, '');
  }
}

function showError(err) {
  const code = typeof err?.code === 'string' ? err.code : 'unexpected';
  setText('error-code', code);
  setText('error-error', typeof err?.error === 'string' ? err.error : '');
  setText('error-sep', err?.error && err?.error_description ? ': ' : '');
  setText('error-description',
    typeof err?.error_description === 'string' ? err.error_description : '');
  setText('error-message', err?.message ?? String(err));
  $('error').hidden = false;
  // Only the stable code and the (token-free by contract) message go to the console.
  console.error(`[demo] ${code}: ${err?.message ?? String(err)}`);
  showButtons();
  setState('error', `error (${code})`);
}

function showButtons() {
  const authenticated = Boolean(auth?.isAuthenticated());
  $('login').hidden = authenticated;
  $('logout').hidden = !authenticated;
  $('get-token').hidden = !authenticated;
}

/** One line of the #session-events status (last five), plus per-event counters for tests. */
function noteEvent(name, detail) {
  const el = $('session-events');
  el.dataset[name] = String(Number(el.dataset[name] ?? 0) + 1);
  el.dataset.last = name;
  recentEvents.push(detail ? `${name} (${detail})` : name);
  if (recentEvents.length > 5) recentEvents.shift();
  el.textContent = recentEvents.join(' · ');
}

function setLogoutResult(ours) {
  const el = $('logout-result');
  el.dataset.result = ours ? 'ok' : 'mismatch';
  el.textContent = ours ? 'logged out' : 'logout state did not match';
}

function subscribe() {
  auth.on('tokenRefreshed', ({ expiresAt, source }) => {
    noteEvent('tokenRefreshed', source);
    if (!started || leaving) return;
    if (document.body.dataset.state === 'authenticated') {
      renderExpiry();
    } else if (auth.isAuthenticated()) {
      // Another tab logged in (or refreshed) and shared its session with this one.
      renderSession().catch(showError);
    }
    void expiresAt;
  });
  auth.on('sessionExpired', ({ code }) => {
    noteEvent('sessionExpired', code);
    if (!started || leaving) return;
    renderLoggedOut('session expired: log in again');
  });
  auth.on('loggedOut', ({ code }) => {
    noteEvent('loggedOut', code);
    if (!started || leaving) return;
    if (loggingOut) {
      renderLoggedOut('logging out…', 'loading');
    } else {
      renderLoggedOut('logged out (in another tab)');
    }
  });
  auth.on('error', (err) => {
    // Background failures (a refresh that will be retried, a failed revocation): the code only.
    noteEvent('error', typeof err?.code === 'string' ? err.code : 'unexpected');
    console.warn(`[demo] background: ${err?.code ?? 'unexpected'}`);
  });
}

function renderExpiry() {
  const expiresAt = auth?.getTokenExpiry();
  const el = $('expiry');
  if (typeof expiresAt !== 'number') {
    el.textContent = 'unknown (no expires_in)';
    delete el.dataset.expiresAt;
    return;
  }
  const secondsLeft = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
  el.dataset.expiresAt = String(expiresAt);
  el.textContent = `${new Date(expiresAt).toLocaleString()} (${secondsLeft} s left)`;
}

/** A NumericDate claim as text: "<seconds> (<ISO time>)", or "" when absent. */
function numericDate(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '';
  const date = new Date(value * 1000);
  return Number.isNaN(date.getTime()) ? String(value) : `${value} (${date.toISOString()})`;
}

function renderIdTokenClaims(claims) {
  setText('id-token-sub', claims?.sub);
  for (const [id, name] of [['id-token-auth-time', 'auth_time'], ['id-token-iat', 'iat']]) {
    const value = claims?.[name];
    setText(id, typeof value === 'number' ? numericDate(value) : 'not present');
    if (typeof value === 'number') $(id).dataset.value = String(value);
    else delete $(id).dataset.value;
  }
}

/**
 * The SDK calls the UserInfo endpoint (access token in the Authorization header) and checks that
 * its `sub` is the ID token's; getUser() merges the validated ID-token claims with it.
 */
async function renderSession() {
  try {
    await auth.getUserInfo();
  } catch (err) {
    // Another user's claims (or a forged response): treat as an attack and drop the session.
    if (err?.code === 'userinfo_sub_mismatch') {
      // Local logout (memory, revocation) without leaving the page: the error stays visible.
      auth.logout({ redirect: false }).catch(() => {});
      renderLoggedOut();
    }
    throw err;
  }
  const user = auth.getUser() ?? {};
  const name = typeof user.name === 'string' ? user.name : '';
  const email = typeof user.email === 'string' ? user.email : '';
  setText('user', email ? `${name} <${email}>` : name);
  setText('sub', user.sub);
  renderIdTokenClaims(auth.getIdTokenClaims());
  setText('scope', auth.getGrantedScope() ?? '');
  renderExpiry();
  clearInterval(expiryTimer);
  expiryTimer = setInterval(renderExpiry, 1000);
  $('session').hidden = false;
  showButtons();
  setState('authenticated', `logged in as ${user.sub}`);
}

function renderLoggedOut(statusText = 'not logged in', state = 'ready') {
  clearInterval(expiryTimer);
  $('session').hidden = true;
  for (const id of ['user', 'sub', 'scope', 'expiry', 'id-token-sub', 'id-token-auth-time', 'id-token-iat']) {
    setText(id, '');
  }
  delete $('expiry').dataset.expiresAt;
  delete $('id-token-auth-time').dataset.value;
  delete $('id-token-iat').dataset.value;
  showButtons();
  setState(state, statusText);
}

async function onLogin() {
  clearError();
  try {
    await auth.loginWithRedirect();
  } catch (err) {
    showError(err);
  }
}

async function onLogout() {
  clearError();
  // The SDK drops the tokens from memory (in every tab), revokes them at the provider
  // (RFC 7009), then navigates to the provider's end_session_endpoint (RP-initiated logout)
  // with id_token_hint, client_id, this post_logout_redirect_uri and a state; the provider
  // signs out and sends the browser back here with that state (see main()). A failed
  // revocation is reported (the `error` event; a rejection when there is no redirect), but the
  // local logout stands.
  loggingOut = true;
  setState('loading', 'logging out…');
  let failure;
  try {
    await auth.logout({ postLogoutRedirectUri: `${location.origin}/` });
  } catch (err) {
    failure = err;
  }
  loggingOut = false;
  if (leaving) return; // on the way to the provider
  renderLoggedOut();
  if (failure) showError(failure);
}

/** "Get token": getAccessToken() (refreshing when due); shows only "ok" and the expiry. */
async function onGetToken() {
  const el = $('token-result');
  try {
    await auth.getAccessToken(); // the token itself is never kept, shown or logged
    const expiresAt = auth.getTokenExpiry();
    el.dataset.result = 'ok';
    if (typeof expiresAt === 'number') el.dataset.expiresAt = String(expiresAt);
    else delete el.dataset.expiresAt;
    el.textContent = typeof expiresAt === 'number'
      ? `ok (expires ${new Date(expiresAt).toLocaleTimeString()})` : 'ok';
    if (document.body.dataset.state === 'authenticated') renderExpiry();
  } catch (err) {
    const code = typeof err?.code === 'string' ? err.code : 'unexpected';
    el.dataset.result = code;
    delete el.dataset.expiresAt;
    el.textContent = `error (${code})`;
    if (code === 'login_required') renderLoggedOut();
  }
}

/** The provider's return from an RP-initiated logout: ?state= without code or error. */
function isLogoutReturn() {
  const params = new URL(location.href).searchParams;
  return params.has('state') && !params.has('code') && !params.has('error');
}

async function main() {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`cannot load /config.json (HTTP ${response.status})`);
  const config = await response.json();

  await init();
  // Discovery: the SDK reads <issuer>/.well-known/openid-configuration (the metadata issuer
  // must equal this one exactly) and takes the endpoints and jwks_uri from it.
  auth = await AuthClient.create({
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    scope: config.scope,
  });

  subscribe();
  $('login').addEventListener('click', onLogin);
  $('logout').addEventListener('click', onLogout);
  $('get-token').addEventListener('click', onGetToken);

  let restore = true;
  let loggedOutText = 'not logged in';
  if (auth.isRedirectCallback()) {
    setState('loading', 'completing login…');
    try {
      await auth.handleRedirectCallback();
    } catch (err) {
      if (err?.code === 'login_required' && SILENT_RESTORE_ERRORS.has(err.error)) {
        // The silent (prompt=none) restore found no session at the provider: simply not logged
        // in (the SDK reports it as login_required, with the provider's error in .error).
        noteEvent('silentRestore', err.error);
        started = true;
        renderLoggedOut();
        return;
      }
      showError(err);
      return;
    }
  } else if (isLogoutReturn()) {
    // Back from the provider's end_session_endpoint: only our own state counts (LO-01, LO-02).
    const ours = auth.handleLogoutCallback();
    setLogoutResult(ours);
    if (ours) {
      // Just logged out: never restore silently (that could log the user straight back in).
      restore = false;
      loggedOutText = 'logged out';
    } else {
      // A foreign state proves nothing: no silent redirect, other tabs only.
      setState('loading', 'restoring session…');
      await auth.restoreSession({ silent: false });
      restore = false;
    }
  }

  if (restore && !auth.isAuthenticated()) {
    setState('loading', 'restoring session…');
    const restored = await auth.restoreSession();
    if (!restored && leaving) return; // the silent prompt=none redirect is under way
  }

  started = true;
  if (auth.isAuthenticated()) {
    try {
      await renderSession();
    } catch (err) {
      showError(err);
    }
  } else {
    renderLoggedOut(loggedOutText);
  }
}

watchNavigation();
main().catch(showError);
