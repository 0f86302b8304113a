/**
 * tessera core: tokens, cookies, sessions and the store contract. Framework-free and
 * runtime-free (Web `Request`/`Headers`, Web Crypto; no `node:*` imports).
 */
export { createSessionManager } from "./session.js";
export type { LoginResult, Session, SessionCookieOptions, SessionLookup, SessionManager, SessionManagerOptions } from "./session.js";
export type { SessionStore } from "./store.js";
export { decodeSessionRecord, encodeSessionRecord } from "./record.js";
export type { SessionData, SessionRecord } from "./record.js";
export { readCookie, serializeCookie, serializeClearingCookie } from "./cookie.js";
export type { CookieAttributes } from "./cookie.js";
export {
  deriveSessionId,
  generateToken,
  isWellFormedToken,
  SESSION_ID_BYTES,
  TOKEN_BYTES,
  TOKEN_LENGTH,
  webCryptoRandomBytes,
  webCryptoSha256,
} from "./token.js";
export type { RandomBytes, Sha256 } from "./token.js";
export { ConfigError, isStoreUnavailable, SessionInputError, StoreUnavailableError, TesseraError } from "./errors.js";
export type { TesseraErrorCode } from "./errors.js";
