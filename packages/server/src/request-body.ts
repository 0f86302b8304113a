/**
 * Reads a JSON request body with a size limit, without buffering more than the limit: a declared
 * `Content-Length` over it is refused before reading, and a chunked body is cut off as soon as it
 * passes it.
 */

export type JsonBodyResult =
  | { ok: true; value: unknown }
  | { ok: false; reason: "unsupported_media_type"; contentType: string | null }
  | { ok: false; reason: "too_large"; limitBytes: number }
  | { ok: false; reason: "empty" }
  | { ok: false; reason: "aborted" }
  | { ok: false; reason: "malformed"; message: string };

/** `application/json` or any `application/*+json`, with or without parameters. */
export function isJsonContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const essence = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return essence === "application/json" || (essence.startsWith("application/") && essence.endsWith("+json"));
}

/**
 * Deepest nesting of arrays and objects accepted in a body. Far beyond any body this server
 * reads, and far below what overflows the stack: a 16 KB body can nest 8,000 levels, which parse
 * fine but overflow `JSON.stringify` when a 422 echoes the input back.
 */
export const MAX_JSON_DEPTH = 64;

/** One decoder for every request: `decode` without `stream` keeps no state between calls. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

export type JsonBodyFailure = Exclude<JsonBodyResult, { ok: true }>;

/**
 * What a body's headers settle before any of it is read: a media type other than JSON, or a
 * declared `Content-Length` over the limit. Shared by the Hono routes and the Node lane.
 */
export function refuseByHeaders(contentType: string | null, declaredLength: string | null, limitBytes: number): JsonBodyFailure | undefined {
  if (!isJsonContentType(contentType)) return { ok: false, reason: "unsupported_media_type", contentType };
  if (declaredLength !== null && Number(declaredLength) > limitBytes) return { ok: false, reason: "too_large", limitBytes };
  return undefined;
}

/** Reads and parses a JSON body of at most `limitBytes`, nested at most {@link MAX_JSON_DEPTH} deep. */
export async function readJsonBody(request: Request, limitBytes: number): Promise<JsonBodyResult> {
  const declared = request.headers.get("content-length");
  const refused = refuseByHeaders(request.headers.get("content-type"), declared, limitBytes);
  if (refused !== undefined) return refused;
  // A declared length within the limit bounds the body (the HTTP parser reads exactly that many
  // bytes), so read it in one go: on Node that skips building a web stream reader, which was
  // half the cost of a login in `npm run bench`. Only chunked bodies take the counting path.
  let bytes: Uint8Array | undefined;
  try {
    bytes = declared !== null ? new Uint8Array(await request.arrayBuffer()) : await readCounting(request, limitBytes);
  } catch {
    // The connection closed before the whole body came: the client went away, or the server's
    // request timeout cut a body that was arriving too slowly. Not a server error.
    return { ok: false, reason: "aborted" };
  }
  if (bytes === undefined) return { ok: false, reason: "too_large", limitBytes };
  return parseJsonBytes(bytes);
}

/** A whole body's bytes as JSON: empty, not UTF-8, nested too deep and malformed are told apart. */
export function parseJsonBytes(bytes: Uint8Array): JsonBodyResult {
  if (bytes.byteLength === 0) return { ok: false, reason: "empty" };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: "malformed", message: "body is not valid UTF-8" };
  }
  const plain = plainSingleMemberObject(text);
  if (plain !== undefined) return { ok: true, value: plain };
  if (nestsDeeperThan(text, MAX_JSON_DEPTH))
    return { ok: false, reason: "malformed", message: `JSON nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: "malformed", message: (error as Error).message };
  }
}

/** The index of the first character from `index` on that is not JSON white space. */
function skipJsonSpace(text: string, index: number): number {
  for (; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) break;
  }
  return index;
}

/**
 * Longest body {@link plainSingleMemberObject} reads: a login with the longest user name (256
 * UTF-16 units) and some white space. The strings it returns are slices of the body, which V8 may
 * keep alive whole behind a slice (13 characters or more), and a user id lives as long as its
 * session in the memory store: a name padded with 16 KB of spaces must not keep 16 KB per session.
 */
export const MAX_PLAIN_BODY_CHARS = 320;

/**
 * `text` parsed, when it is one object with one member whose name and value are strings without
 * escapes (`{"username": "ada"}`, the body of every login) and it is at most
 * {@link MAX_PLAIN_BODY_CHARS} long, else `undefined` and `JSON.parse` decides. The same value
 * `JSON.parse` gives; why not `JSON.parse`: V8 interns every string value of up to 10 characters
 * it parses, and with a new user name per login that table lookup and insert cost about 2% of a
 * login's CPU under `perf` (a table holding every name seen since the last full garbage collection).
 */
export function plainSingleMemberObject(text: string): Record<string, string> | undefined {
  if (text.length > MAX_PLAIN_BODY_CHARS) return undefined;
  let index = skipJsonSpace(text, 0);
  if (text.charCodeAt(index) !== 0x7b /* { */) return undefined;
  const nameStart = skipJsonSpace(text, index + 1);
  const nameEnd = plainStringEnd(text, nameStart);
  if (nameEnd < 0) return undefined;
  index = skipJsonSpace(text, nameEnd + 1);
  if (text.charCodeAt(index) !== 0x3a /* : */) return undefined;
  const valueStart = skipJsonSpace(text, index + 1);
  const valueEnd = plainStringEnd(text, valueStart);
  if (valueEnd < 0) return undefined;
  index = skipJsonSpace(text, valueEnd + 1);
  if (text.charCodeAt(index) !== 0x7d /* } */ || skipJsonSpace(text, index + 1) !== text.length) return undefined;
  const name = text.slice(nameStart + 1, nameEnd);
  const value = text.slice(valueStart + 1, valueEnd);
  // A literal for the login's one name (no property defined at run time); a computed name defines
  // an own property, as JSON.parse does, even for "__proto__".
  return name === "username" ? { username: value } : { [name]: value };
}

/** The index of the closing quote of the JSON string opening at `start`, or -1 when there is none or the string has escapes or control characters. */
function plainStringEnd(text: string, start: number): number {
  if (text.charCodeAt(start) !== 0x22 /* " */) return -1;
  for (let index = start + 1; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x22) return index;
    if (code === 0x5c /* \ */ || code < 0x20) return -1;
  }
  return -1;
}

/** Whether JSON `text` opens more than `maxDepth` arrays/objects at once; brackets inside strings do not count. */
function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c /* \ */) index++;
      else if (code === 0x22 /* " */) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b /* [ */ || code === 0x7b /* { */) {
      if (++depth > maxDepth) return true;
    } else if (code === 0x5d /* ] */ || code === 0x7d /* } */) depth--;
  }
  return false;
}

/** Reads a body of unknown length, giving up (`undefined`) as soon as it passes the limit. */
async function readCounting(request: Request, limitBytes: number): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let received = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > limitBytes) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
