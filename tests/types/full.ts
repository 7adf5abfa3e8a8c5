// Compile-time test of the full build's declarations (pkg/full/spa_oauth.d.ts, the import
// `spa-oauth-wasm/full`): calls to resource servers type-check, misuse marked @ts-expect-error
// is rejected, and the default build does not declare them. Run by npm test (`tsc -p tests/types`).
import init, { AuthClient } from "../../pkg/full/spa_oauth.js";
import type { FetchEvent, SpaOAuthError, TokenInfo } from "../../pkg/full/spa_oauth.js";
import { AuthClient as CoreClient } from "../../pkg/spa_oauth.js";

export async function agent(): Promise<void> {
  await init();
  const auth = await AuthClient.create({
    issuer: "https://as.example", clientId: "c", redirectUri: "https://app.example/",
    scope: "openid offline_access data:read", resourceServers: ["https://api.example/"], resourceIndicators: true,
  });
  const r: Response = await auth.fetch("https://api.example/data", { scope: "data:read" });
  const r2: Response = await auth.fetch(new URL("https://api.example/data"), { method: "POST", body: "{}", scope: "data:write" });
  const r3: Response = await auth.fetch(new Request("https://api.example/data"));
  void r; void r2; void r3;
  const token: string = await auth.getAccessToken({ resource: "https://api.example/", scope: "data:read" });
  void token;
  const list: TokenInfo[] = auth.tokens();
  const resource: string | null | undefined = list[0]?.resource;
  void resource;
  const onFetch = (e: FetchEvent) => { const id: string = e.tokenId; const again: boolean = e.retried; void id; void again; };
  auth.on("fetch", onFetch);
  auth.off("fetch", onFetch);
  auth.on("consentRequired", (e: SpaOAuthError) => { void auth.loginWithRedirect({ scope: e.scope, returnTo: "https://app.example/x" }); });
  auth.on("stepUpRequired", (e) => { const acr: string | undefined = e.acrValues; const age: number | undefined = e.maxAge; void acr; void age; });
  // @ts-expect-error: scope is a space-separated string
  await auth.fetch("https://api.example/data", { scope: ["data:read"] });
  // @ts-expect-error: resourceServers is a list of URLs
  await AuthClient.create({ issuer: "i", clientId: "c", redirectUri: "r", resourceServers: "https://api.example/" });
  // @ts-expect-error: the fetch event hands out a FetchEvent
  auth.on("fetch", (e: SpaOAuthError) => { void e; });
}

export async function core(auth: CoreClient): Promise<void> {
  // @ts-expect-error: the default build has no fetch (it is in spa-oauth-wasm/full)
  await auth.fetch("https://api.example/data");
  // @ts-expect-error: nor resourceServers
  await CoreClient.create({ issuer: "i", clientId: "c", redirectUri: "r", resourceServers: [] });
}
