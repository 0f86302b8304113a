import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeBase64Url, MAX_BASE64URL_INPUT_BYTES } from "./base64url.js";
import {
  deriveSessionId,
  generateToken,
  isWellFormedSessionHandle,
  isWellFormedToken,
  sessionIdOf,
  TOKEN_LENGTH,
  userBucket,
  userBucketOf,
  webCryptoRandomBytes,
  webCryptoSha256,
} from "./token.js";

describe("encodeBase64Url", () => {
  it("matches Node's base64url for every length remainder", () => {
    for (let length = 0; length < 70; length++) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 73 + length * 11) & 255);
      expect(encodeBase64Url(bytes)).toBe(Buffer.from(bytes).toString("base64url"));
    }
  });

  it("takes up to MAX_BASE64URL_INPUT_BYTES, and refuses more with a RangeError saying so", () => {
    const largest = new Uint8Array(MAX_BASE64URL_INPUT_BYTES).map((_, i) => (i * 31) & 255);
    expect(encodeBase64Url(largest)).toBe(Buffer.from(largest).toString("base64url"));
    expect(() => encodeBase64Url(new Uint8Array(MAX_BASE64URL_INPUT_BYTES + 1))).toThrow(new RangeError("encodeBase64Url takes at most 3072 bytes, got 3073"));
  });
});

describe("generateToken", () => {
  it("is the bucket, then 32 CSPRNG bytes as 43 base64url characters", () => {
    const token = generateToken("Xy");
    expect(token).toHaveLength(TOKEN_LENGTH);
    expect(token).toMatch(/^Xy[A-Za-z0-9_-]{43}$/);
  });

  it("uses the injected randomness (and asks for 256 bits)", () => {
    const requested: number[] = [];
    const token = generateToken("AB", (length) => {
      requested.push(length);
      return new Uint8Array(length).fill(0xff);
    });
    expect(requested).toEqual([32]);
    expect(token).toBe(`AB${Buffer.alloc(32, 0xff).toString("base64url")}`);
  });

  it("does not repeat", () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateToken("AB")));
    expect(tokens.size).toBe(1000);
  });

  it("refuses a malformed bucket", () => {
    expect(() => generateToken("A")).toThrow(TypeError);
    expect(() => generateToken("A;")).toThrow(TypeError);
  });
});

describe("webCryptoRandomBytes", () => {
  it("hands out every byte once, and never changes bytes handed out earlier when it draws a new block", () => {
    // 300 tokens' worth crosses the 4 KiB block twice.
    const drawn = Array.from({ length: 300 }, () => webCryptoRandomBytes(32));
    const copies = drawn.map((bytes) => Buffer.from(bytes).toString("hex"));
    expect(new Set(copies).size).toBe(300);
    webCryptoRandomBytes(32);
    expect(drawn.map((bytes) => Buffer.from(bytes).toString("hex"))).toEqual(copies);
    expect(drawn.every((bytes) => bytes.length === 32)).toBe(true);
  });

  it("serves a large request on its own", () => {
    const bytes = webCryptoRandomBytes(5000);
    expect(bytes).toHaveLength(5000);
    expect(new Set(bytes).size).toBeGreaterThan(200);
  });
});

describe("userBucket", () => {
  it("is 2 base64url characters from SHA-256, stable per user", async () => {
    const bucket = await userBucket("abdullah");
    expect(bucket).toBe(createHash("sha256").update("user:abdullah").digest().toString("base64url").slice(0, 2));
    expect(await userBucket("abdullah")).toBe(bucket);
  });

  it("spreads users over the buckets", async () => {
    const buckets = new Set(await Promise.all(Array.from({ length: 2000 }, (_, i) => userBucket(`user-${i}`))));
    expect(buckets.size).toBeGreaterThan(1500); // 2000 draws from 4096 buckets: about 1625 distinct
  });
});

