// spa-oauth benchmark: bundle size and speed in headless Chromium against oauth4webapi and
// oidc-client-ts. Run with `npm run bench` (scripts/bench.sh builds pkg/ first). Not part of
// `npm test`.
//
//   node bench/run.mjs [--rounds 15] [--ops 1000] [--batches 5] [--no-write]
//
// 1. Bundles the peers from bench/entries/*.js with esbuild (--bundle --minify --format=esm) into
//    bench/dist/ and measures raw / gzip -9 / brotli q11 of each, and of pkg/spa_oauth_bg.wasm +
//    pkg/spa_oauth.js (what an app ships).
// 2. Serves bench/ and pkg/ on 127.0.0.1 (ephemeral port, no-store, cross-origin isolated for
//    5 µs timers) and drives Debian Chromium (playwright-core, fresh profile): each round opens a
//    fresh tab of bench/page.html per library (order rotated every round), times import→ready,
//    then times the operation scenarios of bench/page.js in batches; the WebCrypto floor gets
//    its own tab in the same rotation.
// 3. Prints Markdown tables and writes bench/results.json.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync, realpathSync } from 'node:fs';
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
const WARMUP_BATCHES = 1;
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
    brotli: brotliCompressSync(buf, {
      params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }).length,
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
for (const f of ['spa_oauth_bg.wasm', 'spa_oauth.js', 'package.json']) {
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

const oursParts = {
  'spa_oauth_bg.wasm': compressedSizes(readFileSync(path.join(PKG, 'spa_oauth_bg.wasm'))),
  'spa_oauth.js': compressedSizes(readFileSync(path.join(PKG, 'spa_oauth.js'))),
};
const sizes = {
  [OURS]: { files: ['pkg/spa_oauth_bg.wasm', 'pkg/spa_oauth.js'], parts: oursParts, ...sumSizes(Object.values(oursParts)) },
};
for (const peer of PEERS) {
  sizes[peer] = { files: [`bench/dist/${peer}.js`], entry: `bench/entries/${peer}.js`, ...compressedSizes(readFileSync(bundles[peer])) };
}

const sizeTable = table(
  ['library', 'what', 'raw (B)', 'gzip -9 (B)', 'brotli q11 (B)', 'ours/this, gzip'],
  LIBS.map((lib) => [
    `${lib} ${versions[lib]}`,
    lib === OURS ? '`spa_oauth_bg.wasm` + `spa_oauth.js` (pkg/, as shipped)' : `esbuild bundle of \`bench/entries/${lib}.js\``,
    fmtInt(sizes[lib].raw),
    fmtInt(sizes[lib].gzip),
    fmtInt(sizes[lib].brotli),
    fmt(sizes[OURS].gzip / sizes[lib].gzip),
  ]),
  'llrrrr',
);
const sizeNote = `spa-oauth parts: wasm ${fmtInt(oursParts['spa_oauth_bg.wasm'].raw)} B raw / ${fmtInt(oursParts['spa_oauth_bg.wasm'].gzip)} B gzip / ${fmtInt(oursParts['spa_oauth_bg.wasm'].brotli)} B brotli; JS (driver + loader) ${fmtInt(oursParts['spa_oauth.js'].raw)} / ${fmtInt(oursParts['spa_oauth.js'].gzip)} / ${fmtInt(oursParts['spa_oauth.js'].brotli)} B (each file compressed on its own, then summed).`;
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
const MOUNTS = { '/bench/': BENCH, '/pkg/': PKG };
const server = createServer((req, res) => {
  const headers = {
    'Cache-Control': 'no-store',
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
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
  } catch {
    return send(400, 'bad request');
  }
  if (pathname === '/' || pathname === '/page.html') pathname = '/bench/page.html';
  const mount = Object.keys(MOUNTS).find((m) => pathname.startsWith(m));
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
const profile = mkdtempSync(path.join(os.tmpdir(), 'spa-oauth-bench-'));
let context;
const pageProblems = [];
const loadAvgStart = os.loadavg();
const importMs = Object.fromEntries(LIBS.map((l) => [l, []]));
const scenarioRuns = {}; // scenario -> participant -> [{ perOpUs, median, sample, wasmMemoryBytes }]
const idTokenCandidates = new Set();
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
  for (const s of Object.keys(scenarios)) {
    scenarioRuns[s] = {};
    for (const p of [...scenarios[s].libs, ...(scenarios[s].floor ? ['floor'] : [])]) scenarioRuns[s][p] = [];
  }
  const participants = [...LIBS, 'floor'];
  const opts = { n: OPS, batches: BATCHES, warmupBatches: WARMUP_BATCHES };
  log(`${ROUNDS} rounds × (${participants.join(', ')}); ${BATCHES} batches × ${OPS} ops per scenario, ${WARMUP_BATCHES} warm-up batch`);

  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order every round so no participant always runs first (or right after another).
    const order = participants.map((_, i) => participants[(i + r) % participants.length]);
    for (const who of order) {
      await withPage(async (page) => {
        if (who !== 'floor') {
          const ms = await page.evaluate(([lib, tag]) => window.bench.importReady(lib, tag), [who, `${r}-${Date.now()}`]);
          importMs[who].push(ms);
          if (who === OURS) for (const n of await page.evaluate((lib) => window.bench.idTokenApiCandidates(lib), who)) idTokenCandidates.add(n);
        }
        for (const s of Object.keys(scenarios)) {
          if (!(who in scenarioRuns[s])) continue;
          const res = await page.evaluate(([sc, lib, o]) => window.bench.ops(sc, lib, o), [s, who, opts]);
          scenarioRuns[s][who].push(res);
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

const importStats = {};
for (const lib of LIBS) {
  const v = importMs[lib];
  importStats[lib] = { medianMs: median(v), p25Ms: quantile(v, 0.25), p75Ms: quantile(v, 0.75), oursOverThis: pairedRatio(importMs[OURS], v), roundsMs: v };
}
const importTable = table(
  ['library', 'median (ms)', 'p25–p75 (ms)', 'ours/this'],
  LIBS.map((lib) => {
    const s = importStats[lib];
    return [lib, fmt(s.medianMs), `${fmt(s.p25Ms)}–${fmt(s.p75Ms)}`, fmt(s.oursOverThis)];
  }),
  'lrrr',
);

const scenarioStats = {};
const scenarioTables = {};
for (const [s, byWho] of Object.entries(scenarioRuns)) {
  const roundMedians = Object.fromEntries(Object.entries(byWho).map(([w, runs]) => [w, runs.map((x) => x.median)]));
  scenarioStats[s] = { title: pageInfo.scenarios[s].title, participants: {} };
  const rows = [];
  for (const [who, runs] of Object.entries(byWho)) {
    const all = runs.flatMap((x) => x.perOpUs);
    const st = {
      medianUsPerOp: median(all),
      p25UsPerOp: quantile(all, 0.25),
      p75UsPerOp: quantile(all, 0.75),
      oursOverThis: roundMedians[OURS] ? pairedRatio(roundMedians[OURS], roundMedians[who]) : null,
      roundMediansUsPerOp: roundMedians[who],
      batches: all.length,
      sample: runs[0]?.sample ?? null,
      wasmMemoryBytes: runs.map((x) => x.wasmMemoryBytes).filter(Boolean),
    };
    scenarioStats[s].participants[who] = st;
    const label = who === 'floor' ? 'WebCrypto floor' : who;
    rows.push([label, fmt(st.medianUsPerOp), `${fmt(st.p25UsPerOp)}–${fmt(st.p75UsPerOp)}`, fmt(st.oursOverThis)]);
  }
  scenarioTables[s] = table(['library', 'median (µs/op)', 'p25–p75 (µs/op)', 'ours/this'], rows, 'lrrr');
  // What one operation produced (first result of the first round), so the rows can be compared.
  const shapeRows = Object.entries(scenarioStats[s].participants)
    .filter(([, st]) => st.sample)
    .map(([who, st]) => {
      const p = st.sample.params;
      const len = (k) => (k in p ? p[k].replace(/^<(\d+) chars>$/, '$1') : 'absent');
      return [who, Object.keys(p).join(', '), len('state'), len('nonce'), String(st.sample.codeVerifierLength), st.sample.challengeMatchesVerifier ? 'yes' : '**NO**'];
    });
  if (shapeRows.length) scenarioTables[`${s}:shape`] = table(['library', 'URL parameters', 'state chars', 'nonce chars', 'verifier chars', 'S256 challenge correct'], shapeRows, 'llrrrl');
}

// Sanity checks of the first result of every operation (parameter set, PKCE S256 correctness).
const notes = [];
for (const [s, st] of Object.entries(scenarioStats)) {
  for (const [who, p] of Object.entries(st.participants)) {
    if (p.sample && !p.sample.challengeMatchesVerifier) notes.push(`${s}/${who}: code_challenge is NOT BASE64URL(SHA-256(code_verifier))`);
    for (const [before, after] of p.wasmMemoryBytes) {
      if (after > before) notes.push(`${s}/${who}: wasm memory grew from ${before} to ${after} bytes during ${(WARMUP_BATCHES + BATCHES) * OPS} ops`);
    }
  }
}
// ID-token validation is timed by the idTokenRS256 / idTokenES256 scenarios of bench/page.js;
// this line only explains a missing row if those scenarios are ever removed.
const idTokenStatus = scenarioStats.idTokenRS256
  ? null
  : 'ID-token validation: not measured (no `idToken` scenario in bench/page.js, see TODO(id-token-validation) there).' +
    (idTokenCandidates.size
      ? ` spa-oauth exports these ID-token-related names: ${[...idTokenCandidates].join(', ')}; if one of them validates a given ID token by itself, add the scenario.`
      : ' spa-oauth exports no ID-token-related API.');
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
  settings: { rounds: ROUNDS, opsPerBatch: OPS, batchesPerRound: BATCHES, warmupBatches: WARMUP_BATCHES, chromiumArgs: 'see bench/run.mjs' },
  sizes,
  importToReady: importStats,
  scenarios: scenarioStats,
  idTokenValidation: idTokenStatus,
  notes,
  durationSeconds: Math.round((Date.now() - t0) / 1000),
};
if (WRITE) writeFileSync(path.join(BENCH, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

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
out.push(`\n### Import → ready in headless Chromium (${ROUNDS} rounds, fresh tab each)\n`);
out.push(importTable);
for (const s of Object.keys(scenarioStats)) {
  out.push(`\n### ${scenarioStats[s].title}: time per operation (${ROUNDS} rounds × ${BATCHES} batches × ${OPS} ops)\n`);
  out.push(scenarioTables[s]);
  if (scenarioTables[`${s}:shape`]) out.push(`\nWhat one operation produced:\n\n${scenarioTables[`${s}:shape`]}`);
}
if (idTokenStatus) out.push(`\n${idTokenStatus}`);
out.push(`\n"ours/this" is spa-oauth's value divided by the row's (below 1: spa-oauth is smaller/faster). Speed ratios are medians of per-round ratios.`);
if (notes.length) out.push(`\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);
console.log(out.join('\n'));
log(`done in ${results.durationSeconds} s${WRITE ? '; wrote bench/results.json' : ''}`);
