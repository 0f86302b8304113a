import { createHash } from "node:crypto";
import type { Sha256 } from "../core/token.js";

/**
 * Synchronous SHA-256 from `node:crypto`. Web Crypto's `digest` is async and, for a 45-byte token,
 * costs more in promise and buffer overhead than in hashing; this runs on every authenticated
 * request, so Node (and Bun) users should pass it as `sha256`.
 *
 * @example
 * ```ts
 * import { nodeSha256 } from "tessera/node";
 * const sessions = createSessionManager({ store, sha256: nodeSha256 });
 * ```
 */
export const nodeSha256: Sha256 = (input) => createHash("sha256").update(input, "utf8").digest();
