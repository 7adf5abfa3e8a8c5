// spa-oauth benchmark: bundle size and speed in headless Chromium against oauth4webapi and
// oidc-client-ts. Run with `npm run bench` (scripts/bench.sh builds pkg/ first). Not part of
// `npm test`.
//
//   node bench/run.mjs [--rounds 15] [--ops 1000] [--batches 5] [--fetch-ops 100] [--cb-ops 100] [--imports 10] [--no-write]
//
// 1. Bundles the peers from bench/entries/*.js with esbuild (--bundle --minify --format=esm) into
//    bench/dist/ and measures raw / gzip -9 / brotli q11 of each; spa-oauth's size is what
//    scripts/size.mjs measures (pkg/spa_oauth_bg.wasm + pkg/spa_oauth.js minified by esbuild, as
//    a bundler ships it): the same numbers as the size budget of `npm test`; the full build
//    (pkg/full/, `spa-oauth-wasm/full`) measured the same way (scripts/size.mjs on pkg/full).
// 2. Serves bench/ and pkg/ on 127.0.0.1 (ephemeral port, cross-origin isolated for 5 µs timers;
//    /bench/ and /pkg/ with no-store, /cached/bench/ and /cached/pkg/ with max-age) and drives
//    Debian Chromium (playwright-core, fresh profile): each round opens a fresh tab of
//    bench/page.html per library (order rotated every round), times import→ready (cold), runs
//    the scenarios of bench/page.js (batches, or single operations prepared outside the timing),
//    then times import + init again in the loaded page (warm HTTP cache, fresh module URLs); the
//    WebCrypto floor gets its own tab in the same rotation. Entries of a scenario's `interleave`
//    list (the DPoP and Bearer clients) run their batches alternately in one call. The server
//    also answers the token endpoints of the logged-in scenarios and the DPoP rows' resource
//    server (/bench/token, /bench/as/token, /bench/api/).
// 3. Prints Markdown tables and writes bench/results.json.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync, realpathSync } from 'node:fs';
import { webcrypto } from 'node:crypto';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zc, gzipSync } from 'node:zlib';

import esbuild from 'esbuild';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = path.join(ROOT, 'bench');
const DIST = path.join(BENCH, 'dist');
const PKG = path.join(ROOT, 'pkg');
const CHROMIUM = '/usr/bin/chromium';

const OURS = 'spa-oauth';
const PEERS = ['oauth4webapi', 'oidc-client-ts'];
const LIBS = [OURS, ...PEERS];

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} needs a positive integer`);
  return v;
}
const ROUNDS = arg('rounds', 15);
const OPS = arg('ops', 1000);
const BATCHES = arg('batches', 5);
const FETCH_OPS = arg('fetch-ops', 100); // operations per batch of the scenarios that fetch (DPoP proof)
const WARMUP_BATCHES = 1;
const CB_OPS = arg('cb-ops', 100); // timed operations per round of each per-op scenario
const CB_WARMUP = 10; // untimed operations before them
const IMPORTS = arg('imports', 10); // timed warm imports per tab and library
const SIGNING_KEYS = 17; // RS256 keys of the callback scenarios (> spa-oauth's 16 cached keys)
const WRITE = !process.argv.includes('--no-write');

const log = (...a) => console.error('[bench]', ...a);
const t0 = Date.now();

// ---------------------------------------------------------------------------------------------
// helpers
function pkgVersion(dir) {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}
function compressedSizes(buf) {
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    // The parameters of scripts/size.mjs, so the numbers agree.
    brotli: brotliCompressSync(buf, { params: { [zc.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}
function sumSizes(list) {
  return list.reduce((a, s) => ({ raw: a.raw + s.raw, gzip: a.gzip + s.gzip, brotli: a.brotli + s.brotli }), { raw: 0, gzip: 0, brotli: 0 });
}
function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
const median = (v) => quantile(v, 0.5);
const p90 = (v) => quantile(v, 0.9);
const fmt = (x, d = 2) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(d));
const fmtInt = (x) => String(x).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
// `align`: one letter per column, 'l' or 'r'.
function table(header, rows, align) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((h, i) => (align[i] === 'r' ? '---:' : '---')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// 1. sizes
for (const f of ['spa_oauth_bg.wasm', 'spa_oauth.js', 'package.json', 'full/spa_oauth_bg.wasm', 'full/spa_oauth.js']) {
  try {
    statSync(path.join(PKG, f));
  } catch {
    throw new Error(`pkg/${f} is missing: run \`npm run build\` (npm run bench does)`);
  }
}

