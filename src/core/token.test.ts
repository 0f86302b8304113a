import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeBase64Url } from "./base64url.js";
import { deriveSessionId, generateToken, isWellFormedToken, TOKEN_LENGTH, webCryptoSha256 } from "./token.js";

describe("encodeBase64Url", () => {
  it("matches Node's base64url for every length remainder", () => {
    for (let length = 0; length < 70; length++) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 73 + length * 11) & 255);
      expect(encodeBase64Url(bytes)).toBe(Buffer.from(bytes).toString("base64url"));
    }
  });
});

describe("generateToken", () => {
  it("encodes 32 CSPRNG bytes as 43 base64url characters", () => {
    const token = generateToken();
    expect(token).toHaveLength(TOKEN_LENGTH);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("uses the injected randomness (and asks for 256 bits)", () => {
    const requested: number[] = [];
    const token = generateToken((length) => {
      requested.push(length);
      return new Uint8Array(length).fill(0xff);
    });
    expect(requested).toEqual([32]);
    expect(token).toBe(Buffer.alloc(32, 0xff).toString("base64url"));
  });

  it("does not repeat", () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateToken()));
    expect(tokens.size).toBe(1000);
  });
});

describe("isWellFormedToken", () => {
  it("accepts every generated token", () => {
    for (let i = 0; i < 1000; i++) expect(isWellFormedToken(generateToken())).toBe(true);
  });

  it.each([
    ["empty", ""],
    ["a UUID (the seed's format)", "68223c50-ede4-48eb-9d26-4a4dd735c10d"],
    ["one character short", "A".repeat(42)],
    ["one character long", "A".repeat(44)],
    ["standard base64 characters", `${"A".repeat(41)}+A`],
    ["padding", `${"A".repeat(42)}=`],
    ["a last character that carries non-zero padding bits", `${"A".repeat(42)}B`],
    ["a cookie-injection attempt", `${"A".repeat(38)}; a=b`],
    ["non-ASCII look-alikes", `${"A".repeat(42)}Ａ`],
  ])("rejects %s", (_, value) => {
    expect(isWellFormedToken(value)).toBe(false);
  });
});

describe("deriveSessionId", () => {
  it("is the first 18 bytes of SHA-256(token), base64url: 24 characters", async () => {
    const token = generateToken();
    const expected = createHash("sha256").update(token).digest().subarray(0, 18).toString("base64url");
    expect(await deriveSessionId(token)).toBe(expected);
    expect(expected).toHaveLength(24);
  });

  it("gives the same id with Web Crypto and an injected sync hash", async () => {
    const token = generateToken();
    const viaNode = await deriveSessionId(token, (input) => createHash("sha256").update(input).digest());
    expect(await deriveSessionId(token, webCryptoSha256)).toBe(viaNode);
  });

  it("never contains the token", async () => {
    const token = generateToken();
    const id = await deriveSessionId(token);
    expect(token).not.toContain(id);
    expect(id).not.toContain(token.slice(0, 8));
  });
});
