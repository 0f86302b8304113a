/**
 * The server's log sink. Lines are plain text on stderr/stdout, one event per line. Nothing that
 * could carry a token (cookies, request bodies, query strings, the login response) is ever passed
 * here, and request paths go through `pathForLog` first.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
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

/** Prints each line to the console, escaped by {@link escapeForLog}. */
export const consoleLogger: Logger = {
  info: (message) => console.log(`tessera: ${escapeForLog(message)}`),
  warn: (message) => console.warn(`tessera: warning: ${escapeForLog(message)}`),
  error: (message) => console.error(`tessera: error: ${escapeForLog(message)}`),
};

/** A logger that drops everything, for tests that assert on responses only. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
