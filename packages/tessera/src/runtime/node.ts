import * as crypto from "node:crypto";
import type { Sha256 } from "../core/token.js";

/**
 * `crypto.hash` (Node ≥ 20.12, 21.7): one call, no `Hash` object. Looked up rather than imported
 * by name so runtimes that implement `node:crypto` without it (older Bun) fall back below.
 */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, outputEncoding: "base64url") => string }).hash;

/**
 * Synchronous SHA-256 from `node:crypto`, as base64url text. Web Crypto's `digest` is async and,
 * for a 45-byte token, costs more in promise and buffer overhead than in hashing; this runs on
 * every authenticated request, so Node (and Bun) users should pass it as `sha256`. It returns the
 * digest already encoded (a `Sha256Digest` string): Node encodes natively, and skipping the
 * buffer makes the hash about 3× cheaper than `createHash(…).digest()`.
 *
 * @example
 * ```ts
 * import { nodeSha256 } from "tessera/node";
 * const sessions = createSessionManager({ store, sha256: nodeSha256 });
 * ```
 */
export const nodeSha256: Sha256 =
  oneShotHash !== undefined
    ? (input) => oneShotHash("sha256", input, "base64url")
    : (input) => crypto.createHash("sha256").update(input, "utf8").digest("base64url");
