// spa-oauth agent console: an app that fronts an AI agent, walking the scenarios of the agent
// API (www/api.js) with the SDK's resource-server calls (auth.fetch):
//
//   read data            data:read        automatic (the login's scope)
//   write a record       data:write       consent_required -> "Grant data:write" -> login with
//                                         the added scope -> back here (returnTo) -> retried
//   call an external API external:invoke  a human approves in the page first (dialog)
//   run code             exec:sandbox     consent, then step_up_required -> login again with
//                                         acr_values (second factor) -> retried; audit line shown
//   premium model        model:premium    budget per request (403) and per day (429)
//   other tenant         data:read        403 tenant_mismatch, never served
//   a foreign URL        -                resource_not_allowed: the SDK sends no token there
//
// Rules (as in the main demo): tokens are never displayed, logged or stored by the page (only the
// SDK's token ids); everything from the network is rendered with textContent; an error code the
// page does not know is shown as code + message. document.body.dataset.state: "loading",
// "ready" (logged out), "authenticated", "error". After a consent or step-up login the page
// comes back at /agent/?resume=<step> (loginWithRedirect's returnTo) and runs that step again.
// The page keeps the names of the scopes granted in this tab (sessionStorage
// agent:granted-scopes, no secret) and asks for them again on every later consent or step-up.
//
// Two clients (the "Client" select, or /agent/?client=demo|dpop; the choice is kept in
// sessionStorage agent:client, no secret, so that the login's return to /agent/ creates the same
// client): spa-demo (Bearer tokens) and spa-dpop (config.dpopClientId: AuthClient.create with
// `dpop: true`, every token bound to the SDK's key; the page shows "tokens bound to key
// <auth.dpopThumbprint()>"). "Replay a copied token without the key" takes the token the SDK
// hands out (getAccessToken, never displayed, dropped after use) and calls GET /data with plain
// fetch as `DPoP <token>` without a proof and as `Bearer <token>` (a DPoP-bound token: both
// refused; a spa-demo token: the Bearer copy works), then the same call through auth.fetch.

import init, { AuthClient } from '/pkg/full/spa_oauth.js';

const $ = (id) => document.getElementById(id);

const BUTTONS = [
  'step-read', 'step-write', 'step-external', 'step-exec', 'step-premium', 'step-premium-over',
  'step-standard', 'step-tenant', 'step-foreign', 'load-audit', 'replay-without-key',
];

// ---- the client: spa-demo (Bearer) or spa-dpop (DPoP-bound tokens) ---------------------------

const CLIENT_KEY = 'agent:client';
const CLIENT_CHOICES = ['demo', 'dpop'];

/** ?client=demo|dpop (then kept for the return from the provider), else the kept choice. */
function chosenClient() {
  const asked = new URLSearchParams(location.search).get('client');
  if (CLIENT_CHOICES.includes(asked)) {
    sessionStorage.setItem(CLIENT_KEY, asked);
    return asked;
  }
  const kept = sessionStorage.getItem(CLIENT_KEY);
  return CLIENT_CHOICES.includes(kept) ? kept : 'demo';
}

const clientChoice = chosenClient();

let auth;
let config;
let apiUrl;
let myTenant = null;
let redirecting = false;

// ---- errors in plain words (unknown codes: code + message) ---------------------------------

const ERROR_TEXT = {
  consent_required: 'The call needs a scope you have not granted yet.',
  step_up_required: 'The API wants a stronger or a more recent login for this call.',
  resource_not_allowed: 'The SDK refused to attach a token to a URL outside the configured resource servers; no request was made.',
  redirect_refused: 'The API answered with a redirect; the SDK never follows a redirect with a token.',
  invalid_token: 'The API refused the token, also after one refresh.',
  login_required: 'The session is over: log in again.',
  network_error: 'The request did not reach the server.',
  timeout: 'The server did not answer in time.',
  authorization_error: 'The provider did not complete the sign-in (for example the consent was cancelled).',
  acr_invalid: 'The provider did not sign you in at the level the API asked for.',
  state_mismatch: 'This sign-in answer was already used or belongs to another tab.',
  challenge_invalid: 'The API sent a challenge the SDK could not read.',
};

