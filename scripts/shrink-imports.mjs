// Renames the wasm-bindgen import functions (`__wbg_<name>_<16 hex>`: ~45 bytes each, the hash
// part incompressible and present twice, in the .wasm import section and in the JS glue) to
// short names in both files alike: ~1.5 kB gzip for ~100 imports (BENCHMARKS.md). Run by
// scripts/build.sh after `wasm-pack build`, like a bundler's renaming; nothing else changes.
// Purely mechanical: each long name is unique, so a whole-word replacement in the glue is exact,
// and the script fails when a name is missing from the glue or a long name survives.
// The intrinsics wasm-bindgen names `__wbindgen_generic_<16 digits>` are renamed the same way,
// and the import module (`./spa_oauth_bg.js`, repeated before every import name in the .wasm)
// becomes `a` in both files: its one mention in the glue is the key of the imports object.
// Usage: node scripts/shrink-imports.mjs pkg/spa_oauth_bg.wasm pkg/spa_oauth.js
import { readFileSync, writeFileSync } from "node:fs";

const [wasmPath, jsPath] = process.argv.slice(2);
const wasm = readFileSync(wasmPath);
let js = readFileSync(jsPath, "utf8");

function readLeb(buf, pos) {
  let result = 0, shift = 0, byte;
  do { byte = buf[pos++]; result += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
  return [result, pos];
}
function leb(n) {
  const out = [];
  do { let b = n & 0x7f; n = Math.floor(n / 128); if (n) b |= 0x80; out.push(b); } while (n);
  return Buffer.from(out);
}
const str = (s) => Buffer.concat([leb(Buffer.byteLength(s)), Buffer.from(s)]);
const shortName = (i) => "w" + i.toString(36);
// The import module and its short name; the glue must name it exactly once, as the key of the
// object `__wbg_get_imports` returns.
const MODULE = "./spa_oauth_bg.js", SHORT_MODULE = "a";
const moduleKey = `"${MODULE}": import0,`;
if (js.split(moduleKey).length !== 2) throw new Error(`glue does not name ${MODULE} exactly once as the imports key`);
js = js.replace(moduleKey, `${SHORT_MODULE}: import0,`);

const parts = [wasm.subarray(0, 8)];
let pos = 8, renamed = 0;
while (pos < wasm.length) {
  const id = wasm[pos];
  const [size, bodyStart] = readLeb(wasm, pos + 1);
  const end = bodyStart + size;
  if (id !== 2) { parts.push(wasm.subarray(pos, end)); pos = end; continue; }
  // Import section: count, then (module, field, kind, desc) entries.
  let p = bodyStart, count;
  [count, p] = readLeb(wasm, p);
  const entries = [];
  for (let i = 0; i < count; i++) {
    let len;
    [len, p] = readLeb(wasm, p); const module = wasm.toString("utf8", p, p + len); p += len;
    [len, p] = readLeb(wasm, p); const field = wasm.toString("utf8", p, p + len); p += len;
    const descStart = p, kind = wasm[p++];
    if (kind === 0) { [, p] = readLeb(wasm, p); }                       // func: type index
    else if (kind === 1) { p++; const f = wasm[p++]; [, p] = readLeb(wasm, p); if (f & 1) [, p] = readLeb(wasm, p); } // table
    else if (kind === 2) { const f = wasm[p++]; [, p] = readLeb(wasm, p); if (f & 1) [, p] = readLeb(wasm, p); }      // memory
    else if (kind === 3) { p += 2; }                                    // global
    else throw new Error("unknown import kind " + kind);
    let name = field;
    if (/^(__wbg_[A-Za-z0-9_]+_[0-9a-f]{16}|__wbindgen_generic_[0-9]{16})$/.test(field) && js.includes(field)) {
      name = shortName(renamed++);
      const re = new RegExp(`\\b${field}\\b`, "g");
      const before = js.length;
      js = js.replace(re, name);
      if (js.length === before) throw new Error("glue does not mention " + field);
    }
    if (module !== MODULE) throw new Error("unexpected import module " + module);
    entries.push(Buffer.concat([str(SHORT_MODULE), str(name), wasm.subarray(descStart, p)]));
  }
  if (p !== end) throw new Error("import section parse mismatch");
  const body = Buffer.concat([leb(count), ...entries]);
  parts.push(Buffer.from([2]), leb(body.length), body);
  pos = end;
}
// No long name may survive in the glue.
const left = js.match(/__wbg_[A-Za-z0-9_]+_[0-9a-f]{16}\b|__wbindgen_generic_[0-9]{16}\b|\.\/spa_oauth_bg\.js/g);
if (left) throw new Error("unrenamed import names left in the glue: " + left.slice(0, 3).join(", "));
writeFileSync(wasmPath, Buffer.concat(parts));
writeFileSync(jsPath, js);
console.log(`[shrink-imports] ${renamed} import names shortened`);
