// Test support: take browser capabilities away and give them back.
let ownStorage;
export function blockSessionStorage() {
  ownStorage = Object.getOwnPropertyDescriptor(window, "sessionStorage");
  Object.defineProperty(window, "sessionStorage", { configurable: true, get() { throw new Error("blocked"); } });
}
export function unblockSessionStorage() {
  if (ownStorage) Object.defineProperty(window, "sessionStorage", ownStorage);
  else delete window.sessionStorage;
}
let saved;
export function breakRandom() {
  saved = crypto.getRandomValues;
  crypto.getRandomValues = () => { throw new Error("no entropy"); };
}
export function restoreRandom() {
  crypto.getRandomValues = saved;
}
