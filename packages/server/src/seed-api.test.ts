import { generateToken } from "tessera";
import { describe, expect, it } from "vitest";
import { jsonString, loggedIn, loggedInText, profile, profileText } from "./seed-api.js";

// User ids as a login accepts them: any well-formed Unicode, including what JSON escapes.
const userIds = ["abdullah", "", 'quote " and \\ backslash', "tab\tnew\nline\u0000nul\u001f", "é😀\u2028\u2029", "</script>", "a".repeat(256)];

describe("the Node lane's answers as JSON text", () => {
  it("are JSON.stringify of the answers the Hono routes build, byte for byte", () => {
    let checked = 0;
    for (const bucket of ["AA", "z_", "-9"]) {
      const token = generateToken(bucket);
      expect(loggedInText(token)).toBe(JSON.stringify(loggedIn(token)));
      for (const userId of userIds) {
        expect(profileText(token, userId)).toBe(JSON.stringify(profile(token, userId)));
        checked++;
      }
    }
    expect(checked).toBe(3 * userIds.length);
  });
});

describe("jsonString", () => {
  it("is JSON.stringify for every UTF-16 code unit, alone and around plain text, and for surrogate pairs and lone halves", () => {
    for (let code = 0; code <= 0xffff; code++) {
      const unit = String.fromCharCode(code);
      for (const text of [unit, `ab${unit}cd`]) {
        if (jsonString(text) !== JSON.stringify(text)) expect([code, jsonString(text)]).toEqual([code, JSON.stringify(text)]);
      }
    }
    for (const text of ["😀", "a😀b", "\ud83d", "\ude00x", "x\ud83d", ...userIds]) expect(jsonString(text)).toBe(JSON.stringify(text));
  });
});
