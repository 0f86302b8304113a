/**
 * What a log line says about the request it is about, as separate fields (JSON) or a suffix
 * (pretty). `path` must come from `pathForLog`.
 */
export interface LogContext {
  /** The request id (see `request-id.ts`), also sent back as `X-Request-Id`. */
  requestId?: string;
  method?: string;
  path?: string;
  /** The route pattern that answered, e.g. `/sessions/:handle` (never the raw path). */
  route?: string;
  status?: number;
  durationMs?: number;
}

/**
 * The server's log sink, one event per line: `tessera: …` text (`consoleLogger`) or JSON
 * (`jsonLogger`), picked by `LOG_FORMAT`. Nothing that could carry a token (cookies, request
 * bodies, query strings, the login response) is ever passed here, and request paths go through
 * `pathForLog` first.
 */
export interface Logger {
  info(message: string, context?: LogContext): void;
  warn(message: string, context?: LogContext): void;
  error(message: string, context?: LogContext): void;
}

/**
 * Characters that must never reach a log line raw: C0 and C1 controls (a newline or carriage
 * return would start a forged line), U+2028/U+2029 (line breaks to many log viewers), the bidi
 * overrides and isolates (they reorder what a reader sees), and the backslash, escaped so that
 * an escape sequence in the output always means an escaped character.
 */
const UNSAFE_IN_LOG = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\\]/g;

const NAMED_ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\" };

/**
 * Makes `text` safe to print as (part of) one log line: every character in {@link UNSAFE_IN_LOG}
 * becomes a visible escape (`\n`, `\x1b`, `\u2028`). Every line the server logs goes through this.
 *
 * @example escapeForLog("a\nb") // "a\\nb": one line, shown as a\nb
 */
export function escapeForLog(text: string): string {
  return text.replace(UNSAFE_IN_LOG, (character) => {
    const named = NAMED_ESCAPES[character];
    if (named !== undefined) return named;
    const code = character.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** ` request_id=…` for a line about a request; the id is well-formed (`request-id.ts`), escaped all the same. */
const requestSuffix = (context: LogContext | undefined) => (context?.requestId === undefined ? "" : ` request_id=${escapeForLog(context.requestId)}`);

/**
 * Prints each line to the console as `tessera: <message>` (warnings and errors on stderr, marked),
 * escaped by {@link escapeForLog}, with the request id at the end of a line about a request.
 * `LOG_FORMAT=pretty`.
 */
export const consoleLogger: Logger = {
  info: (message, context) => console.log(`tessera: ${escapeForLog(message)}${requestSuffix(context)}`),
  warn: (message, context) => console.warn(`tessera: warning: ${escapeForLog(message)}${requestSuffix(context)}`),
  error: (message, context) => console.error(`tessera: error: ${escapeForLog(message)}${requestSuffix(context)}`),
};

/** A logger that drops everything, for tests that assert on responses only. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
