import { SessionInputError } from "./errors.js";

/**
 * A lone surrogate (half of a UTF-16 pair with no other half). With the `u` flag a well-formed
 * pair is one code point and does not match; only an unpaired half does.
 */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * True when `value` is well-formed Unicode (no lone surrogates), so that its UTF-8 bytes — what
 * Redis stores and compares — map back to exactly this string. A lone surrogate is encoded as
 * U+FFFD by every UTF-8 encoder on the way, so `"\ud800"` and `"\ufffd"` would become one owner.
 */
export function isWellFormedUnicode(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/**
 * Throws `SessionInputError` unless `userId` can be stored exactly (see {@link isWellFormedUnicode}).
 * The manager checks before any store call; stores check again, so a direct caller cannot merge
 * two users either.
 */
export function assertStorableUserId(userId: string): void {
  if (!isWellFormedUnicode(userId)) {
    throw new SessionInputError(
      "userId is not well-formed Unicode: it contains a lone UTF-16 surrogate, which a store would save as U+FFFD and so confuse with another user; " +
        "reject the input, or pass a normalized id (for example value.toWellFormed() or a numeric/UUID primary key)",
    );
  }
}
