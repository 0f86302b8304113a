/**
 * The server's log sink. Lines are plain text on stderr/stdout. Nothing that could carry a token
 * (cookies, request bodies, query strings, the login response) is ever passed here.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: Logger = {
  info: (message) => console.log(`tessera: ${message}`),
  warn: (message) => console.warn(`tessera: warning: ${message}`),
  error: (message) => console.error(`tessera: error: ${message}`),
};

/** A logger that drops everything, for tests that assert on responses only. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
