/**
 * Request paths as the log may show them. A path is the one part of a request the log prints,
 * and clients do put tokens in paths (most often their own token where a session handle belongs).
 */

/** A well-formed session handle: the only thing after `/sessions/` that may be logged as is. */
const HANDLE = /^[A-Za-z0-9_-]{26}$/;
/** Literal paths under `/sessions/` that are routes, not handles. */
const SESSIONS_ROUTES = new Set(["revoke-others"]);
/** A run long enough to be a token (45 characters) or most of one, anywhere in a path. */
const TOKEN_LIKE = /[A-Za-z0-9_-]{40,}/g;
const REDACTED = "[redacted]";

/**
 * The path of a request URL (absolute, or a bare path as Node's `request.url`) as it may be logged: the raw (still percent-encoded) path, no query,
 * with anything that might be a token replaced by `[redacted]`. Under `/sessions/`, a segment
 * that is not a well-formed handle is redacted whatever it looks like: the classic mistake there
 * is sending one's token (or a piece of it) where a handle belongs.
 *
 * @example pathForLog("http://h/sessions/<45-char token>?x=1") // "/sessions/[redacted]"
 */
export function pathForLog(url: string): string {
  // The base only completes a bare path; an absolute URL keeps its own.
  const segments = new URL(url, "http://localhost").pathname.split("/");
  if (segments[1] === "sessions" && segments.length > 2) {
    for (let index = 2; index < segments.length; index++) {
      const segment = segments[index]!;
      if (segment === "" && index === segments.length - 1) continue; // the trailing slash
      if (index === 2 && (HANDLE.test(segment) || SESSIONS_ROUTES.has(segment))) continue;
      segments[index] = REDACTED;
    }
  }
  return segments.join("/").replace(TOKEN_LIKE, REDACTED);
}
