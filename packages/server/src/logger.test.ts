import { afterEach, describe, expect, it, vi } from "vitest";
import { pathForLog } from "./log-path.js";
import { consoleLogger, escapeForLog } from "./logger.js";

describe("escapeForLog", () => {
  it.each([
    ["a\nb", "a\\nb"],
    ["a\r\nb", "a\\r\\nb"],
    ["tab\there", "tab\\there"],
    ["bell\u0007 esc\u001b[31m del\u007f", "bell\\x07 esc\\x1b[31m del\\x7f"],
    ["next line\u0085 c1\u009b", "next line\\x85 c1\\x9b"],
    ["line\u2028para\u2029", "line\\u2028para\\u2029"],
    ["bidi\u202e\u2066", "bidi\\u202e\\u2066"],
    ["back\\slash", "back\\\\slash"],
    ["plain ascii, ünïcödé and emoji 🙂 stay", "plain ascii, ünïcödé and emoji 🙂 stay"],
  ])("%j → %j", (input, expected) => {
    expect(escapeForLog(input)).toBe(expected);
  });

  it("leaves no character that breaks a line in any common viewer", () => {
    const every = Array.from({ length: 0x3000 }, (_, code) => String.fromCharCode(code)).join("");
    expect(escapeForLog(every)).not.toMatch(/[\n\r\u000b\u000c\u0085\u2028\u2029]/);
  });
});

describe("consoleLogger", () => {
  afterEach(() => vi.restoreAllMocks());

  it("escapes every line at every level: a forged second line stays on the first", () => {
    const printed: string[] = [];
    for (const method of ["log", "warn", "error"] as const) vi.spyOn(console, method).mockImplementation((line: string) => void printed.push(line));
    const forged = "DELETE /sessions/x\ntessera: admin password reset OK";
    consoleLogger.info(forged);
    consoleLogger.warn(forged);
    consoleLogger.error(forged);
    expect(printed).toEqual([
      "tessera: DELETE /sessions/x\\ntessera: admin password reset OK",
      "tessera: warning: DELETE /sessions/x\\ntessera: admin password reset OK",
      "tessera: error: DELETE /sessions/x\\ntessera: admin password reset OK",
    ]);
  });
});

describe("pathForLog", () => {
  const token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfG"; // 45 characters, like a real one
  const handle = "AbCdEfGhIjKlMnOpQrStUvWxYz"; // 26

  it.each([
    [`/sessions/${token}`, "/sessions/[redacted]"],
    [`/sessions/${token}/`, "/sessions/[redacted]/"],
    [`/sessions/${token.slice(0, 2)}`, "/sessions/[redacted]"],
    [`/sessions/${token.slice(2)}`, "/sessions/[redacted]"],
    [`/sessions/${handle}x`, "/sessions/[redacted]"],
    [`/sessions/${handle}/extra`, `/sessions/${handle}/[redacted]`],
    ["/sessions/x%0Atessera:%20admin", "/sessions/[redacted]"],
    [`/sessions/${handle}`, `/sessions/${handle}`],
    [`/sessions/${handle}/`, `/sessions/${handle}/`],
    ["/sessions/revoke-others/", "/sessions/revoke-others/"],
    ["/sessions/", "/sessions/"],
    [`/profile/${token}`, "/profile/[redacted]"],
    [`/x${token}y`, "/[redacted]"],
    [`/profile/?session_id=${token}`, "/profile/"],
    ["/static/app.js#frag", "/static/app.js"],
  ])("%s → %s", (path, expected) => {
    expect(pathForLog(`http://localhost${path}`)).toBe(expected);
    // As Node's request.url has it (the Node lane logs that).
    expect(pathForLog(path)).toBe(expected);
  });
});