rmSync(DIST, { recursive: true, force: true });
const bundles = {};
for (const peer of PEERS) {
  const outfile = path.join(DIST, `${peer}.js`);
  await esbuild.build({
    entryPoints: [path.join(BENCH, 'entries', `${peer}.js`)],
    bundle: true,
    minify: true,
    format: 'esm',
    outfile,
    logLevel: 'warning',
    absWorkingDir: ROOT,
  });
  bundles[peer] = outfile;
}

const versions = {
  [OURS]: pkgVersion(PKG),
  oauth4webapi: pkgVersion(path.join(ROOT, 'node_modules', 'oauth4webapi')),
  'oidc-client-ts': pkgVersion(path.join(ROOT, 'node_modules', 'oidc-client-ts')),
  esbuild: esbuild.version,
  'playwright-core': pkgVersion(path.join(ROOT, 'node_modules', 'playwright-core')),
};

// spa-oauth: exactly what scripts/size.mjs measures (run as a child process, so the two can
// never disagree): the wasm + the wasm-bindgen glue minified by esbuild (transformSync, minify).
const sizeJsonOf = (dir) =>
  JSON.parse(
    execFileSync(process.execPath, ['scripts/size.mjs', '--json'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PKG_OUT: dir } })
      .trim()
      .split('\n')
      .pop(),
  );
const sizeJson = sizeJsonOf(PKG);
// The full build: scripts/size.mjs with PKG_OUT=pkg/full measures pkg/full/ as its first build
// (its --json prints the first build only), so the same code measures both.
const sizeJsonFull = sizeJsonOf(path.join(PKG, 'full'));
const FULL = `${OURS} (full)`;
const oursParts = { 'spa_oauth_bg.wasm': sizeJson.wasm, 'spa_oauth.js (minified)': sizeJson.glue };
const sizes = {
  [OURS]: {
    files: ['pkg/spa_oauth_bg.wasm', 'pkg/spa_oauth.js (esbuild --minify, as scripts/size.mjs)'],
    parts: oursParts,
    glueUnminified: sizeJson.glueUnminified,
    ...sumSizes(Object.values(oursParts)),
  },
};
{
  const parts = { 'full/spa_oauth_bg.wasm': sizeJsonFull.wasm, 'full/spa_oauth.js (minified)': sizeJsonFull.glue };
  sizes[FULL] = {
    files: ['pkg/full/spa_oauth_bg.wasm', 'pkg/full/spa_oauth.js (esbuild --minify, as scripts/size.mjs)'],
    parts,
    glueUnminified: sizeJsonFull.glueUnminified,
    ...sumSizes(Object.values(parts)),
  };
}
for (const peer of PEERS) {
  sizes[peer] = { files: [`bench/dist/${peer}.js`], entry: `bench/entries/${peer}.js`, ...compressedSizes(readFileSync(bundles[peer])) };
}

const sizeTable = table(
  ['library', 'what', 'raw (B)', 'gzip -9 (B)', 'brotli q11 (B)', 'ours/this, gzip'],
  [OURS, FULL, ...PEERS].map((lib) => [
    lib === FULL ? `${OURS} ${versions[OURS]} full build` : `${lib} ${versions[lib]}`,
    lib === OURS
      ? '`spa_oauth_bg.wasm` + `spa_oauth.js` minified (esbuild, as scripts/size.mjs)'
      : lib === FULL
        ? '`full/spa_oauth_bg.wasm` + `full/spa_oauth.js` minified, the same way (`spa-oauth-wasm/full`: + `auth.fetch`, DPoP, PAR)'
        : `esbuild bundle of \`bench/entries/${lib}.js\``,
    fmtInt(sizes[lib].raw),
    fmtInt(sizes[lib].gzip),
    fmtInt(sizes[lib].brotli),
    fmt(sizes[OURS].gzip / sizes[lib].gzip),
  ]),
  'llrrrr',
);
const W = oursParts['spa_oauth_bg.wasm'];
const G = oursParts['spa_oauth.js (minified)'];
const sizeNote = `spa-oauth parts: wasm ${fmtInt(W.raw)} B raw / ${fmtInt(W.gzip)} B gzip / ${fmtInt(W.brotli)} B brotli; wasm-bindgen JS glue minified ${fmtInt(G.raw)} / ${fmtInt(G.gzip)} / ${fmtInt(G.brotli)} B (unminified as in pkg/: ${fmtInt(sizeJson.glueUnminified.raw)} / ${fmtInt(sizeJson.glueUnminified.gzip)} / ${fmtInt(sizeJson.glueUnminified.brotli)} B). Each file compressed on its own, then summed. Full build: wasm ${fmtInt(sizeJsonFull.wasm.raw)} / ${fmtInt(sizeJsonFull.wasm.gzip)} / ${fmtInt(sizeJsonFull.wasm.brotli)} B, glue minified ${fmtInt(sizeJsonFull.glue.raw)} / ${fmtInt(sizeJsonFull.glue.gzip)} / ${fmtInt(sizeJsonFull.glue.brotli)} B; ${fmtInt(sizes[FULL].gzip - sizes[OURS].gzip)} B gzip more than the default build (×${fmt(sizes[FULL].gzip / sizes[OURS].gzip)}).`;
log('sizes measured');

