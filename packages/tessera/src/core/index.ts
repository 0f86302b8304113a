/**
 * tessera core: tokens, cookies, sessions and the store contract. Framework-free and
 * runtime-free (Web `Request`/`Headers`, Web Crypto; no `node:*` imports).
 */
export { createSessionManager } from "./session.js";
export type { LoginInput, LoginResult, Session, SessionLookup, SessionManager, SessionSummary } from "./session.js";
export type { SessionCookieOptions, SessionManagerOptions } from "./options.js";
export type { SessionEvent, SessionEventListener } from "./events.js";
export type {
  CreateSessionOptions,
  CreateSessionResult,
  ExpiredSession,
  PatchOutcome,
  SessionStore,
  StoredSessionSummary,
  UserRef,
} from "./store.js";
export { BUCKET_LENGTH, bucketOfSessionId } from "./store.js";
export {
  applyEncodedPatch,
  decodeIndexEntry,
  decodeSessionRecord,
  encodeDataPatch,
  encodeIndexEntry,
  encodeLastSeenOffset,
  encodeSessionRecord,
  LAST_SEEN_OFFSET_WIDTH,
  RECORD_SEPARATOR,
} from "./record.js";
export type { DataKey, DataPatch, EncodedPatch, IndexEntry, SessionData, SessionRecord } from "./record.js";
export { describeUserAgent, sanitizeIp } from "./device.js";
export type { DeviceInfo } from "./device.js";
export { readCookie, serializeCookie, serializeClearingCookie } from "./cookie.js";
export type { CookieAttributes } from "./cookie.js";
export {
  deriveSessionId,
  generateToken,
  isWellFormedSessionHandle,
  isWellFormedToken,
  SESSION_ID_BYTES,
  SESSION_ID_LENGTH,
  TOKEN_BUCKET_LENGTH,
  TOKEN_BYTES,
  TOKEN_LENGTH,
  userBucket,
  webCryptoRandomBytes,
  webCryptoSha256,
} from "./token.js";
export type { RandomBytes, Sha256, Sha256Digest } from "./token.js";
export { assertStorableUserId, isWellFormedUnicode } from "./user-id.js";
export { ConfigError, isStoreUnavailable, SessionInputError, StoreUnavailableError, TesseraError } from "./errors.js";
export type { TesseraErrorCode } from "./errors.js";
export { crossSiteChecker, CROSS_SITE_REFUSAL, forwardedOriginOf, ownOriginOf } from "./origin.js";
export type { OriginCheckInput, ProxiedSameOriginOptions, SameOriginOptions } from "./origin.js";
export { describeSessionError, StoreUnavailableResponseError, withHttpResponse } from "./http-errors.js";
export type { SessionErrorResponse } from "./http-errors.js";
export { HeaderRecordRequest, RequestSessions } from "./request-sessions.js";
export type { HeaderRecord, RequestSessionsApi, SessionRequest } from "./request-sessions.js";
export { parseSetCookie } from "./set-cookie.js";
export type { ParsedSetCookie } from "./set-cookie.js";
export { instrumentStore, sessionEventLabels, storeErrorCode } from "./instrument.js";
export type { InstrumentStoreOptions, SessionEventLabels, StoreCallObserver, StoreOperation } from "./instrument.js";
