import { pino, type DestinationStream } from "pino";
import { escapeForLog, type LogContext, type Logger } from "./logger.js";

/**
 * A {@link Logger} writing one JSON object per line through pino (`LOG_FORMAT=json`):
 * `{"level":"info","time":"…","pid":…,"hostname":"…","msg":"…","requestId":"…",…}`, with the
 * request's fields (`method`, `path`, `route`, `status`, `durationMs`) as their own keys.
 *
 * Every string goes through `escapeForLog` before pino encodes it. JSON alone would escape the
 * newline but not U+2028 or a bidi override, and a viewer that decodes the line shows what the
 * string holds: escaped first, the decoded message holds no control character either.
 *
 * Writes synchronously: the server logs little (startup, outages, one line per request with
 * `ACCESS_LOG`), and a fatal error's line must be out before `process.exit`.
 *
 * @default destination standard output
 */
export function jsonLogger(destination: DestinationStream = pino.destination({ dest: 1, sync: true })): Logger {
  const base = pino(
    {
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const fields = (context: LogContext | undefined): Record<string, string | number> => {
    const out: Record<string, string | number> = {};
    if (context === undefined) return out;
    for (const [key, value] of Object.entries(context)) {
      if (typeof value === "string") out[key] = escapeForLog(value);
      else if (typeof value === "number") out[key] = value;
    }
    return out;
  };
  return {
    info: (message, context) => base.info(fields(context), escapeForLog(message)),
    warn: (message, context) => base.warn(fields(context), escapeForLog(message)),
    error: (message, context) => base.error(fields(context), escapeForLog(message)),
  };
}
