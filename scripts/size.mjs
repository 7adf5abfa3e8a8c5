// Size of the shipped SDK (pkg/*_bg.wasm + the JS driver): raw, gzip -9, brotli (max quality).
// `--report` prints; `--check` also fails when gzip exceeds the budget in size-budget.json.
import { readFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const dir = process.env.PKG_OUT || "pkg";
const files = [`${dir}/spa_oauth_bg.wasm`, `${dir}/spa_oauth.js`];
const sizes = { raw: 0, gzip: 0, brotli: 0 };
for (const f of files) {
  const b = readFileSync(f);
  sizes.raw += b.length;
  sizes.gzip += gzipSync(b, { level: 9 }).length;
  sizes.brotli += brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
}
const budget = JSON.parse(readFileSync("size-budget.json", "utf8")).gzipBytes;
console.log(`[size] wasm + JS: ${sizes.raw} B raw, ${sizes.gzip} B gzip -9, ${sizes.brotli} B brotli; budget ${budget} B gzip`);
if (process.argv.includes("--check") && sizes.gzip > budget) {
  console.error(`[size] FAIL: ${sizes.gzip} B gzip exceeds the budget of ${budget} B (size-budget.json)`);
  process.exit(1);
}
if (process.argv.includes("--json")) console.log(JSON.stringify(sizes));
