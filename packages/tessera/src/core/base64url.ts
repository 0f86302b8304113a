const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const CODES = Array.from(ALPHABET, (character) => character.charCodeAt(0));

/** Longest input {@link encodeBase64Url} takes: its output goes to `String.fromCharCode` as arguments. */
export const MAX_BASE64URL_INPUT_BYTES = 3 * 1024;

/**
 * Unpadded base64url (RFC 4648 §5) of a short input (a token's random bytes, a digest). Written
 * out rather than via `btoa` because it must not depend on `Buffer`; the characters are collected
 * as codes and made into one string at the end, which costs about half of appending them one by
 * one (a login encodes its 32 random bytes here).
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  const length = bytes.length;
  if (length > MAX_BASE64URL_INPUT_BYTES) throw new RangeError(`encodeBase64Url takes at most ${MAX_BASE64URL_INPUT_BYTES} bytes, got ${length}`);
  const whole = length - (length % 3);
  const codes: number[] = new Array(Math.ceil((length * 4) / 3));
  let out = 0;
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    codes[out++] = CODES[n >>> 18]!;
    codes[out++] = CODES[(n >>> 12) & 63]!;
    codes[out++] = CODES[(n >>> 6) & 63]!;
    codes[out++] = CODES[n & 63]!;
  }
  if (length - whole === 1) {
    const n = bytes[whole]! << 16;
    codes[out++] = CODES[n >>> 18]!;
    codes[out] = CODES[(n >>> 12) & 63]!;
  } else if (length - whole === 2) {
    const n = (bytes[whole]! << 16) | (bytes[whole + 1]! << 8);
    codes[out++] = CODES[n >>> 18]!;
    codes[out++] = CODES[(n >>> 12) & 63]!;
    codes[out] = CODES[(n >>> 6) & 63]!;
  }
  return String.fromCharCode.apply(null, codes);
}
