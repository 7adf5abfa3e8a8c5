// spa-oauth demo SPA: uses the built package exactly as an application would.
//
// Rules this page follows (and the end-to-end tests check):
//  - tokens are never displayed, logged or stored by the page; the package keeps them in memory;
//  - everything that came from the network (claims, error descriptions) is rendered with
//    textContent only, never innerHTML;
//  - document.body.dataset.state is "loading" until init is done, then "ready" (logged out),
//    "authenticated" or "error".

import init, { AuthClient } from '/pkg/spa_oauth.js';

const $ = (id) => document.getElementById(id);

let auth;
let expiryTimer;

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
      auth.logout();
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

function renderLoggedOut() {
  clearInterval(expiryTimer);
  $('session').hidden = true;
  for (const id of ['user', 'sub', 'scope', 'expiry', 'id-token-sub', 'id-token-auth-time', 'id-token-iat']) {
    setText(id, '');
  }
  delete $('expiry').dataset.expiresAt;
  delete $('id-token-auth-time').dataset.value;
  delete $('id-token-iat').dataset.value;
  showButtons();
  setState('ready', 'not logged in');
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
  // Local logout: the SDK drops the tokens from memory (in every tab) and revokes them at the
  // provider (RFC 7009); `redirect: false` skips the RP-initiated logout navigation to the
  // provider's end_session_endpoint, so the page stays here. A failed revocation rejects
  // (`revocation_failed`), but the local logout stands.
  let failure;
  try {
    await auth.logout({ redirect: false });
  } catch (err) {
    failure = err;
  }
  renderLoggedOut();
  if (failure) showError(failure);
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

  $('login').addEventListener('click', onLogin);
  $('logout').addEventListener('click', onLogout);

  if (auth.isRedirectCallback()) {
    setState('loading', 'completing login…');
    try {
      await auth.handleRedirectCallback();
    } catch (err) {
      showError(err);
      return;
    }
  }

  if (auth.isAuthenticated()) {
    try {
      await renderSession();
    } catch (err) {
      showError(err);
    }
  } else {
    renderLoggedOut();
  }
}

main().catch(showError);