const codeOf = (err) => (typeof err?.code === 'string' && err.code ? err.code : 'unexpected_error');
const messageOf = (err) => (typeof err?.message === 'string' ? err.message : String(err));
const explain = (err) => ERROR_TEXT[codeOf(err)] ?? `Unexpected error ${codeOf(err)}: ${messageOf(err)}`;

function showError(err, title = 'Something went wrong') {
  $('error-title').textContent = title;
  $('error-explain').textContent = explain(err);
  $('error-code').textContent = codeOf(err);
  $('error-message').textContent = messageOf(err);
  $('error').hidden = false;
}

// ---- small rendering helpers ---------------------------------------------------------------

const time = () => new Date().toTimeString().slice(0, 8);

function logTo(listId, cls, parts, data = {}) {
  const li = document.createElement('li');
  li.className = cls;
  for (const [k, v] of Object.entries(data)) li.dataset[k] = String(v ?? '');
  const t = document.createElement('time');
  t.textContent = time();
  li.append(t);
  for (const [text, className] of parts) {
    const span = document.createElement('span');
    if (className) span.className = className;
    span.textContent = text;
    li.append(span);
  }
  $(listId).prepend(li);
}

function logEvent(name, payload) {
  let detail = '';
  if (payload instanceof Error || (payload && typeof payload.code === 'string' && 'message' in payload)) {
    detail = `${codeOf(payload)}: ${messageOf(payload)}`;
  } else if (payload !== undefined) {
    try {
      detail = JSON.stringify(payload);
    } catch {
      detail = String(payload);
    }
  }
  const tone = name === 'error' || name === 'sessionExpired' ? 'tone-bad' : (name === 'tokenRefreshed' ? 'tone-good' : 'tone-warn');
  logTo('event-log', tone, [[name, 'name'], [detail, 'detail']], { event: name });
}

/** Shows a step's outcome: tone good / bad / warn, the HTTP status and the error code if any. */
function result(step, text, { tone = 'good', status = '', code = '' } = {}) {
  const out = $(`result-${step}`);
  out.textContent = text;
  out.dataset.tone = tone;
  out.dataset.status = String(status);
  out.dataset.code = code;
}

/** The row's action cell gets a button (kept between runs); created when the HTML lacks it. */
function rowButton(step, kind) {
  const id = `${kind}-${step}`;
  let button = $(id);
  if (!button) {
    button = document.createElement('button');
    button.type = 'button';
    button.id = id;
    button.dataset.testid = id;
    button.className = 'primary';
    button.hidden = true;
    document.querySelector(`tr[data-step="${step}"] td:nth-of-type(3)`)?.append(button);
  }
  return button;
}

function hideFollowUps(step) {
  for (const kind of ['grant', 'stepup']) {
    const button = $(`${kind}-${step}`);
    if (button) button.hidden = true;
  }
}

function setButtons(enabled) {
  for (const id of BUTTONS) $(id).disabled = !enabled || redirecting;
  for (const b of document.querySelectorAll('button[id^="grant-"], button[id^="stepup-"]')) {
    b.disabled = redirecting;
  }
}

function setState(state, status) {
  document.body.dataset.state = state;
  if (status) $('status').textContent = status;
}

function renderTokens() {
  const rows = $('token-rows');
  rows.replaceChildren();
  let list = [];
  try {
    list = auth ? auth.tokens() : [];
  } catch (err) {
    logEvent('error', err);
  }
  for (const token of list) {
    const tr = document.createElement('tr');
    tr.dataset.testid = 'token-row';
    tr.dataset.tokenId = token.id;
    tr.dataset.resource = token.resource ?? '';
    tr.dataset.scope = token.scope ?? '';
    const left = typeof token.expiresAt === 'number' ? Math.round((token.expiresAt - Date.now()) / 1000) : null;
    const cells = [
      token.id,
      token.resource ?? '(none: UserInfo)',
      token.scope ?? '',
      left === null ? 'unknown' : `${new Date(token.expiresAt).toTimeString().slice(0, 8)} (${left > 0 ? `in ${left} s` : 'expired'})`,
    ];
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    rows.append(tr);
  }
  $('tokens-empty').hidden = list.length > 0;
  renderBinding();
}