// ---------------------------------------------------------------------------------------------
// 2. static server (127.0.0.1 only)
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
};
// /cached/...: the same files with a cacheable response (the warm import + init row).
const MOUNTS = { '/bench/': BENCH, '/pkg/': PKG, '/cached/bench/': BENCH, '/cached/pkg/': PKG };
const server = createServer((req, res) => {
  const cached = req.url.startsWith('/cached/');
  const headers = {
    'Cache-Control': cached ? 'public, max-age=3600' : 'no-store',
    // Cross-origin isolation gives performance.now() 5 µs resolution instead of 100 µs.
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
  };
  const send = (status, body, type = 'text/plain; charset=utf-8') => {
    res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  // The token endpoint of the cached-getAccessToken scenario (bench/page.js): a fixed, valid
  // bearer token response, so spa-oauth can complete a real login flow in the page once.
  if (req.method === 'POST' && req.url === '/bench/token') {
    req.resume();
    return send(200, JSON.stringify({ access_token: `bench-at-${Date.now()}`, token_type: 'Bearer', expires_in: 3600, scope: 'profile' }), 'application/json');
  }
  // The DPoP-proof scenario (bench/page.js dpopProof): an authorization server's token endpoint
  // and a resource server, with CORS for Authorization and DPoP (the page calls them from its own
  // origin, so no preflight is sent; the headers are there for a cross-origin set-up). Neither
  // checks proofs; both do the same work for a DPoP and a Bearer request.
  if (req.url === '/bench/as/token' || req.url.startsWith('/bench/api/')) {
    const cors = {
      'Access-Control-Allow-Origin': req.headers.origin ?? '*',
      'Access-Control-Allow-Headers': 'authorization, dpop, content-type',
      'Access-Control-Allow-Methods': 'GET, POST',
      'Access-Control-Expose-Headers': 'dpop-nonce, www-authenticate',
      'Access-Control-Max-Age': '600',
      Vary: 'Origin',
    };
    const answer = (status, body) => {
      res.writeHead(status, { ...headers, ...cors, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    req.resume();
    if (req.method === 'OPTIONS') return answer(204, '');
    const dpop = typeof req.headers.dpop === 'string';
    // Token endpoint (authorization code and refresh grants alike): a DPoP-bound token when the
    // request carries a proof (RFC 9449 §5), a bearer token otherwise; a refresh token so that
    // the resource server's token (RFC 8707) can be asked for.
    if (req.url === '/bench/as/token' && req.method === 'POST') {
      return answer(200, JSON.stringify({ access_token: `bench-at-${webcrypto.randomUUID()}`, token_type: dpop ? 'DPoP' : 'Bearer', expires_in: 3600, scope: 'profile', refresh_token: `bench-rt-${webcrypto.randomUUID()}` }));
    }
    // Resource: 200 and a tiny body saying how the request was authorized.
    if (req.method === 'GET') {
      const scheme = /^(\w+) /.exec(req.headers.authorization ?? '')?.[1] ?? null;
      return answer(200, JSON.stringify({ scheme, proofChars: dpop ? req.headers.dpop.length : 0 }));
    }
    return answer(405, '{}');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
  } catch {
    return send(400, 'bad request');
  }
  if (pathname === '/' || pathname === '/page.html') pathname = '/bench/page.html';
  const mount = Object.keys(MOUNTS).sort((a, b) => b.length - a.length).find((m) => pathname.startsWith(m));
  if (!mount) return send(404, 'not found');
  const base = MOUNTS[mount];
  const file = path.resolve(base, `.${pathname.slice(mount.length - 1)}`);
  try {
    const real = realpathSync(file);
    if (real !== base && !real.startsWith(realpathSync(base) + path.sep)) return send(404, 'not found');
    if (!statSync(real).isFile()) return send(404, 'not found');
    return send(200, readFileSync(real), TYPES[path.extname(real)] ?? 'application/octet-stream');
  } catch {
    return send(404, 'not found');
  }
});
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', resolve);
});
const ORIGIN = `http://127.0.0.1:${server.address().port}`;
const PAGE_URL = `${ORIGIN}/bench/page.html`;
log(`serving ${ORIGIN}`);

// ---------------------------------------------------------------------------------------------
// 3. Chromium
// RS256 signing keys of the callback scenarios, made once here (RSA key generation in every tab
// would take seconds) and handed to each tab as private JWKs.
const signingKeys = [];
for (let i = 0; i < SIGNING_KEYS; i++) {
  const pair = await webcrypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  );
  signingKeys.push(await webcrypto.subtle.exportKey('jwk', pair.privateKey));
}

const profile = mkdtempSync(path.join(os.tmpdir(), 'spa-oauth-bench-'));
let context;
const pageProblems = [];
const loadAvgStart = os.loadavg();
const importMs = Object.fromEntries(LIBS.map((l) => [l, []]));
const importWarmMs = Object.fromEntries(LIBS.map((l) => [l, []])); // per round: [ms, ...]
const warmCache = {}; // 'lib: path' -> { fromHttpCache, fetched } (Resource Timing, warm imports)
const scenarioRuns = {}; // scenario -> entry -> [{ perOpUs, median, sample, wasmMemoryBytes }]
let pageInfo;
let browserVersion = null;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  browserVersion = context.browser()?.version() ?? null;

  async function withPage(fn) {
    const page = await context.newPage();
    page.on('pageerror', (e) => pageProblems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') pageProblems.push(`console.${m.type()}: ${m.text()}`);
    });
    try {
      await page.goto(PAGE_URL, { waitUntil: 'load' });
      await page.waitForFunction(() => typeof window.bench === 'object');
      return await fn(page);
    } finally {
      await page.close();
    }
  }

  pageInfo = await withPage((page) => page.evaluate(() => window.bench.info()));
  if (!pageInfo.isSecureContext) throw new Error('benchmark page is not a secure context (crypto.subtle unavailable)');
  const scenarios = pageInfo.scenarios;
  for (const [s, sc] of Object.entries(scenarios)) {
    scenarioRuns[s] = {};
    for (const e of Object.keys(sc.entries)) scenarioRuns[s][e] = [];
  }
  const participants = [...LIBS, 'floor'];
  const optsOf = (sc) => ({ n: sc.fetchBatches ? FETCH_OPS : OPS, batches: BATCHES, warmupBatches: WARMUP_BATCHES, perOpCount: CB_OPS, warmupOps: CB_WARMUP });
  log(`${ROUNDS} rounds × (${participants.join(', ')}); batch scenarios: ${BATCHES} batches × ${OPS} ops (fetch scenarios ${FETCH_OPS}) after ${WARMUP_BATCHES} warm-up batch; per-op scenarios: ${CB_OPS} ops after ${CB_WARMUP} warm-up ops; ${IMPORTS} warm imports per tab`);

  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order every round so no participant always runs first (or right after another).
    const order = participants.map((_, i) => participants[(i + r) % participants.length]);
    for (const who of order) {
      await withPage(async (page) => {
        await page.evaluate((k) => window.bench.setKeys(k), signingKeys);
        if (who !== 'floor') {
          const ms = await page.evaluate(([lib, tag]) => window.bench.importReady(lib, tag), [who, `${r}-${Date.now()}`]);
          importMs[who].push(ms);
        }
        for (const [s, sc] of Object.entries(scenarios)) {
          const own = Object.keys(sc.entries).filter((e) => sc.entries[e] === who);
          // `interleave`: these entries' batches alternate in one call (the DPoP and Bearer
          // clients share the tab's drift batch by batch); the first goes first in even rounds.
          const group = (sc.interleave ?? []).filter((e) => own.includes(e));
          if (group.length > 1) {
            if (r % 2 === 1) group.reverse();
            const res = await page.evaluate(([sn, es, o]) => window.bench.opsInterleaved(sn, es, o), [s, group, optsOf(sc)]);
            for (const e of group) scenarioRuns[s][e].push(res[e]);
          }
          for (const entry of own.filter((e) => !group.includes(e))) {
            const res = await page.evaluate(([sn, e, o]) => window.bench.ops(sn, e, o), [s, entry, optsOf(sc)]);
            scenarioRuns[s][entry].push(res);
          }
        }
        // Last in the tab, so the extra module instances cannot disturb the scenarios.
        if (who !== 'floor' && IMPORTS > 0) {
          const w = await page.evaluate(([lib, tag, n]) => window.bench.importWarm(lib, tag, n), [who, `${r}-${Date.now()}`, IMPORTS]);
          importWarmMs[who].push(w.ms);
          for (const res of w.resources) {
            const c = (warmCache[`${who}: ${res.name}`] ??= { fromHttpCache: 0, fetched: 0 });
            c.fetched++;
            if (res.fromHttpCache) c.fromHttpCache++;
          }
        }
      });
    }
    log(`round ${r + 1}/${ROUNDS} done`);
  }
} finally {
  await context?.close().catch(() => {});
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
const loadAvgEnd = os.loadavg();
if (!browserVersion) browserVersion = /Chrome\/([\d.]+)/.exec(pageInfo?.userAgent ?? '')?.[1] ?? null;

// ---------------------------------------------------------------------------------------------
// 4. statistics, tables
// Ratios are paired per round (same round, back-to-back tabs) and then the median is taken,
// which cancels most of the drift of a shared machine.
function pairedRatio(a, b) {
  const n = Math.min(a.length, b.length);
  const ratios = [];
  for (let i = 0; i < n; i++) ratios.push(a[i] / b[i]);
  return median(ratios);
}

function importStatsOf(perRound) {
  // perRound: one value per round (cold) or one list per round (warm).
  const all = perRound.flat();
  const roundMedians = perRound.map((v) => (Array.isArray(v) ? median(v) : v));
  return { all, roundMedians };
}
function importTableOf(byLib) {
  const stats = {};
  for (const lib of LIBS) {
    const { all, roundMedians } = importStatsOf(byLib[lib]);
    stats[lib] = { medianMs: median(all), p25Ms: quantile(all, 0.25), p75Ms: quantile(all, 0.75), p90Ms: p90(all), samples: all.length, roundMediansMs: roundMedians };
  }
  for (const lib of LIBS) stats[lib].oursOverThis = pairedRatio(stats[OURS].roundMediansMs, stats[lib].roundMediansMs);
  const t = table(
    ['library', 'median (ms)', 'p90 (ms)', 'p25–p75 (ms)', 'ours/this'],
    LIBS.map((lib) => {
      const s = stats[lib];
      return [lib, fmt(s.medianMs), fmt(s.p90Ms), `${fmt(s.p25Ms)}–${fmt(s.p75Ms)}`, fmt(s.oursOverThis)];
    }),
    'lrrrr',
  );
  return { stats, table: t };
}
const importCold = importTableOf(importMs);
const importWarm = importTableOf(importWarmMs);
for (const lib of LIBS) importCold.stats[lib].roundsMs = importMs[lib];
for (const lib of LIBS) importWarm.stats[lib].roundsMs = importWarmMs[lib];

const scenarioStats = {};
const scenarioTables = {};
const scenarioNotes = {};
const labelOf = (s, who) => (pageInfo.scenarios[s].labels?.[who] ?? (who === 'floor' ? pageInfo.scenarios[s].floorLabel ?? 'floor' : who === 'oauth4webapi+sig' ? 'oauth4webapi + validateApplicationLevelSignature' : who));
for (const [s, byWho] of Object.entries(scenarioRuns)) {
  const sc = pageInfo.scenarios[s];
  const roundMedians = Object.fromEntries(Object.entries(byWho).map(([w, runs]) => [w, runs.map((x) => x.median)]));
  scenarioStats[s] = { title: sc.title, perOp: sc.perOp, checks: sc.checks, participants: {} };
  const rows = [];
  for (const [who, runs] of Object.entries(byWho)) {
    const all = runs.flatMap((x) => x.perOpUs);
    const st = {
      label: labelOf(s, who),
      medianUsPerOp: median(all),
      p90UsPerOp: p90(all),
      p25UsPerOp: quantile(all, 0.25),
      p75UsPerOp: quantile(all, 0.75),
      oursOverThis: roundMedians[OURS] ? pairedRatio(roundMedians[OURS], roundMedians[who]) : null,
      roundMediansUsPerOp: roundMedians[who],
      samples: all.length,
      sample: runs[0]?.sample ?? null,
      wasmMemoryBytes: runs.map((x) => x.wasmMemoryBytes).filter(Boolean),
    };
    if (sc.perOp) st.allUs = all.map((x) => Math.round(x * 100) / 100);
    scenarioStats[s].participants[who] = st;
    rows.push([st.label, fmt(st.medianUsPerOp), fmt(st.p90UsPerOp), `${fmt(st.p25UsPerOp)}–${fmt(st.p75UsPerOp)}`, fmt(st.oursOverThis)]);
  }
  const unit = sc.perOp ? 'µs' : 'µs/op';
  scenarioTables[s] = table(['library', `median (${unit})`, `p90 (${unit})`, `p25–p75 (${unit})`, 'ours/this'], rows, 'lrrrr');
  if (sc.checks) {
    scenarioTables[`${s}:checks`] = Object.keys(byWho)
      .filter((who) => sc.checks[who])
      .map((who) => `- ${labelOf(s, who)}: ${sc.checks[who]}`)
      .join('\n');
  }
  // What one operation produced (first result of the first round), so the rows can be compared.
  const shapeRows = Object.entries(scenarioStats[s].participants)
    .filter(([, st]) => st.sample?.params)
    .map(([who, st]) => {
      const p = st.sample.params;
      const len = (k) => (k in p ? p[k].replace(/^<(\d+) chars>$/, '$1') : 'absent');
      return [who, Object.keys(p).join(', '), len('state'), len('nonce'), String(st.sample.codeVerifierLength), st.sample.challengeMatchesVerifier ? 'yes' : '**NO**'];
    });
  if (shapeRows.length) scenarioTables[`${s}:shape`] = table(['library', 'URL parameters', 'state chars', 'nonce chars', 'verifier chars', 'S256 challenge correct'], shapeRows, 'llrrrl');
  // Callback scenarios: spa-oauth against "oauth4webapi (claims only) + one signature check".
  const P = scenarioStats[s].participants;
  if (sc.perOp && P[OURS] && P.oauth4webapi && P.floor) {
    const target = P.oauth4webapi.medianUsPerOp + P.floor.medianUsPerOp;
    const perRound = pairedRatio(roundMedians[OURS], roundMedians.oauth4webapi.map((v, i) => v + roundMedians.floor[i]));
    scenarioStats[s].goal = { oauth4webapiPlusFloorUs: target, oursUs: P[OURS].medianUsPerOp, oursOverTarget: P[OURS].medianUsPerOp / target, oursOverTargetPairedPerRound: perRound };
    scenarioNotes[s] =
      `Goal "spa-oauth ≤ oauth4webapi + one signature check": oauth4webapi ${fmt(P.oauth4webapi.medianUsPerOp)} + ${labelOf(s, 'floor')} ${fmt(P.floor.medianUsPerOp)} = ${fmt(target)} µs; ` +
      `spa-oauth ${fmt(P[OURS].medianUsPerOp)} µs = ×${fmt(P[OURS].medianUsPerOp / target)} of it (median of per-round ratios ×${fmt(perRound)}).`;
  }
  // DPoP proof scenario: the proof's cost = DPoP fetch − Bearer fetch (same tab, same round),
  // against the bare ECDSA sign.
  if (sc.proofPair && P[OURS] && P['spa-oauth:bearer'] && P.floor) {
    const d = roundMedians[OURS];
    const b = roundMedians['spa-oauth:bearer'];
    const f = roundMedians.floor;
    const n = Math.min(d.length, b.length, f.length);
    const diffs = [];
    const ratios = [];
    for (let i = 0; i < n; i++) {
      diffs.push(d[i] - b[i]);
      ratios.push((d[i] - b[i]) / f[i]);
    }
    const overhead = P[OURS].medianUsPerOp - P['spa-oauth:bearer'].medianUsPerOp;
    const floorUs = P.floor.medianUsPerOp;
    scenarioStats[s].proof = {
      dpopFetchUs: P[OURS].medianUsPerOp,
      bearerFetchUs: P['spa-oauth:bearer'].medianUsPerOp,
      overheadUs: overhead,
      overheadPerRoundUs: diffs.map((x) => Math.round(x * 100) / 100),
      overheadMedianOfRoundsUs: median(diffs),
      overheadP25P75OfRoundsUs: [quantile(diffs, 0.25), quantile(diffs, 0.75)],
      floorSignUs: floorUs,
      floorInputBytes: P.floor.sample?.inputBytes ?? null,
      overheadOverFloor: overhead / floorUs,
      overheadOverFloorMedianOfRounds: median(ratios),
    };
    scenarioNotes[s] =
      `Proof cost = DPoP fetch − Bearer fetch: ${fmt(P[OURS].medianUsPerOp)} − ${fmt(P['spa-oauth:bearer'].medianUsPerOp)} = **${fmt(overhead)} µs per request** ` +
      `(median of per-round differences ${fmt(median(diffs))} µs, p25–p75 ${fmt(quantile(diffs, 0.25))}–${fmt(quantile(diffs, 0.75))}); ` +
      `floor (one ECDSA P-256 sign of ${P.floor.sample?.inputBytes ?? '?'} bytes) **${fmt(floorUs)} µs**: the proof costs **×${fmt(overhead / floorUs)}** the bare sign (median of per-round ratios ×${fmt(median(ratios))}).`;
  }
}

// Sanity checks of the first result of every operation.
const notes = [];
for (const [s, st] of Object.entries(scenarioStats)) {
  for (const [who, p] of Object.entries(st.participants)) {
    if (p.sample && 'challengeMatchesVerifier' in p.sample && !p.sample.challengeMatchesVerifier) notes.push(`${s}/${who}: code_challenge is NOT BASE64URL(SHA-256(code_verifier))`);
    if (p.sample && p.sample.tokenInMemory === false) notes.push(`${s}/${who}: the access token in memory is NOT the one the stubbed token endpoint sent`);
    if (pageInfo.scenarios[s].proofPair && who !== 'floor') {
      const want = who === OURS ? 'DPoP' : 'Bearer';
      if (p.sample?.scheme !== want) notes.push(`${s}/${who}: the resource server saw Authorization scheme ${p.sample?.scheme}, NOT ${want}`);
      if ((p.sample?.proofChars > 0) !== (want === 'DPoP')) notes.push(`${s}/${who}: DPoP header ${p.sample?.proofChars > 0 ? 'present' : 'absent'}, NOT as expected`);
    }
    if (p.sample && p.sample.nonceChecked === false) notes.push(`${s}/${who}: the ID token's nonce is NOT the transaction's`);
    for (const [before, after] of p.wasmMemoryBytes) {
      if (after > before) notes.push(`${s}/${who}: wasm memory grew from ${before} to ${after} bytes during ${(WARMUP_BATCHES + BATCHES) * (pageInfo.scenarios[s].fetchBatches ? FETCH_OPS : OPS)} ops`);
    }
  }
}
for (const p of new Set(pageProblems)) notes.push(`page: ${p}`);

// ---------------------------------------------------------------------------------------------
// 5. machine, results.json, output
function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {}
  return os.cpus()[0]?.model ?? 'unknown';
}
function gitRev() {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'Cargo.toml', 'Cargo.lock', 'scripts/build.sh'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${rev} (+ uncommitted changes in src/Cargo/build)` : rev;
  } catch {
    return null;
  }
}
const machine = {
  cpuModel: cpuModel(),
  cores: os.cpus().length,
  memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  loadAverage1mStartEnd: [Number(loadAvgStart[0].toFixed(2)), Number(loadAvgEnd[0].toFixed(2))],
  chromium: browserVersion,
  userAgent: pageInfo.userAgent,
  crossOriginIsolated: pageInfo.crossOriginIsolated,
  node: process.version,
  date: new Date().toISOString(),
};
const results = {
  machine,
  versions,
  git: gitRev(),
  settings: {
    rounds: ROUNDS,
    opsPerBatch: OPS,
    opsPerBatchFetchScenarios: FETCH_OPS,
    batchesPerRound: BATCHES,
    warmupBatches: WARMUP_BATCHES,
    perOpScenarioOpsPerRound: CB_OPS,
    perOpScenarioWarmupOps: CB_WARMUP,
    warmImportsPerTab: IMPORTS,
    signingKeys: SIGNING_KEYS,
    chromiumArgs: 'see bench/run.mjs',
  },
  sizes,
  importToReady: importCold.stats,
  importInitLoadedPage: { ...importWarm.stats, httpCache: warmCache },
  scenarios: scenarioStats,
  notes,
  durationSeconds: Math.round((Date.now() - t0) / 1000),
};
// Arrays of numbers on one line each (per-round and per-operation values), the rest indented.
const resultsText = JSON.stringify(results, null, 2).replace(/\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g, (_, inner) => `[${inner.split(/,\s+/).join(', ')}]`);
if (WRITE) writeFileSync(path.join(BENCH, 'results.json'), `${resultsText}\n`);

const out = [];
out.push(`### Machine\n`);
out.push(
  `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; Chromium ${machine.chromium} (headless), Node ${machine.node}; ` +
    `load average (1 min) ${machine.loadAverage1mStartEnd[0]} at start, ${machine.loadAverage1mStartEnd[1]} at end; ${machine.date}` +
    `${results.git ? `; spa-oauth at ${results.git}` : ''}.`,
);
out.push(`\n### Size (what an app downloads)\n`);
out.push(sizeTable);
out.push(`\n${sizeNote}`);
out.push(`\n### Import → ready, cold: fresh tab, nothing from the HTTP cache (${ROUNDS} rounds, one import per tab)\n`);
out.push(importCold.table);
if (IMPORTS > 0) {
  out.push(`\n### Import + init in a loaded page: fresh module URL each time, warm HTTP cache (${ROUNDS} rounds × ${IMPORTS} imports)\n`);
  out.push(importWarm.table);
  out.push(`\nHTTP cache during these imports (Resource Timing transferSize 0, includes the priming import): ${Object.entries(warmCache).map(([k, c]) => `${k} ${c.fromHttpCache}/${c.fetched}`).join('; ')}.`);
}
for (const s of Object.keys(scenarioStats)) {
  const sc = scenarioStats[s];
  const how = sc.perOp ? `time per operation, each timed alone (${ROUNDS} rounds × ${CB_OPS} ops after ${CB_WARMUP} warm-up ops)` : `time per operation (${ROUNDS} rounds × ${BATCHES} batches × ${pageInfo.scenarios[s].fetchBatches ? FETCH_OPS : OPS} ops)`;
  out.push(`\n### ${sc.title}: ${how}\n`);
  out.push(scenarioTables[s]);
  if (scenarioNotes[s]) out.push(`\n${scenarioNotes[s]}`);
  if (scenarioTables[`${s}:checks`]) out.push(`\nWhat each row checks:\n\n${scenarioTables[`${s}:checks`]}`);
  if (pageInfo.scenarios[s].proofPair) {
    const P = sc.participants;
    const seen = (who) => (P[who]?.sample ? `Authorization: ${P[who].sample.scheme}, DPoP header ${P[who].sample.proofChars ? `${P[who].sample.proofChars} chars` : 'absent'}` : '–');
    out.push(`\nWhat the ${P[OURS]?.sample?.stubbed ? 'in-page stub' : 'resource server'} saw (first request of the first round): DPoP client ${seen(OURS)}; Bearer client ${seen('spa-oauth:bearer')}.`);
  }
  if (scenarioTables[`${s}:shape`]) out.push(`\nWhat one operation produced:\n\n${scenarioTables[`${s}:shape`]}`);
}
out.push(`\n"ours/this" is spa-oauth's value divided by the row's (below 1: spa-oauth is smaller/faster). Speed ratios are medians of per-round ratios (of per-round medians). p90 and p25–p75 are over all batches (batch scenarios) or all single operations (per-op scenarios, import rows) of all rounds.`);
if (notes.length) out.push(`\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);
console.log(out.join('\n'));
log(`done in ${results.durationSeconds} s${WRITE ? '; wrote bench/results.json' : ''}`);