describe("isWellFormedToken", () => {
  it("accepts every generated token", () => {
    for (let i = 0; i < 1000; i++) expect(isWellFormedToken(generateToken("-_"))).toBe(true);
  });

  it.each([
    ["empty", ""],
    ["a UUID (the seed's format)", "68223c50-ede4-48eb-9d26-4a4dd735c10d"],
    ["a token of the old 43-character format", "A".repeat(43)],
    ["one character short", "A".repeat(44)],
    ["one character long", "A".repeat(46)],
    ["standard base64 characters", `${"A".repeat(43)}+A`],
    ["padding", `${"A".repeat(44)}=`],
    ["a last character that carries non-zero padding bits", `${"A".repeat(44)}B`],
    ["a cookie-injection attempt", `${"A".repeat(40)}; a=b`],
    ["non-ASCII look-alikes", `${"A".repeat(44)}Ａ`],
  ])("rejects %s", (_, value) => {
    expect(isWellFormedToken(value)).toBe(false);
  });
});

describe("isWellFormedSessionHandle", () => {
  it("accepts every derived session id", async () => {
    for (let i = 0; i < 200; i++) expect(isWellFormedSessionHandle(await deriveSessionId(generateToken("-_")))).toBe(true);
  });

  it.each([
    ["empty", ""],
    ["a bare bucket (would read as a prefix of every session)", "AB"],
    ["one character short", "A".repeat(25)],
    ["one character long", "A".repeat(27)],
    ["a token", generateToken("AB")],
    ["standard base64 characters", `${"A".repeat(25)}+`],
    ["a path", `${"A".repeat(25)}/`],
    ["a control character", `${"A".repeat(25)}\n`],
    ["non-ASCII look-alikes", `${"A".repeat(25)}Ａ`],
    ["a non-string", 26 as unknown as string],
  ])("rejects %s", (_, value) => {
    expect(isWellFormedSessionHandle(value)).toBe(false);
  });
});

describe("deriveSessionId", () => {
  it("is the bucket, then the first 18 bytes of SHA-256(token) in base64url: 26 characters", async () => {
    const token = generateToken("Qz");
    const expected = `Qz${createHash("sha256").update(token).digest().subarray(0, 18).toString("base64url")}`;
    expect(await deriveSessionId(token)).toBe(expected);
    expect(expected).toHaveLength(26);
  });

  it("gives the same id with Web Crypto and an injected sync hash", async () => {
    const token = generateToken("AB");
    const viaNode = await deriveSessionId(token, (input) => createHash("sha256").update(input, "utf8").digest());
    expect(await deriveSessionId(token, webCryptoSha256)).toBe(viaNode);
  });

  it("takes a digest as bytes or as base64url text, with the same result", async () => {
    const token = generateToken("AB");
    const asText = (input: string) => createHash("sha256").update(input, "utf8").digest("base64url");
    expect(await deriveSessionId(token, asText)).toBe(await deriveSessionId(token, webCryptoSha256));
    expect(await userBucket("abdullah", asText)).toBe(await userBucket("abdullah", webCryptoSha256));
  });

  it("refuses a text digest that is not 43 base64url characters (say, hex) instead of deriving a wrong id", () => {
    const hex = (input: string) => createHash("sha256").update(input, "utf8").digest("hex");
    expect(() => sessionIdOf(generateToken("AB"), hex)).toThrow(/43 characters/);
    expect(() => userBucketOf("abdullah", hex)).toThrow(/43 characters/);
  });

  it("answers without a promise when the hash is synchronous", () => {
    const sync = (input: string) => createHash("sha256").update(input, "utf8").digest();
    expect(typeof sessionIdOf(generateToken("AB"), sync)).toBe("string");
    expect(typeof userBucketOf("abdullah", sync)).toBe("string");
  });

  it("never contains the token's random part", async () => {
    const token = generateToken("AB");
    const id = await deriveSessionId(token);
    expect(token).not.toContain(id.slice(2));
    expect(id).not.toContain(token.slice(2, 10));
  });
});