/** "tokens bound to key <thumbprint>" (spa-dpop) or "not bound to a key (Bearer)". */
function renderBinding() {
  let jkt = null;
  try {
    jkt = clientChoice === 'dpop' && typeof auth?.dpopThumbprint === 'function' ? auth.dpopThumbprint() : null;
  } catch (err) {
    logEvent('error', err);
  }
  const bound = typeof jkt === 'string' && jkt !== '';
  $('dpop-binding').dataset.bound = String(bound);
  $('dpop-binding-text').textContent = bound ? 'tokens bound to key' : (clientChoice === 'dpop'
    ? 'DPoP is on, but the SDK reports no key yet' : 'not bound to a key (Bearer: whoever holds one can use it)');
  $('dpop-thumbprint').textContent = bound ? jkt : '';
  $('dpop-thumbprint').dataset.jkt = bound ? jkt : '';
}

function renderSession() {
  const claims = auth.getIdTokenClaims() ?? {};
  $('session').hidden = false;
  $('user').textContent = `${claims.preferred_username ?? claims.sub ?? '?'} (${claims.sub ?? '?'})`;
  renderBinding();
  $('acr').textContent = claims.acr ?? '(not in the ID token)';
  $('acr').dataset.acr = claims.acr ?? '';
  $('login').hidden = true;
  $('logout').hidden = false;
  setState('authenticated', `logged in as ${claims.preferred_username ?? claims.sub ?? '?'}`);
  setButtons(true);
  renderTokens();
}

function renderLoggedOut(status = 'not logged in') {
  $('session').hidden = true;
  $('login').hidden = false;
  $('logout').hidden = true;
  setState('ready', status);
  setButtons(false);
  renderTokens();
}

// ---- the calls -----------------------------------------------------------------------------

