// spa-oauth demo SPA: uses the built package exactly as an application would.
//
// Rules this page follows (and the end-to-end tests check):
//  - tokens are never displayed, logged or stored by the page; the package keeps them in memory
//    (the page holds an access token only for the moment of a fetch to the demo API, and to
//    check that no storage area contains it);
//  - everything that came from the network (claims, UserInfo, error descriptions, API answers)
//    is rendered with textContent only, never innerHTML;
//  - document.body.dataset.state is "loading" until init is done, then "ready" (logged out),
//    "authenticated" or "error"; it stays "loading" while the page is leaving for the provider
//    (silent session restore, logout). A cancelled login (access_denied) is "ready" with a
//    neutral notice (#error[data-kind="cancel"]), not an error.
//
// Start-up (the same decisions as the SDK's auth.start(), spelled out so that the page can show
// each step; start() is fine for an app that needs no such detail):
//  1. the page must be at the configured origin (127.0.0.1, not localhost): otherwise it
//     explains and stops before anything runs (the demo server also redirects);
//  2. a login callback (?code= / ?error=) is completed (handleRedirectCallback);
//  3. the provider's return from a logout (?state= alone) is checked (handleLogoutCallback);
//  4. otherwise, when no session is in memory: restoreSession(). On a first visit only
//     `{ silent: false }` (ask the other open tabs, never leave the page: no bounce to the
//     provider before the user did anything). After the user logged in once in this tab
//     (sessionStorage `demo:logged-in-once`, a flag holding no secret, kept after a logout) a
//     reload may also make one silent prompt=none redirect (loop-guarded by the SDK).
// The SDK events (tokenRefreshed, sessionExpired, loggedOut, error) go to the event log
// (#session-events, with per-event counters as data attributes for the tests).

import init, { AuthClient } from '/pkg/spa_oauth.js';

const $ = (id) => document.getElementById(id);

const LOGGED_IN_FLAG = 'demo:logged-in-once';

let auth;
let config;
let ticker;
/** main() finished: events may re-render the page. */
let started = false;
/** A cross-document navigation started (the SDK's silent-restore or logout redirect). */
let leaving = false;
/** This tab's logout() is running. */
let loggingOut = false;
/** A login redirect is being started: every button stays disabled. */
let loginInFlight = false;

/**
 * Errors a silent (prompt=none) restore brings back when the provider has no session for us
 * (OIDC Core §3.1.2.6): the user is simply not logged in.
 */
const SILENT_RESTORE_ERRORS = new Set([
  'login_required', 'interaction_required', 'consent_required', 'account_selection_required',
]);

// ---- every error code as a sentence with a next action (from docs/errors.md) --------------

const AGAIN = 'Click “Log in” to start a new sign-in.';
const DEV = 'This is a configuration problem of the app: a developer has to fix it (docs/errors.md).';
const OP = 'The identity provider sent something the SDK refuses: its configuration needs a fix. You can try “Log in” again.';
const CLOCK = 'Check this device’s clock, then log in again.';

