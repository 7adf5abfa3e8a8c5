// The SDK's fixed transport policy for back-channel requests (token, discovery, JWKS, UserInfo,
// revocation): never follow redirects (catalogue TE-20), never send cookies, never cache, no
// referrer, abort after `timeoutMs` (TE-19). `request` is a step result of the core:
// `{method, url, headers: [[name, value]], body}`. Resolves `{status, type, body (bytes),
// challenge (WWW-Authenticate)}`; rejects with the code "redirect_refused", "timeout" or
// "network_error". Shared by the driver and the browser tests (tests/web.rs).
export async function send(request, timeoutMs) {
  try {
    const r = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.method === "GET" ? undefined : request.body,
      redirect: "manual",
      credentials: "omit",
      cache: "no-store",
      mode: "cors",
      referrerPolicy: "no-referrer",
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (r.type === "opaqueredirect" || (r.status >= 300 && r.status < 400)) throw 3;
    const body = new Uint8Array(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get("content-type"), body, challenge: r.headers.get("www-authenticate") };
  } catch (e) {
    throw e === 3 ? "redirect_refused" : e?.name === "TimeoutError" ? "timeout" : "network_error";
  }
}
