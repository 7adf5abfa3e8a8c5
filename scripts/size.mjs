// Size of what an app ships: pkg/spa_oauth_bg.wasm + the wasm-bindgen JS glue pkg/spa_oauth.js
// minified the way an app's bundler ships it (esbuild --minify; the unminified file is printed
// too). Raw, gzip -9, brotli (max quality), each file compressed on its own. The same for the
// package's second build, pkg/full/ (`spa-oauth-wasm/full`: feature resource-servers), against
// its own budget (`fullGzipBytes`).
// `--report` prints; `--check` also fails when gzip exceeds the budget in size-budget.json;
// `--json` prints the numbers as JSON.
import { existsSync, readFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { transformSync } from "esbuild";

const dir = process.env.PKG_OUT || "pkg";
const measure = (b) => ({
  raw: b.length,
  gzip: gzipSync(b, { level: 9 }).length,
  brotli: brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
});
function sizesOf(d) {
  const wasm = readFileSync(`${d}/spa_oauth_bg.wasm`);
  const glue = readFileSync(`${d}/spa_oauth.js`, "utf8");
  const minified = Buffer.from(transformSync(glue, { minify: true, format: "esm", logLevel: "warning" }).code);
  const w = measure(wasm);
  const j = measure(minified);
  return { raw: w.raw + j.raw, gzip: w.gzip + j.gzip, brotli: w.brotli + j.brotli, wasm: w, glue: j, glueUnminified: measure(Buffer.from(glue)) };
}
const budgets = JSON.parse(readFileSync("size-budget.json", "utf8"));
const builds = [{ name: "", dir, budget: budgets.gzipBytes }];
if (existsSync(`${dir}/full/spa_oauth_bg.wasm`)) builds.push({ name: " (full)", dir: `${dir}/full`, budget: budgets.fullGzipBytes });
let failed = false;
let first;
for (const b of builds) {
  const sizes = sizesOf(b.dir);
  first ??= sizes;
  console.log(`[size]${b.name} wasm + JS glue (minified): ${sizes.raw} B raw, ${sizes.gzip} B gzip -9, ${sizes.brotli} B brotli; budget ${b.budget} B gzip`);
  console.log(`[size]${b.name}   wasm ${sizes.wasm.gzip} B gzip; glue ${sizes.glue.gzip} B gzip minified (${sizes.glueUnminified.gzip} B unminified)`);
  if (process.argv.includes("--check") && sizes.gzip > b.budget) {
    console.error(`[size] FAIL: ${b.dir}: ${sizes.gzip} B gzip exceeds the budget of ${b.budget} B (size-budget.json)`);
    failed = true;
  }
}
if (failed) process.exit(1);
if (process.argv.includes("--json")) console.log(JSON.stringify(first));