/** code -> [what happened, in plain words; what to do next] */
const ERROR_TEXT = {
  invalid_config: ['The app passed an invalid option to the SDK.', DEV],
  insecure_endpoint: ['An endpoint, issuer or redirect address is not https (plain http is only allowed on this computer).', DEV],
  protocol_parameter_override: ['The app tried to set a sign-in parameter that the SDK manages itself.', DEV],
  unsupported_flow: ['The app asked for a sign-in flow the SDK deliberately does not offer (implicit, hybrid or password).', DEV],
  insufficient_randomness: ['The low-level API was given too few random bytes.', DEV],
  callback_malformed: ['The sign-in answer in the address bar could not be read.', AGAIN],
  state_missing: ['The sign-in answer did not say which sign-in it belongs to.', AGAIN],
  state_mismatch: ['This sign-in link was already used (or it belongs to another tab, or was altered), so for your safety it was not used again. Nothing is wrong with your account.', AGAIN],
  transaction_expired: ['The sign-in took longer than 10 minutes and expired.', AGAIN],
  transaction_mismatch: ['This sign-in was started for another provider, app or address.', AGAIN],
  redirect_uri_mismatch: ['The sign-in answer arrived at another address than the one the sign-in was started for.', 'Open the app at its configured address, then log in again.'],
  iss_missing: ['The sign-in answer does not say which identity provider sent it, although this provider always does (a possible mix-up attack): it was refused.', AGAIN],
  iss_mismatch: ['The sign-in answer came from another identity provider than expected (a possible mix-up attack): it was refused.', AGAIN],
  authorization_error: ['The identity provider did not sign you in.', 'Try “Log in” again; the details below say what the provider answered.'],
  code_missing: ['The sign-in answer carried no authorization code.', AGAIN],
  unexpected_callback_parameter: ['The sign-in answer carried tokens in the address bar, which this SDK never accepts.', AGAIN],
  token_error: ['The identity provider refused to complete the sign-in (for example the code was already used or expired).', AGAIN],
  token_response_status: ['The identity provider answered the token request with an unexpected HTTP status.', 'Wait a moment, then log in again.'],
  token_response_content_type: ['The identity provider’s token answer is not JSON.', OP],
  token_response_not_json: ['The identity provider’s token answer is not valid JSON.', OP],
  token_response_not_object: ['The identity provider’s token answer is not a JSON object.', OP],
  access_token_invalid: ['The identity provider sent no usable access token.', OP],
  token_type_unsupported: ['The identity provider sent a token type other than Bearer.', OP],
  expires_in_invalid: ['The identity provider sent an invalid token lifetime.', OP],
  scope_invalid: ['The identity provider sent an invalid scope.', OP],
  refresh_token_invalid: ['The identity provider sent an invalid refresh token.', OP],
  id_token_invalid: ['The identity provider sent an ID token in the wrong format.', OP],
  id_token_missing: ['The identity provider sent no ID token although OpenID Connect was asked for.', OP],
  discovery_invalid: ['The identity provider’s configuration document is invalid.', OP],
  discovery_issuer_mismatch: ['The identity provider’s configuration names another issuer than the app expects.', 'Check the issuer setting (trailing slash, http or https, host name).'],
  metadata_missing: ['The identity provider does not offer an endpoint this action needs.', 'Configure the endpoint explicitly, or skip this feature.'],
  jwks_invalid: ['The identity provider’s key set is invalid.', OP],
  key_not_found: ['No key of the identity provider could verify the ID token.', AGAIN],
  key_ambiguous: ['The ID token does not say which of the provider’s keys signed it.', OP],
  jws_malformed: ['The ID token is malformed.', AGAIN],
  jwe_unsupported: ['The ID token is encrypted, which this SDK does not support.', 'Register the client without ID-token encryption.'],
  alg_unsupported: ['The ID token uses a signature algorithm this app does not accept.', OP],
  crit_unsupported: ['The ID token uses header extensions the SDK does not understand.', OP],
  signature_invalid: ['The ID token’s signature is wrong: it may be forged.', AGAIN],
  claim_invalid: ['The ID token lacks a required claim.', OP],
  issuer_mismatch: ['The ID token was issued by another identity provider.', AGAIN],
  audience_mismatch: ['The ID token was made for another app.', AGAIN],
  azp_mismatch: ['The ID token names another authorized party than this app.', AGAIN],
  token_expired: ['The ID token has already expired.', CLOCK],
  iat_invalid: ['The ID token’s issue time is implausible.', CLOCK],
  not_yet_valid: ['The ID token is not valid yet.', CLOCK],
  nonce_mismatch: ['The ID token does not belong to this sign-in (a possible replay).', AGAIN],
  at_hash_mismatch: ['The ID token does not match the access token it came with.', AGAIN],
  auth_time_invalid: ['The identity provider did not say credibly when you last signed in.', AGAIN],
  id_token_changed: ['A renewed ID token names another user or app, so the session was ended.', 'Log in again.'],
  id_token_typ_invalid: ['The identity provider sent another kind of token where the ID token belongs.', 'Report it: a provider or proxy bug, or an attack. Nothing was kept.'],
  revocation_failed: ['You are logged out here, but the provider did not confirm that the tokens were revoked.', 'Nothing to do: they expire on their own.'],
  userinfo_invalid: ['The identity provider’s UserInfo answer was not usable.', 'Try again; if the token was refused, use “Refresh now” first.'],
  userinfo_sub_mismatch: ['The UserInfo answer names another user than the ID token. This is treated as an attack and you were logged out.', 'Log in again.'],
  network_error: ['The identity provider could not be reached (it is down, you are offline, or it does not allow this origin).', 'Check that the provider is running, then retry.'],
  timeout: ['The identity provider took too long to answer.', 'Retry in a moment.'],
  redirect_refused: ['The identity provider answered a background request with a redirect, which the SDK never follows.', OP],
  storage_unavailable: ['This browser blocks sessionStorage, which the sign-in needs for a moment.', 'Allow site storage for this page (or leave private mode), then log in again.'],
  crypto_unavailable: ['This page has no WebCrypto because it is not a secure context.', 'Open it over https or at 127.0.0.1.'],
  no_browser_context: ['A sign-in was started without a browser window.', 'Start it in the browser.'],
  login_required: ['You are not logged in, or your session has ended.', 'Click “Log in”.'],
  callback_in_progress: ['The sign-in is already being completed.', 'Wait a moment.'],
};

