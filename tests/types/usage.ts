// Compile-time test of the package's generated declarations (pkg/spa_oauth.d.ts): typical app
// code must type-check, and misuse marked @ts-expect-error must be rejected. Run by npm test
// (`tsc -p tests/types`); nothing here is executed.
import init, { AuthClient, createPkcePair, buildAuthorizationUrl, validateIdToken } from "../../pkg/spa_oauth.js";
import type { AuthClientOptions, SpaOAuthError, ErrorCode, IdTokenClaims, TokenRefreshedEvent } from "../../pkg/spa_oauth.js";

export async function app(): Promise<void> {
  await init();
  const options: AuthClientOptions = { issuer: "https://as.example", clientId: "c", redirectUri: "https://app.example/" };
  const auth: AuthClient = await AuthClient.create(options);
  if (auth.isRedirectCallback()) {
    const r = await auth.handleRedirectCallback();
    const scope: string = r.scope;
    const exp: number | null = r.expiresAt;
    void scope; void exp;
  }
  await auth.loginWithRedirect();
  await auth.loginWithRedirect({ scope: "openid", extraParams: { prompt: "login", resource: ["https://a/", "https://b/"] } });
  const url: string = await auth.createAuthorizationUrl();
  const token: string = await auth.getAccessToken();
  const claims: IdTokenClaims | null = auth.getIdTokenClaims();
  const sub: string | undefined = claims?.sub;
  const restored: boolean = await auth.restoreSession({ silent: false });
  await auth.logout({ postLogoutRedirectUri: "https://app.example/", revoke: true, redirect: false });
  const back: boolean = auth.handleLogoutCallback();
  const onRefresh = (e: TokenRefreshedEvent) => { const s: "refresh" | "tab" = e.source; void s; };
  auth.on("tokenRefreshed", onRefresh);
  auth.on("sessionExpired", (e) => { const c: string = e.code; void c; });
  auth.on("error", (e: SpaOAuthError) => { const code: ErrorCode = e.code; void code; });
  auth.off("tokenRefreshed", onRefresh);
  const pair = createPkcePair();
  const method: "S256" = pair.codeChallengeMethod;
  const built = buildAuthorizationUrl({ issuer: "https://as.example", authorizationEndpoint: "https://as.example/a", clientId: "c", redirectUri: "https://app.example/" });
  const validated: IdTokenClaims = await validateIdToken("a.b.c", { issuer: "https://as.example", clientId: "c", jwks: { keys: [] } });
  void url; void token; void sub; void restored; void back; void method; void built; void validated;

  // @ts-expect-error: clientId is required
  await AuthClient.create({ issuer: "https://as.example", redirectUri: "https://app.example/" });
  // @ts-expect-error: not an event
  auth.on("tokenrefreshed", () => {});
  // @ts-expect-error: the error event hands out a SpaOAuthError, not a TokenRefreshedEvent
  auth.on("error", (e: TokenRefreshedEvent) => { void e; });
  // @ts-expect-error: not an error code
  const bad: ErrorCode = "no_such_code";
  void bad;
}
