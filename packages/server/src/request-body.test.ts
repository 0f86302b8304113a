import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, MAX_PLAIN_BODY_CHARS, parseJsonBytes, plainSingleMemberObject } from "./request-body.js";

const encoder = new TextEncoder();

/** What `parseJsonBytes` must give for `text`: `JSON.parse` of it as UTF-8 decodes it (a byte order mark dropped), or the same malformed-JSON refusal. */
function expectedFor(raw: string) {
  const text = new TextDecoder().decode(encoder.encode(raw));
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, reason: "malformed", message: (error as Error).message };
  }
}

// Bodies around the shape the plain-object reader takes (one member, both strings, no escapes),
// and just outside it: each must come out as JSON.parse makes it.
const texts = [
  '{"username":"abdullah"}',
  '{"username":"u1"}',
  '{"username":""}',
  '{"":""}',
  ' \t\r\n{ \n"username" \t: \r"ada" \n} \t\r\n',
  '{"username":"é😀 ü"}',
  '{"username":"a\u2028b\u007fc"}',
  '{"__proto__":"x"}',
  '{"constructor":"x"}',
  '{"username":"ada\\"}',
  '{"username":"a\\"da"}',
  '{"username":"a\\u0041"}',
  '{"user\\u006eame":"ada"}',
  '{"username":"a\tb"}',
  '{"username":"a\nb"}',
  '{"username":"ada",}',
  '{"username":"ada","username":"bob"}',
  '{"username":"ada","x":1}',
  '{"username":"ada"}}',
  '{"username":"ada"} x',
  '{"username":"ada"',
  '{"username":"ada',
  '{"username"',
  '{"username":',
  '{"username"::"ada"}',
  '{username:"ada"}',
  "{'username':'ada'}",
  '{"username":ada}',
  '{"username":42}',
  '{"username":null}',
  '{"username":["ada"]}',
  '{"username":{"a":"b"}}',
  '{"username":"ada"\u00a0}',
  '\u00a0{"username":"ada"}',
  '\ufeff{"username":"ada"}',
  "{}",
  "{ }",
  '""',
  '"ada"',
  "[]",
  "null",
  "{",
  "}",
  " ",
];

describe("parseJsonBytes", () => {
  it.each(texts)("reads %j as JSON.parse does", (text) => {
    const result = parseJsonBytes(encoder.encode(text));
    expect(result).toEqual(expectedFor(text));
    if (result.ok && result.value !== null && typeof result.value === "object") {
      // Own properties only, on an ordinary object or array, as JSON.parse makes them ("__proto__" included).
      const parsed = JSON.parse(text.replace(/^\ufeff/, "")) as object;
      expect(Object.getPrototypeOf(result.value)).toBe(Object.getPrototypeOf(parsed));
      expect(Object.keys(result.value)).toEqual(Object.keys(parsed));
    }
  });

  it("reads generated one-member bodies as JSON.parse does", () => {
    // Every mix of these pieces: names and values with and without the characters that end the plain reading.
    const pieces = ["a", "é", "\\", '\\"', '"', "\u0001", " ", "\\n", "😀", "}", ":", ","];
    const spaces = ["", " ", "\n\t"];
    let checked = 0;
    for (const name of pieces)
      for (const value of pieces)
        for (const space of spaces) {
          const text = `${space}{${space}"${name}"${space}:${space}"${value}x"${space}}${space}`;
          expect(parseJsonBytes(encoder.encode(text)), text).toEqual(expectedFor(text));
          checked++;
        }
    expect(checked).toBe(pieces.length * pieces.length * spaces.length);
  });

  it("reads a plain body itself only up to MAX_PLAIN_BODY_CHARS: a padded one goes to JSON.parse, so no session keeps the padding alive behind its user id", () => {
    const name = "attacker-000001";
    const exact = `{"username":"${name}"}`.padEnd(MAX_PLAIN_BODY_CHARS, " ");
    expect(plainSingleMemberObject(exact)).toEqual({ username: name });
    expect(plainSingleMemberObject(`${exact} `)).toBeUndefined();
    const padded = `{"username":"${name}"}${" ".repeat(16_000)}`;
    expect(plainSingleMemberObject(padded)).toBeUndefined();
    expect(parseJsonBytes(encoder.encode(padded))).toEqual({ ok: true, value: { username: name } });
  });

  it("tells empty, non-UTF-8 and too deeply nested bodies apart", () => {
    expect(parseJsonBytes(new Uint8Array(0))).toEqual({ ok: false, reason: "empty" });
    expect(parseJsonBytes(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x22, 0x22, 0x7d]))).toEqual({
      ok: false,
      reason: "malformed",
      message: "body is not valid UTF-8",
    });
    const deep = `${"[".repeat(MAX_JSON_DEPTH + 1)}${"]".repeat(MAX_JSON_DEPTH + 1)}`;
    expect(parseJsonBytes(encoder.encode(deep))).toMatchObject({ ok: false, reason: "malformed", message: expect.stringContaining("deeper than") });
    const deepest = `${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}`;
    expect(parseJsonBytes(encoder.encode(deepest)).ok).toBe(true);
  });
});