/** { title, explain, action, kind } for an error. */
function describeError(err) {
  const code = typeof err?.code === 'string' ? err.code : 'unexpected';
  if (code === 'authorization_error' && err?.error === 'access_denied') {
    return {
      kind: 'cancel',
      title: 'Login cancelled',
      explain: 'You cancelled at the identity provider, so nothing was shared with this app.',
      action: 'Click “Log in” whenever you want to try again.',
    };
  }
  const [explain, action] = ERROR_TEXT[code]
    ?? ['Something unexpected happened.', 'Reload the page; if it persists, the technical details below help a developer.'];
  return { kind: 'error', title: 'Something went wrong', explain, action };
}

// ---- small helpers --------------------------------------------------------------------------

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

const clock = () => new Date().toLocaleTimeString([], { hour12: false });

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text != null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function readFlag() {
  try {
    return sessionStorage.getItem(LOGGED_IN_FLAG) === '1';
  } catch {
    return false;
  }
}

function setFlag() {
  try {
    sessionStorage.setItem(LOGGED_IN_FLAG, '1');
  } catch {
    // storage blocked: the page then only restores from other tabs
  }
}

// ---- errors ---------------------------------------------------------------------------------

function clearError() {
  $('error').hidden = true;
  for (const id of ['error-code', 'error-error', 'error-sep', 'error-description', 'error-message',
    'error-explain', 'error-action']) {
    setText(id, '');
  }
}

function fillError(err) {
  const code = typeof err?.code === 'string' ? err.code : 'unexpected';
  const text = describeError(err);
  $('error').dataset.kind = text.kind;
  $('error').dataset.code = code;
  setText('error-title', text.title);
  setText('error-explain', text.explain);
  setText('error-action', text.action);
  setText('error-code', code);
  setText('error-error', typeof err?.error === 'string' ? err.error : '');
  setText('error-sep', err?.error && err?.error_description ? ': ' : '');
  setText('error-description',
    typeof err?.error_description === 'string' ? err.error_description : '');
  setText('error-message', err?.message ?? String(err));
  $('error').hidden = false;
  return { code, text };
}

function showError(err) {
  const { code, text } = fillError(err);
  if (text.kind === 'cancel') {
    logEvent('loginCancelled', 'access_denied at the provider', 'info');
    renderLoggedOut('login cancelled');
    return;
  }
  // Only the stable code and the (token-free by contract) message go to the console.
  console.error(`[demo] ${code}: ${err?.message ?? String(err)}`);
  logEvent('error', code, 'bad');
  showButtons();
  setState('error', `error (${code})`);
}

// ---- buttons --------------------------------------------------------------------------------

const BUTTONS = ['login', 'logout', 'get-token', 'refresh-now', 'call-api'];

function showButtons() {
  const authenticated = Boolean(auth?.isAuthenticated());
  $('login').hidden = authenticated;
  $('logout').hidden = !authenticated;
  $('get-token').hidden = !authenticated;
  $('refresh-now').hidden = !authenticated;
  for (const id of BUTTONS) $(id).disabled = loginInFlight || loggingOut;
}

// ---- event log ------------------------------------------------------------------------------

const MAX_LOG = 60;

/** One timestamped line of the event log; counters per event name as data attributes. */
function logEvent(name, detail, tone = 'info') {
  const log = $('session-events');
  log.dataset[name] = String(Number(log.dataset[name] ?? 0) + 1);
  log.dataset.last = name;
  const item = el('li', null, `tone-${tone}`);
  item.dataset.event = name;
  if (detail) item.dataset.detail = String(detail);
  item.append(el('time', clock()), el('strong', name));
  if (detail) item.append(el('span', detail, 'detail'));
  log.prepend(item);
  while (log.children.length > MAX_LOG) log.lastElementChild.remove();
  $('log-empty').hidden = true;
}

