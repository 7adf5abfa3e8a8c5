// What a typical SPA login with oauth4webapi imports: discovery, PKCE, state/nonce, callback
// validation, code exchange (with `None()`, the client authentication of a public client) and
// its response processing, and the ID-token signature check (`validateApplicationLevelSignature`,
// which spa-oauth always does). Bundled by bench/run.mjs with esbuild --bundle --minify
// --format=esm; the same bundle is sized and timed.
// (generateRandomNonce is needed for an OIDC login with `openid`; the speed page uses it.)
export {
  discoveryRequest,
  processDiscoveryResponse,
  generateRandomCodeVerifier,
  calculatePKCECodeChallenge,
  generateRandomState,
  generateRandomNonce,
  validateAuthResponse,
  authorizationCodeGrantRequest,
  processAuthorizationCodeResponse,
  validateApplicationLevelSignature,
  None,
} from 'oauth4webapi';
