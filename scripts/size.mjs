// Size of what an app ships: pkg/spa_oauth_bg.wasm + the wasm-bindgen JS glue pkg/spa_oauth.js
// minified the way an app's bundler ships it (esbuild --minify; the unminified file is printed
// too). Raw, gzip -9, brotli (max quality), each file compressed on its own.
// `--report` prints; `--check` also fails when gzip exceeds the budget in size-budget.json;
// `--json` prints the numbers as JSON.
import { readFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { transformSync } from "esbuild";

const dir = process.env.PKG_OUT || "pkg";
const wasm = readFileSync(`${dir}/spa_oauth_bg.wasm`);
const glue = readFileSync(`${dir}/spa_oauth.js`, "utf8");
const minified = Buffer.from(transformSync(glue, { minify: true, format: "esm", logLevel: "warning" }).code);
const measure = (b) => ({
  raw: b.length,
  gzip: gzipSync(b, { level: 9 }).length,
  brotli: brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
});
const w = measure(wasm);
const j = measure(minified);
const jUnmin = measure(Buffer.from(glue));
const sizes = { raw: w.raw + j.raw, gzip: w.gzip + j.gzip, brotli: w.brotli + j.brotli, wasm: w, glue: j, glueUnminified: jUnmin };
const budget = JSON.parse(readFileSync("size-budget.json", "utf8")).gzipBytes;
console.log(`[size] wasm + JS glue (minified): ${sizes.raw} B raw, ${sizes.gzip} B gzip -9, ${sizes.brotli} B brotli; budget ${budget} B gzip`);
console.log(`[size]   wasm ${w.gzip} B gzip; glue ${j.gzip} B gzip minified (${jUnmin.gzip} B unminified)`);
if (process.argv.includes("--check") && sizes.gzip > budget) {
  console.error(`[size] FAIL: ${sizes.gzip} B gzip exceeds the budget of ${budget} B (size-budget.json)`);
  process.exit(1);
}
if (process.argv.includes("--json")) console.log(JSON.stringify(sizes));
