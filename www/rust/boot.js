// Loads the Rust page's module (examples/rust-spa, built by scripts/build-example.sh into
// www/rust/pkg/); its #[wasm_bindgen(start)] function runs the page. Only a failure to load it
// is handled here (text only; a dynamic import, so a missing build is reported too).
try {
  const { default: init } = await import('/rust/pkg/spa_oauth_example.js');
  await init();
} catch (err) {
  const code = 'example_wasm_unavailable';
  document.getElementById('error-code').textContent = code;
  document.getElementById('error-message').textContent = 'the page\'s WebAssembly module did not load (run scripts/build-example.sh)';
  document.getElementById('error').hidden = false;
  document.getElementById('status').textContent = `error (${code})`;
  document.body.dataset.state = 'error';
  console.error(`[rust example] ${code}: ${err?.message ?? String(err)}`);
}
