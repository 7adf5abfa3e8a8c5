// What a typical SPA login with oidc-client-ts imports: UserManager. Bundled by bench/run.mjs
// with esbuild --bundle --minify --format=esm; the same bundle is sized and timed.
// OidcClient (the class UserManager uses internally, so it costs only its export name) is
// exported for the speed page: OidcClient#createSigninRequest builds a signin URL without
// navigating. User (also bundled by UserManager) lets the speed page store a signed-in user.
export { UserManager, OidcClient, User } from 'oidc-client-ts';
