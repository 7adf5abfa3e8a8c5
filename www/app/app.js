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
let config;
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

/** Calls the provider's userinfo endpoint with the access token in the Authorization header. */
async function fetchUserInfo() {
  const accessToken = await auth.getAccessToken();
  const response = await fetch(config.userinfoEndpoint, {
    headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
    cache: 'no-store',
    credentials: 'omit',
    redirect: 'error',
    referrerPolicy: 'no-referrer',
  });
  if (!response.ok) {
    const err = new Error(`userinfo request failed (HTTP ${response.status})`);
    err.code = 'userinfo_error';
    throw err;
  }
  return response.json();
}

async function renderSession() {
  const claims = await fetchUserInfo();
  const name = typeof claims.name === 'string' ? claims.name : '';
  const email = typeof claims.email === 'string' ? claims.email : '';
  setText('user', email ? `${name} <${email}>` : name);
  setText('sub', claims.sub);
  setText('scope', auth.getGrantedScope() ?? '');
  renderExpiry();
  clearInterval(expiryTimer);
  expiryTimer = setInterval(renderExpiry, 1000);
  $('session').hidden = false;
  showButtons();
  setState('authenticated', `logged in as ${claims.sub}`);
}

function renderLoggedOut() {
  clearInterval(expiryTimer);
  $('session').hidden = true;
  for (const id of ['user', 'sub', 'scope', 'expiry']) setText(id, '');
  delete $('expiry').dataset.expiresAt;
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
  try {
    await auth.logout();
    renderLoggedOut();
  } catch (err) {
    showError(err);
  }
}

async function main() {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`cannot load /config.json (HTTP ${response.status})`);
  config = await response.json();

  await init();
  auth = await AuthClient.create({
    issuer: config.issuer,
    authorizationEndpoint: config.authorizationEndpoint,
    tokenEndpoint: config.tokenEndpoint,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    scope: config.scope,
    authorizationResponseIssParameterSupported: config.authorizationResponseIssParameterSupported,
    jwksUri: config.jwksUri, // to verify ID token signatures
    userinfoEndpoint: config.userinfoEndpoint,
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