function subscribe() {
  auth.on('tokenRefreshed', ({ expiresAt, source }) => {
    const until = typeof expiresAt === 'number' ? `, valid until ${new Date(expiresAt).toLocaleTimeString([], { hour12: false })}` : '';
    logEvent('tokenRefreshed', `source: ${source}${until}`, 'good');
    if (!started || leaving) return;
    if (document.body.dataset.state === 'authenticated') {
      renderExpiry();
    } else if (auth.isAuthenticated()) {
      // Another tab logged in (or refreshed) and shared its session with this one.
      setFlag();
      renderSession().catch(showError);
    }
  });
  auth.on('sessionExpired', ({ code }) => {
    logEvent('sessionExpired', code, 'warn');
    if (!started || leaving) return;
    renderLoggedOut('session expired: log in again');
  });
  auth.on('loggedOut', ({ code }) => {
    logEvent('loggedOut', code, 'info');
    if (!started || leaving) return;
    if (loggingOut) {
      renderLoggedOut('logging out…', 'loading');
    } else {
      renderLoggedOut('logged out (in another tab)');
    }
  });
  auth.on('error', (err) => {
    // Background failures (a refresh that will be retried, a failed revocation): the code only.
    const code = typeof err?.code === 'string' ? err.code : 'unexpected';
    logEvent('error', `${code} (background): ${ERROR_TEXT[code]?.[0] ?? ''}`, 'bad');
    console.warn(`[demo] background: ${code}`);
  });
}

// ---- session rendering ----------------------------------------------------------------------

const refreshMargin = () => Number(config?.demo?.refreshMarginSeconds ?? 60);

function renderExpiry() {
  const expiresAt = auth?.getTokenExpiry();
  const expiry = $('expiry');
  const renewal = $('next-renewal');
  if (typeof expiresAt !== 'number') {
    expiry.textContent = 'unknown (no expires_in)';
    delete expiry.dataset.expiresAt;
    renewal.textContent = 'on demand only';
    delete renewal.dataset.seconds;
    return;
  }
  const secondsLeft = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
  expiry.dataset.expiresAt = String(expiresAt);
  expiry.textContent = `${new Date(expiresAt).toLocaleTimeString([], { hour12: false })} (${secondsLeft} s left)`;
  const renewIn = Math.max(0, secondsLeft - refreshMargin());
  renewal.dataset.seconds = String(renewIn);
  renewal.textContent = renewIn > 0
    ? `next renewal in ${renewIn} s (${refreshMargin()} s before expiry)`
    : 'renewal due now';
}

/** A NumericDate claim as text: "<seconds> (<ISO time>)", or "" when absent. */
function numericDate(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '';
  const date = new Date(value * 1000);
  return Number.isNaN(date.getTime()) ? String(value) : `${value} (${date.toISOString()})`;
}

const DATE_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time', 'updated_at']);

