import { describe, expect, it } from "vitest";
import { deriveSessionId, userBucket, webCryptoSha256 } from "../core/token.js";
import { nodeSha256 } from "./node.js";

describe("nodeSha256", () => {
  it("is SHA-256 as 43 base64url characters", () => {
    // SHA-256("abc"), FIPS 180-2 appendix B.1.
    expect(Buffer.from(nodeSha256("abc") as string, "base64url").toString("hex")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("derives the same session ids and buckets as Web Crypto", async () => {
    for (const token of [`AB${"x".repeat(43)}`, `-_${"Q".repeat(43)}`]) {
      expect(await deriveSessionId(token, nodeSha256)).toBe(await deriveSessionId(token, webCryptoSha256));
    }
    for (const userId of ["abdullah", "ünïcode", "👩‍💻"]) expect(await userBucket(userId, nodeSha256)).toBe(await userBucket(userId, webCryptoSha256));
  });
});