const api = (path) => new URL(path, apiUrl).href;
const json = (body) => ({ headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

async function bodyOf(res) {
  try {
    return await res.json();
  } catch {
    return null;
  }
}

/** Asks the human in the page (a modal dialog); resolves true when allowed. */
function askHuman(text) {
  const dialog = $('hitl-dialog');
  $('hitl-text').textContent = text;
  return new Promise((resolve) => {
    const done = (answer) => {
      $('hitl-approve').removeEventListener('click', approve);
      $('hitl-deny').removeEventListener('click', deny);
      dialog.removeEventListener('cancel', deny);
      dialog.close();
      resolve(answer);
    };
    const approve = () => done(true);
    const deny = (e) => { e?.preventDefault?.(); done(false); };
    $('hitl-approve').addEventListener('click', approve);
    $('hitl-deny').addEventListener('click', deny);
    dialog.addEventListener('cancel', deny);
    dialog.showModal();
  });
}

function showBudget(remaining) {
  if (typeof remaining === 'number') $('budget-remaining').textContent = `${remaining} tokens`;
  $('budget-remaining').dataset.remaining = String(remaining ?? '');
}

function describeRefusal(res, body) {
  const error = typeof body?.error === 'string' ? body.error : '';
  const text = typeof body?.error_description === 'string' ? body.error_description : res.statusText;
  return { tone: 'bad', status: res.status, code: error, text: `HTTP ${res.status}${error ? ` ${error}` : ''}: ${text}` };
}

/** Each step: makes its call(s) and returns { text, tone, status, code } for the result cell. */
const RUN = {
  async read() {
    const res = await auth.fetch(api('data'), { scope: 'data:read' });
    const body = await bodyOf(res);
    if (!res.ok) return describeRefusal(res, body);
    myTenant = body.tenant;
    return { status: res.status, text: `${body.records.length} records of tenant ${body.tenant}: ${body.records.map((r) => r.text).join(' · ')}` };
  },

  async write() {
    const res = await auth.fetch(api('data'), { method: 'POST', scope: 'data:write', ...json({ text: `note from the agent at ${time()}` }) });
    const body = await bodyOf(res);
    if (!res.ok) return describeRefusal(res, body);
    return { status: res.status, text: `record ${body.record.id} added to tenant ${body.tenant}` };
  },

  async external() {
    const allowed = await askHuman('The agent wants to send the user\'s city to weather-api (external:invoke). Allow this one call?');
    if (!allowed) return { tone: 'warn', text: 'denied by the human: no request was made', code: 'denied_by_human' };
    const res = await auth.fetch(api('external/invoke'), { method: 'POST', scope: 'external:invoke', ...json({ target: 'weather-api', payload: { city: 'Lyon' } }) });
    const body = await bodyOf(res);
    if (!res.ok) return describeRefusal(res, body);
    return { status: res.status, text: `approved by the human; ${body.result}` };
  },

  async exec() {
    const res = await auth.fetch(api('exec'), { method: 'POST', scope: 'exec:sandbox', ...json({ command: 'python analyse.py --rows 100' }) });
    const body = await bodyOf(res);
    if (!res.ok) return describeRefusal(res, body);
    const line = body.audit ?? {};
    const audit = $('exec-audit');
    audit.textContent = `audit: ${line.time} ${line.sub}@${line.tenant} "${line.command}" ${line.result} (acr ${line.acr})`;
    audit.hidden = false;
    await loadAudit();
    return { status: res.status, text: `${body.output} (exit ${body.exitCode})` };
  },

  premium: () => modelCall('premium', 500),
  'premium-over': () => modelCall('premium', 501),
  standard: () => modelCall('standard', 100),

  async tenant() {
    if (!myTenant) {
      const mine = await auth.fetch(api('data'), { scope: 'data:read' });
      myTenant = (await bodyOf(mine))?.tenant ?? null;
    }
    const other = myTenant === 'globex' ? 'acme' : 'globex';
    const res = await auth.fetch(api(`tenants/${other}/data`), { scope: 'data:read' });
    const body = await bodyOf(res);
    if (res.status === 403 && body?.error === 'tenant_mismatch') {
      return { tone: 'good', status: 403, code: 'tenant_mismatch', text: `refused as it should be: tenant ${other} is not yours (403 tenant_mismatch)` };
    }
    if (!res.ok) return describeRefusal(res, body);
    return { tone: 'bad', status: res.status, text: `served another tenant's data: this must not happen (${other})` };
  },

  async foreign() {
    try {
      const res = await auth.fetch('https://example.com/', { scope: 'data:read' });
      return { tone: 'bad', status: res.status, text: 'the SDK made the call: it should have refused' };
    } catch (err) {
      if (codeOf(err) === 'resource_not_allowed') {
        return { tone: 'good', code: 'resource_not_allowed', text: 'refused by the SDK (resource_not_allowed): no token left the app, no request was made' };
      }
      throw err;
    }
  },
};

async function modelCall(model, maxTokens) {
  const scope = model === 'premium' ? 'model:premium' : 'data:read';
  const res = await auth.fetch(api(`models/${model}/complete`), { method: 'POST', scope, ...json({ prompt: 'Summarise the Q3 roadmap', max_tokens: maxTokens }) });
  const body = await bodyOf(res);
  if (res.ok) {
    showBudget(body.remaining);
    return { status: res.status, text: `${model}: ${maxTokens} tokens used, ${body.remaining} left today` };
  }
  if (res.status === 403 && body?.error === 'budget_exceeded') {
    return { tone: 'bad', status: 403, code: 'budget_exceeded', text: `403 budget_exceeded: ${maxTokens} tokens is over the per-request limit of ${body.limit}` };
  }
  if (res.status === 429) {
    showBudget(body?.remaining ?? 0);
    const retry = res.headers.get('Retry-After');
    return { tone: 'bad', status: 429, code: body?.error ?? 'budget_exhausted', text: `429 ${body?.error ?? 'budget_exhausted'}: the daily budget is spent (${body?.remaining ?? 0} left); retry after ${retry ?? '?'} s` };
  }
  return describeRefusal(res, body);
}

// ---- a copied token, replayed without the key ------------------------------------------------

function replayResult(id, { text, tone = 'good', status = '', code = '' }) {
  const out = $(id);
  out.textContent = text;
  out.dataset.tone = tone;
  out.dataset.status = String(status);
  out.dataset.code = code;
}

/** One plain fetch of GET /data with the copied token and no proof: what anyone could send. */
async function replayCopy(token, scheme) {
  let res;
  try {
    res = await fetch(api('data'), {
      headers: { Authorization: `${scheme} ${token}` }, cache: 'no-store', credentials: 'omit', redirect: 'error',
    });
  } catch (err) {
    return { tone: 'warn', code: 'network_error', text: `the request failed: ${messageOf(err)}` };
  }
  const body = await bodyOf(res);
  const error = typeof body?.error === 'string' ? body.error : '';
  const description = typeof body?.error_description === 'string' ? body.error_description : res.statusText;
  logTo('call-log', res.ok ? 'tone-bad' : 'tone-good', [
    [`GET /data (plain fetch, copied token, ${scheme} scheme)`, 'name'], [`→ ${res.status}`, 'status'], ['no proof, no key', 'detail'],
  ], { testid: 'replay-log-entry', status: res.status, scheme });
  if (res.ok) {
    return {
      tone: 'bad', status: res.status, text: `HTTP ${res.status}: accepted — the copied token works without any key (${body?.records?.length ?? '?'} records of ${body?.tenant ?? '?'})`,
    };
  }
  return { tone: 'good', status: res.status, code: error, text: `refused: HTTP ${res.status}${error ? ` ${error}` : ''}: ${description}` };
}

async function replayWithoutKey() {
  for (const id of ['replay-dpop', 'replay-bearer', 'replay-sdk']) replayResult(id, { text: 'working…', tone: 'warn' });
  setButtons(false);
  try {
    let token;
    try {
      token = await auth.getAccessToken({ resource: apiUrl, scope: 'data:read' });
    } catch (err) {
      const failed = { tone: 'bad', code: codeOf(err), text: `no token to copy: ${codeOf(err)}: ${messageOf(err)}` };
      replayResult('replay-dpop', failed);
      replayResult('replay-bearer', failed);
      replayResult('replay-sdk', { text: 'not tried', tone: 'warn' });
      return;
    }
    const asDpop = await replayCopy(token, 'DPoP');
    const asBearer = await replayCopy(token, 'Bearer');
    token = null; // the copy is dropped: never displayed, logged or stored
    replayResult('replay-dpop', asDpop);
    replayResult('replay-bearer', asBearer);
    try {
      const res = await auth.fetch(api('data'), { scope: 'data:read' });
      const body = await bodyOf(res);
      replayResult('replay-sdk', res.ok
        ? { status: res.status, text: `HTTP ${res.status}: ${body?.records?.length ?? '?'} records of ${body?.tenant ?? '?'}${clientChoice === 'dpop' ? ' (the SDK signed a DPoP proof with its key)' : ''}` }
        : describeRefusal(res, body));
    } catch (err) {
      replayResult('replay-sdk', { tone: 'bad', code: codeOf(err), text: `${codeOf(err)}: ${explain(err)}` });
    }
  } finally {
    setButtons(document.body.dataset.state === 'authenticated');
    renderTokens();
  }
}

/** The row a RUN entry belongs to. */
const rowOf = (name) => (name.startsWith('premium') || name === 'standard' ? 'premium' : name);

async function run(name) {
  const step = rowOf(name);
  hideFollowUps(step);
  result(step, 'working…', { tone: 'warn' });
  setButtons(false);
  try {
    const outcome = await RUN[name]();
    result(step, outcome.text, outcome);
  } catch (err) {
    onStepError(step, name, err);
  } finally {
    setButtons(document.body.dataset.state === 'authenticated');
    renderTokens();
  }
}

function onStepError(step, name, err) {
  const code = codeOf(err);
  if (code === 'consent_required') {
    const scope = typeof err.scope === 'string' && err.scope ? err.scope : '';
    const button = rowButton(step, 'grant');
    button.textContent = scope ? `Grant ${scope}` : 'Grant access';
    button.dataset.scope = scope;
    button.dataset.resume = name;
    button.hidden = false;
    result(step, `consent required for ${scope || 'a scope'}${err.resource ? ` at ${err.resource}` : ''}: click “${button.textContent}”`, { tone: 'warn', code });
    return;
  }
  if (code === 'step_up_required') {
    const button = rowButton(step, 'stepup');
    if (!button.textContent) button.textContent = 'Re-authenticate with a second factor';
    button.dataset.acrValues = typeof err.acrValues === 'string' ? err.acrValues : '';
    button.dataset.maxAge = err.maxAge === undefined || err.maxAge === null ? '' : String(err.maxAge);
    button.dataset.resume = name;
    button.hidden = false;
    result(step, `step-up required (acr_values ${err.acrValues ?? '-'}, max_age ${err.maxAge ?? '-'}): click “${button.textContent}”`, { tone: 'warn', code });
    return;
  }
  result(step, `${code}: ${explain(err)}${ERROR_TEXT[code] ? ` (${messageOf(err)})` : ''}`, { tone: 'bad', code });
}

async function loadAudit() {
  try {
    const res = await auth.fetch(api('audit'), { scope: 'data:read' });
    const body = await bodyOf(res);
    const list = $('audit-lines');
    list.replaceChildren();
    if (!res.ok) {
      logTo('audit-lines', 'tone-bad', [[`HTTP ${res.status} ${body?.error ?? ''}`, 'detail']]);
      return;
    }
    for (const line of body.lines ?? []) {
      const li = document.createElement('li');
      li.className = line.result === 'executed' ? 'tone-good' : 'tone-bad';
      li.dataset.testid = 'audit-line';
      li.dataset.result = line.result;
      li.textContent = `${line.time} ${line.sub}@${line.tenant} "${line.command}" ${line.result} (acr ${line.acr ?? '-'}, token ${String(line.jti).slice(0, 8)}…)`;
      list.append(li);
    }
  } catch (err) {
    logTo('audit-lines', 'tone-bad', [[`${codeOf(err)}: ${messageOf(err)}`, 'detail']]);
  }
}

// ---- consent and step-up: a login with more, back here, the step again ----------------------

const returnTo = (name) => `${location.origin}/agent/?resume=${encodeURIComponent(name)}`;

// The scopes this tab was granted beyond the base scope (names only, no secret). A new
// authorization request asks for them again with whatever is new: the provider's new refresh
// token covers exactly the scope of the last request, so a step-up or a second consent would
// otherwise drop what was granted before. Kept in sessionStorage across the redirect; committed
// when the login comes back, dropped when it fails, cleared by Log in / Log out.
const GRANTED_KEY = 'agent:granted-scopes';
const PENDING_KEY = 'agent:pending-scopes';
const scopesIn = (key) => (sessionStorage.getItem(key) ?? '').split(' ').filter(Boolean);
function extraScope(...more) {
  const base = new Set(config.scope.split(' '));
  return [...new Set([...scopesIn(GRANTED_KEY), ...more.flatMap((m) => (m ?? '').split(' '))])]
    .filter((s) => s && !base.has(s)).join(' ');
}
function settleScopes(success) {
  if (success) {
    const all = [...new Set([...scopesIn(GRANTED_KEY), ...scopesIn(PENDING_KEY)])].join(' ');
    if (all) sessionStorage.setItem(GRANTED_KEY, all);
  }
  sessionStorage.removeItem(PENDING_KEY);
}

async function leaveFor(options) {
  if (options.scope) sessionStorage.setItem(PENDING_KEY, options.scope);
  else sessionStorage.removeItem(PENDING_KEY);
  redirecting = true;
  setButtons(false);
  setState('loading', 'going to the provider…');
  try {
    await auth.loginWithRedirect(options);
  } catch (err) {
    redirecting = false;
    setState('authenticated');
    setButtons(true);
    showError(err, 'Could not start the sign-in');
  }
}

function onGrant(event) {
  const button = event.target.closest('button[id^="grant-"]');
  if (!button) return;
  leaveFor({ scope: extraScope(button.dataset.scope) || undefined, returnTo: returnTo(button.dataset.resume) });
}

function onStepUp(event) {
  const button = event.target.closest('button[id^="stepup-"]');
  if (!button) return;
  const extraParams = {};
  if (button.dataset.acrValues) extraParams.acr_values = button.dataset.acrValues;
  if (button.dataset.maxAge) extraParams.max_age = button.dataset.maxAge;
  leaveFor({ scope: extraScope() || undefined, extraParams, returnTo: returnTo(button.dataset.resume) });
}

// ---- start-up ------------------------------------------------------------------------------

function subscribe() {
  auth.on('fetch', (e) => {
    let where = e.url;
    try {
      const u = new URL(e.url);
      where = `${u.pathname}${u.search}`;
    } catch { /* keep the url */ }
    const tone = e.status >= 200 && e.status < 300 ? 'tone-good' : (e.status === 0 ? 'tone-warn' : 'tone-bad');
    logTo('call-log', tone, [
      [`${e.method} ${where}`, 'name'],
      [`→ ${e.status}`, 'status'],
      [`token ${e.tokenId ?? '(none)'}`, 'token'],
      [`scope ${e.scope ?? '-'}`, 'detail'],
      [e.retried ? 'retried after a refresh' : '', 'detail'],
    ], {
      testid: 'call-log-entry', status: e.status, tokenId: e.tokenId, scope: e.scope, resource: e.resource, retried: Boolean(e.retried),
    });
    renderTokens();
  });
  for (const name of ['consentRequired', 'stepUpRequired', 'tokenRefreshed', 'sessionExpired', 'loggedOut', 'error', 'warning']) {
    try {
      auth.on(name, (payload) => {
        logEvent(name, payload);
        renderTokens();
        if (name === 'sessionExpired' || name === 'loggedOut') renderLoggedOut(name === 'loggedOut' ? 'logged out' : 'session expired: log in again');
      });
    } catch (err) {
      logEvent('error', err); // an event this SDK build does not know: shown, not fatal
    }
  }
}

async function main() {
  const response = await fetch('/agent/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`cannot load /agent/config.json (HTTP ${response.status})`);
  config = await response.json();
  apiUrl = config.resourceServers?.[0] ?? config.demo?.agentApi;
  $('api-url').textContent = apiUrl;
  $('base-scope').textContent = config.scope;

  $('client-choice').value = clientChoice;
  $('client-choice').addEventListener('change', (e) => {
    const next = CLIENT_CHOICES.includes(e.target.value) ? e.target.value : 'demo';
    sessionStorage.setItem(CLIENT_KEY, next);
    sessionStorage.removeItem(GRANTED_KEY);
    location.assign(`/agent/?client=${next}`);
  });
  const dpop = clientChoice === 'dpop';
  const clientId = dpop ? config.dpopClientId ?? 'spa-dpop' : config.clientId;
  $('client-id').textContent = clientId;
  document.body.dataset.client = clientChoice;

  await init();
  auth = await AuthClient.create({
    issuer: config.issuer,
    clientId,
    redirectUri: config.redirectUri,
    scope: config.scope,
    resourceServers: config.resourceServers,
    ...(dpop ? { dpop: true } : {}),
  });
  subscribe();

  $('login').addEventListener('click', () => {
    sessionStorage.removeItem(GRANTED_KEY);
    leaveFor({});
  });
  $('logout').addEventListener('click', async () => {
    sessionStorage.removeItem(GRANTED_KEY);
    setButtons(false);
    try {
      await auth.logout({ postLogoutRedirectUri: `${location.origin}/agent/` });
    } catch (err) {
      showError(err, 'Logout failed');
    }
  });
  $('step-read').addEventListener('click', () => run('read'));
  $('step-write').addEventListener('click', () => run('write'));
  $('step-external').addEventListener('click', () => run('external'));
  $('step-exec').addEventListener('click', () => run('exec'));
  $('step-premium').addEventListener('click', () => run('premium'));
  $('step-premium-over').addEventListener('click', () => run('premium-over'));
  $('step-standard').addEventListener('click', () => run('standard'));
  $('step-tenant').addEventListener('click', () => run('tenant'));
  $('step-foreign').addEventListener('click', () => run('foreign'));
  $('load-audit').addEventListener('click', () => loadAudit());
  $('replay-without-key').addEventListener('click', () => replayWithoutKey());
  $('card-scenarios').addEventListener('click', (e) => { onGrant(e); onStepUp(e); });
  $('clear-calls').addEventListener('click', () => $('call-log').replaceChildren());
  $('clear-events').addEventListener('click', () => $('event-log').replaceChildren());

  let state;
  try {
    state = await auth.start();
  } catch (err) {
    settleScopes(false);
    showError(err, codeOf(err) === 'authorization_error' ? 'The sign-in was not completed' : 'Sign-in failed');
    renderLoggedOut('not logged in');
    return;
  }
  if (state === 'redirecting') return; // a silent sign-in is under way: render nothing
  settleScopes(state === 'authenticated');
  if (state !== 'authenticated') {
    sessionStorage.removeItem(GRANTED_KEY);
    renderLoggedOut();
    return;
  }
  renderSession();

  // Back from a consent or step-up login (returnTo): run the step that asked for it.
  const resume = new URLSearchParams(location.search).get('resume');
  if (resume !== null) history.replaceState(history.state, '', '/agent/');
  if (resume && Object.hasOwn(RUN, resume)) {
    logEvent('resume', { step: resume });
    await run(resume);
  }
}

setInterval(() => { if (auth && document.body.dataset.state === 'authenticated') renderTokens(); }, 5000);

main().catch((err) => {
  setState('error', `error (${codeOf(err)})`);
  showError(err, 'The page could not start');
  console.error(`[agent console] ${codeOf(err)}: ${messageOf(err)}`);
});