/** A claims object as <dt>/<dd> pairs (text only; dates annotated). */
function renderClaims(target, claims) {
  const list = $(target);
  list.replaceChildren();
  for (const [name, value] of Object.entries(claims ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const dd = el('dd', DATE_CLAIMS.has(name) && typeof value === 'number'
      ? numericDate(value)
      : (typeof value === 'string' ? value : JSON.stringify(value)));
    dd.dataset.claim = name;
    list.append(el('dt', name), dd);
  }
}

function renderIdTokenClaims(claims) {
  setText('id-token-sub', claims?.sub);
  for (const [id, name] of [['id-token-auth-time', 'auth_time'], ['id-token-iat', 'iat']]) {
    const value = claims?.[name];
    setText(id, typeof value === 'number' ? numericDate(value) : 'not present');
    if (typeof value === 'number') $(id).dataset.value = String(value);
    else delete $(id).dataset.value;
  }
  renderClaims('id-token-claims', claims);
}

const SESSION_CARDS = ['session', 'card-api', 'card-claims', 'card-userinfo'];

/**
 * The SDK calls the UserInfo endpoint (access token in the Authorization header) and checks that
 * its `sub` is the ID token's; getUser() merges the validated ID-token claims with it.
 */
async function renderSession() {
  let info;
  try {
    info = await auth.getUserInfo();
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
  renderClaims('userinfo-claims', info);
  setText('scope', auth.getGrantedScope() ?? '');
  renderExpiry();
  for (const id of SESSION_CARDS) $(id).hidden = false;
  $('auth-hint').textContent = 'You are logged in. Logging out revokes the tokens (RFC 7009) and ends the session at the provider (RP-initiated logout).';
  showButtons();
  setState('authenticated', `logged in as ${user.sub}`);
}

function renderLoggedOut(statusText = 'not logged in', state = 'ready') {
  for (const id of SESSION_CARDS) $(id).hidden = true;
  for (const id of ['user', 'sub', 'scope', 'expiry', 'next-renewal', 'id-token-sub',
    'id-token-auth-time', 'id-token-iat']) {
    setText(id, '');
  }
  $('id-token-claims').replaceChildren();
  $('userinfo-claims').replaceChildren();
  delete $('expiry').dataset.expiresAt;
  delete $('next-renewal').dataset.seconds;
  delete $('id-token-auth-time').dataset.value;
  delete $('id-token-iat').dataset.value;
  // Results of the previous session do not survive it.
  clearTokenResult();
  clearApiResult();
  $('auth-hint').textContent = 'The local provider’s login form accepts any user name and password (local development only). Nothing happens until you click.';
  showButtons();
  setState(state, statusText);
}

// ---- actions --------------------------------------------------------------------------------

async function onLogin() {
  if (loginInFlight) return; // a double click starts one login
  loginInFlight = true;
  showButtons();
  clearError();
  setState('loading', 'redirecting to the provider…');
  logEvent('loginStarted', 'loginWithRedirect(): transaction stored, leaving for the provider');
  try {
    await auth.loginWithRedirect();
    void refreshStorage(); // the transaction, for the moment before the page leaves
  } catch (err) {
    loginInFlight = false;
    showError(err);
  }
}

async function onLogout() {
  clearError();
  // The SDK drops the tokens from memory (in every tab), revokes them at the provider
  // (RFC 7009), then navigates to the provider's end_session_endpoint (RP-initiated logout)
  // with client_id, this post_logout_redirect_uri and a state; the provider signs out and sends
  // the browser back here with that state (see main()). A failed revocation is reported (the
  // `error` event; a rejection when there is no redirect), but the local logout stands.
  loggingOut = true;
  showButtons();
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

function clearTokenResult() {
  const result = $('token-result');
  result.textContent = '';
  delete result.dataset.result;
  delete result.dataset.expiresAt;
  delete result.dataset.source;
  $('token-row').hidden = true;
}

/**
 * "Get token": getAccessToken() (refreshing when due) and whether the token came from memory or
 * from a refresh; "Refresh now": getAccessToken({ forceRefresh: true }). Never shows the token.
 */
async function getToken(forceRefresh) {
  const result = $('token-result');
  const before = auth.getTokenExpiry();
  const button = $(forceRefresh ? 'refresh-now' : 'get-token');
  button.disabled = true;
  try {
    await auth.getAccessToken(forceRefresh ? { forceRefresh: true } : undefined); // not kept
    const expiresAt = auth.getTokenExpiry();
    const source = forceRefresh || expiresAt !== before ? 'refresh' : 'memory';
    result.dataset.result = 'ok';
    result.dataset.source = source;
    if (typeof expiresAt === 'number') result.dataset.expiresAt = String(expiresAt);
    else delete result.dataset.expiresAt;
    const until = typeof expiresAt === 'number'
      ? `, expires ${new Date(expiresAt).toLocaleTimeString([], { hour12: false })}` : '';
    result.textContent = source === 'memory'
      ? `ok: from memory (no request)${until}`
      : `ok: new token from a refresh${until}`;
    if (!forceRefresh) logEvent('getAccessToken', source === 'memory' ? 'served from memory' : 'refreshed first');
    if (document.body.dataset.state === 'authenticated') renderExpiry();
  } catch (err) {
    const code = typeof err?.code === 'string' ? err.code : 'unexpected';
    result.dataset.result = code;
    delete result.dataset.expiresAt;
    delete result.dataset.source;
    result.textContent = `failed: ${ERROR_TEXT[code]?.[0] ?? code} (${code})`;
    logEvent('error', `${forceRefresh ? 'refresh now' : 'getAccessToken'}: ${code}`, 'bad');
    if (code === 'login_required') renderLoggedOut();
  } finally {
    button.disabled = loginInFlight || loggingOut;
    $('token-row').hidden = false;
  }
}

function clearApiResult() {
  $('api-result').hidden = true;
  delete $('api-result').dataset.status;
  setText('api-status', '');
  setText('api-summary', '');
  $('api-scopes').replaceChildren();
}

/** "Call the API": the token goes in the Authorization header of one same-origin fetch. */
async function onCallApi() {
  const button = $('call-api');
  button.disabled = true;
  const call = async (token) => fetch(config.demo.apiUrl, {
    headers: { Authorization: `Bearer ${token}` },
    cache: 'no-store',
  });
  try {
    let response = await call(await auth.getAccessToken());
    let retried = false;
    if (response.status === 401) {
      // The API refused the token (revoked, expired early): one forced refresh, one retry.
      retried = true;
      response = await call(await auth.getAccessToken({ forceRefresh: true }));
    }
    const body = await response.json().catch(() => ({}));
    const box = $('api-result');
    box.hidden = false;
    box.dataset.status = String(response.status);
    setText('api-status', `${response.status} ${response.ok ? 'OK' : (body?.error ?? 'error')}`);
    $('api-status').dataset.tone = response.ok ? 'good' : 'bad';
    if (response.ok) {
      const exp = typeof body.exp === 'number' ? `, expires ${new Date(body.exp * 1000).toLocaleTimeString([], { hour12: false })}` : '';
      setText('api-summary', `token active for ${body.sub ?? '?'} (client ${body.client_id ?? '?'}${exp}), checked by ${body.validated_by ?? 'the API'}${retried ? ', after one forced refresh' : ''}`);
    } else {
      setText('api-summary', typeof body?.error_description === 'string' ? body.error_description : 'the API refused the request');
    }
    const scopes = $('api-scopes');
    scopes.replaceChildren(...String(body?.scope ?? '').split(' ').filter(Boolean)
      .map((s) => el('span', s, 'chip')));
    if (!scopes.children.length) scopes.append(el('span', 'none', 'muted'));
    logEvent('apiCall', `GET /api/profile → ${response.status}${response.ok ? `, scopes: ${body.scope}` : ''}`, response.ok ? 'good' : 'bad');
  } catch (err) {
    const code = typeof err?.code === 'string' ? err.code : 'network';
    const box = $('api-result');
    box.hidden = false;
    box.dataset.status = 'failed';
    setText('api-status', 'failed');
    $('api-status').dataset.tone = 'bad';
    setText('api-summary', ERROR_TEXT[code]?.[0] ?? 'The API could not be reached.');
    logEvent('error', `API call: ${code}`, 'bad');
    if (code === 'login_required') renderLoggedOut();
  } finally {
    button.disabled = loginInFlight || loggingOut;
  }
}

// ---- live storage panel ---------------------------------------------------------------------

let lastStorage = null;

/** What a stored value holds, without showing a secret: JSON member names and the size. */
function describeStored(key, value) {
  const size = `${value.length} chars`;
  let names = '';
  try {
    const parsed = JSON.parse(value);
    if (parsed && typeof parsed === 'object') names = `{ ${Object.keys(parsed).join(', ')} }`;
  } catch {
    // not JSON
  }
  if (key.startsWith('spa-oauth:txn:')) return `login transaction ${names} · ${size} · deleted when the callback is handled`;
  if (key.startsWith('spa-oauth:silent:')) return `silent-restore loop guard · ${size}`;
  if (key === LOGGED_IN_FLAG) return `demo flag "${value}" (no secret): silent restore allowed on reload`;
  return names ? `${names} · ${size}` : `${value.length <= 40 ? `"${value}"` : `${value.slice(0, 24)}…`} · ${size}`;
}

function storageEntries(storage) {
  const out = [];
  try {
    for (let i = 0; i < storage.length; i += 1) {
      const key = storage.key(i);
      out.push([key, storage.getItem(key) ?? '']);
    }
  } catch {
    // blocked
  }
  return out.sort(([a], [b]) => a.localeCompare(b));
}

async function snapshotStorage() {
  const url = new URL(location.href);
  const params = [...url.searchParams.keys()];
  let idb = [];
  try {
    idb = (await indexedDB.databases?.() ?? []).map((d) => d.name ?? '(unnamed)');
  } catch {
    idb = [];
  }
  return {
    url: `${url.origin}${url.pathname}${params.length ? `?${params.map((p) => `${p}=…`).join('&')}` : ''}${url.hash ? '#…' : ''}`,
    href: location.href,
    local: storageEntries(localStorage),
    session: storageEntries(sessionStorage),
    cookies: document.cookie ? document.cookie.split('; ').map((c) => {
      const i = c.indexOf('=');
      return [i < 0 ? c : c.slice(0, i), i < 0 ? '' : c.slice(i + 1)];
    }) : [],
    idb,
  };
}

function fillList(id, rows) {
  const list = $(id);
  list.replaceChildren(...(rows.length ? rows : [el('li', 'empty', 'muted')]));
}

function entryRow(key, description) {
  const li = el('li');
  li.dataset.key = key;
  li.append(el('code', key), el('span', description, 'detail'));
  return li;
}

/** The current access token, only when it is in memory and not due (no request is made). */
async function liveTokenForCheck() {
  const expiresAt = auth?.getTokenExpiry?.();
  if (!auth?.isAuthenticated() || typeof expiresAt !== 'number') return null;
  if (expiresAt - Date.now() < (refreshMargin() + 5) * 1000) return null;
  try {
    return await auth.getAccessToken();
  } catch {
    return null;
  }
}

async function refreshStorage(label) {
  const snap = await snapshotStorage();
  fillList('storage-url', [entryRow(snap.url, snap.href === `${location.origin}/` ? 'clean' : 'parameter values hidden')]);
  fillList('storage-local', snap.local.map(([k, v]) => entryRow(k, describeStored(k, v))));
  fillList('storage-session', snap.session.map(([k, v]) => entryRow(k, describeStored(k, v))));
  fillList('storage-cookies', snap.cookies.map(([k, v]) => entryRow(k, `${v.length} chars`)));
  fillList('storage-idb', snap.idb.map((name) => entryRow(name, 'database')));

  // The proof: search every stored value (in full) for the live access token.
  const verdict = $('storage-verdict');
  let token = await liveTokenForCheck();
  if (token) {
    const haystack = JSON.stringify([snap.href, snap.local, snap.session, snap.cookies, snap.idb]);
    const found = haystack.includes(token) || haystack.includes(encodeURIComponent(token));
    token = null; // not kept
    verdict.dataset.tokenFound = String(found);
    verdict.dataset.tone = found ? 'bad' : 'good';
    verdict.textContent = found ? 'ACCESS TOKEN FOUND IN STORAGE' : `no token stored (checked ${clock()})`;
  } else {
    verdict.dataset.tokenFound = 'false';
    verdict.dataset.tone = 'neutral';
    verdict.textContent = auth?.isAuthenticated() ? 'no token stored' : 'no session';
  }

  // Changes since the last snapshot.
  const keysOf = (s) => new Map([
    ...s.local.map(([k]) => [`localStorage ${k}`, k]),
    ...s.session.map(([k]) => [`sessionStorage ${k}`, k]),
    ...s.cookies.map(([k]) => [`cookie ${k}`, k]),
    ...s.idb.map((k) => [`IndexedDB ${k}`, k]),
  ]);
  const now = keysOf(snap);
  const history = $('storage-history');
  const note = (text, kind) => {
    const li = el('li', null, `tone-${kind}`);
    li.append(el('time', clock()), el('span', text));
    history.prepend(li);
    while (history.children.length > 30) history.lastElementChild.remove();
  };
  if (!lastStorage) {
    note(`page loaded${label ? ` (${label})` : ''}: ${now.size ? [...now.keys()].join(', ') : 'nothing stored'}; URL ${snap.url}`, 'info');
  } else {
    const before = keysOf(lastStorage);
    for (const name of now.keys()) if (!before.has(name)) note(`+ ${name}${label ? ` (${label})` : ''}`, 'warn');
    for (const name of before.keys()) if (!now.has(name)) note(`− ${name} removed${label ? ` (${label})` : ''}`, 'good');
    if (snap.url !== lastStorage.url) note(`URL now ${snap.url}`, 'info');
  }
  lastStorage = snap;
}

// ---- start-up -------------------------------------------------------------------------------

/** The provider's return from an RP-initiated logout: ?state= without code or error. */
function isLogoutReturn() {
  const params = new URL(location.href).searchParams;
  return params.has('state') && !params.has('code') && !params.has('error');
}

/** True when this page runs at the configured origin; otherwise explains and stops. */
function checkOrigin() {
  const expected = new URL(config.redirectUri);
  if (location.origin === expected.origin) return true;
  const target = new URL(location.pathname + location.search + location.hash, expected.origin);
  setText('host-warning-text', `You opened ${location.origin}, but this demo is configured for ${expected.origin}. `
    + 'A browser treats them as two different sites: the provider sends you back to the configured one, '
    + 'where this tab’s login could not be completed. Nothing has been started.');
  $('host-warning-link').href = target.href;
  setText('host-warning-link', `Continue at ${expected.origin}`);
  $('host-warning').hidden = false;
  setState('error', 'wrong address');
  return false;
}

function renderMode() {
  const demo = config.demo ?? {};
  const mode = $('mode');
  mode.dataset.short = String(Boolean(demo.shortLifetime));
  mode.textContent = demo.shortLifetime
    ? `Short-lifetime mode: access tokens live ${demo.accessTokenTTL} s and are renewed ${demo.refreshMarginSeconds} s before they expire, so a renewal shows up in the event log within a minute.`
    : `Access tokens live ${demo.accessTokenTTL ?? '?'} s. To watch renewals within a minute, start the demo with DEMO_SHORT_TOKENS=1 node www/serve.js (60 s tokens).`;
}

async function main() {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`cannot load /config.json (HTTP ${response.status})`);
  config = await response.json();
  config.demo ??= { apiUrl: '/api/profile', refreshMarginSeconds: 60 };
  renderMode();
  if (!checkOrigin()) return;

  // The storage as the page found it (during a callback: the login transaction and the code).
  await refreshStorage('before start-up');

  await init();
  // Discovery: the SDK reads <issuer>/.well-known/openid-configuration (the metadata issuer
  // must equal this one exactly) and takes the endpoints and jwks_uri from it.
  const options = {
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    scope: config.scope,
  };
  if (config.demo.refreshMarginSeconds !== 60) options.refreshMarginSeconds = config.demo.refreshMarginSeconds;
  auth = await AuthClient.create(options);

  subscribe();
  $('login').addEventListener('click', onLogin);
  $('logout').addEventListener('click', onLogout);
  $('get-token').addEventListener('click', () => getToken(false));
  $('refresh-now').addEventListener('click', () => getToken(true));
  $('call-api').addEventListener('click', onCallApi);

  let restore = true;
  let loggedOutText = 'not logged in';
  if (auth.isRedirectCallback()) {
    setState('loading', 'completing login…');
    try {
      await auth.handleRedirectCallback();
      setFlag();
      logEvent('loginCompleted', 'code exchanged, ID token verified, callback removed from the URL', 'good');
    } catch (err) {
      if (err?.code === 'login_required' && SILENT_RESTORE_ERRORS.has(err.error)) {
        // The silent (prompt=none) restore found no session at the provider: simply not logged
        // in (the SDK reports it as login_required, with the provider's error in .error).
        logEvent('silentRestore', err.error);
        started = true;
        renderLoggedOut();
        return;
      }
      started = true;
      showError(err);
      return;
    } finally {
      void refreshStorage('after the callback');
    }
  } else if (isLogoutReturn()) {
    // Back from the provider's end_session_endpoint: only our own state counts (LO-01, LO-02).
    const ours = auth.handleLogoutCallback();
    const result = $('logout-result');
    result.dataset.result = ours ? 'ok' : 'mismatch';
    result.textContent = ours ? 'logged out' : 'logout state did not match';
    $('logout-row').hidden = false;
    if (ours) {
      // Just logged out: never restore silently (that could log the user straight back in).
      restore = false;
      loggedOutText = 'logged out';
      logEvent('logoutCompleted', 'back from the provider’s end-session endpoint', 'good');
    } else {
      // A foreign state proves nothing: no silent redirect, other tabs only.
      setState('loading', 'restoring session…');
      await auth.restoreSession({ silent: false });
      restore = false;
    }
  }

  if (restore && !auth.isAuthenticated()) {
    // First visit in this tab: other tabs only (no bounce to the provider before a click).
    // After a login in this tab: other tabs, else one silent prompt=none redirect.
    const silent = readFlag();
    setState('loading', 'restoring session…');
    const restored = await auth.restoreSession({ silent });
    if (!restored && leaving) return; // the silent prompt=none redirect is under way
    if (restored) setFlag();
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

function tick() {
  if (document.body.dataset.state === 'authenticated') renderExpiry();
  refreshStorage().catch(() => {});
}

// Back to this page from the browser's page cache (e.g. Back from the provider's login form):
// no login is in flight any more.
addEventListener('pageshow', (event) => {
  if (event.persisted) {
    loginInFlight = false;
    leaving = false;
    if (auth) {
      showButtons();
      if (document.body.dataset.state === 'loading') {
        if (auth.isAuthenticated()) renderSession().catch(showError);
        else renderLoggedOut();
      }
    }
  }
});
$('clear-log').addEventListener('click', () => {
  const log = $('session-events');
  log.replaceChildren();
  $('log-empty').hidden = false;
});

watchNavigation();
main().catch((err) => { started = true; showError(err); }).finally(() => {
  clearInterval(ticker);
  ticker = setInterval(tick, 1000);
});
