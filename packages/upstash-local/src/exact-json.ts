/**
 * JSON in which an integer keeps every digit.
 *
 * Redis integers are 64-bit, a JavaScript number holds 53 bits exactly: `JSON.parse` turns
 * `9007199254740993` into `9007199254740992` before the command reaches Redis, and
 * `JSON.stringify` cannot write a `bigint` at all. Here an integer beyond
 * `Number.MAX_SAFE_INTEGER` is a `bigint` on the way in and written as its digits on the way out,
 * as Upstash answers `{"result": 137}` for any integer reply. (`JSON.parse` with access to a
 * number's source text, or `JSON.rawJSON`, would do this, but neither is in Node 20.)
 */

/** A parsed JSON value: as `JSON.parse` gives it, except unsafe integers are `bigint`s. */
export type ExactJsonValue = null | boolean | number | bigint | string | ExactJsonValue[] | { [key: string]: ExactJsonValue };

/**
 * Bounds the recursion of {@link parseExactJson}: a command nests two levels, and a body of 10 MiB
 * of `[` would otherwise end in a stack overflow.
 */
const MAX_NESTING_DEPTH = 512;

/**
 * `JSON.parse(text)`, except that an integer literal (no fraction, no exponent) outside
 * ±`Number.MAX_SAFE_INTEGER` comes back with its exact digits: as a `bigint` up to 20 digits,
 * beyond (no Redis integer is that long) as the string of its digits. Throws a `SyntaxError` on
 * text `JSON.parse` would refuse.
 *
 * @example parseExactJson('["INCRBY","k",9007199254740993]') // ["INCRBY", "k", 9007199254740993n]
 */
export function parseExactJson(text: string): ExactJsonValue {
  const cursor = { text, index: 0 };
  const value = parseValue(cursor, 0);
  skipWhitespace(cursor);
  if (cursor.index !== text.length) throw unexpected(cursor);
  return value;
}

/**
 * `JSON.stringify(value)` for the values {@link parseExactJson} gives, writing a `bigint` as its
 * digits (a JSON number), not refusing it.
 *
 * @example stringifyExactJson({ result: 9007199254740993n }) // '{"result":9007199254740993}'
 */
export function stringifyExactJson(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? "null" : stringifyExactJson(item))).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const members = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .map(([key, member]) => `${JSON.stringify(key)}:${stringifyExactJson(member)}`);
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value);
}

interface Cursor {
  readonly text: string;
  index: number;
}

/** JSON's number grammar, read at the cursor. */
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

function parseValue(cursor: Cursor, depth: number): ExactJsonValue {
  skipWhitespace(cursor);
  const char = cursor.text[cursor.index];
  if (char === "[" || char === "{") {
    if (depth >= MAX_NESTING_DEPTH) throw new SyntaxError(`JSON nests deeper than ${MAX_NESTING_DEPTH} levels`);
    return char === "[" ? parseArray(cursor, depth + 1) : parseObject(cursor, depth + 1);
  }
  if (char === '"') return parseString(cursor);
  for (const [word, value] of LITERALS) {
    if (cursor.text.startsWith(word, cursor.index)) {
      cursor.index += word.length;
      return value;
    }
  }
  NUMBER.lastIndex = cursor.index;
  const number = NUMBER.exec(cursor.text);
  if (!number) throw unexpected(cursor);
  cursor.index = NUMBER.lastIndex;
  const [source, fraction, exponent] = number;
  const value = Number(source);
  if (fraction !== undefined || exponent !== undefined || Number.isSafeInteger(value)) return value;
  // Past 20 digits no integer fits Redis's 64 bits, and BigInt's conversions take time that grows
  // faster than the number's length (seconds for a body of digits, the whole server blocked):
  // Redis takes every argument as text, so the digits themselves are the same argument.
  return source.length <= MAX_BIGINT_SOURCE_LENGTH ? BigInt(source) : source;
}

/** A sign and the 20 digits of the longest 64-bit integer (`-9223372036854775808`, `18446744073709551615`). */
const MAX_BIGINT_SOURCE_LENGTH = 21;

const LITERALS: ReadonlyArray<readonly [string, ExactJsonValue]> = [
  ["true", true],
  ["false", false],
  ["null", null],
];

function parseArray(cursor: Cursor, depth: number): ExactJsonValue[] {
  cursor.index++; // [
  const items: ExactJsonValue[] = [];
  skipWhitespace(cursor);
  if (cursor.text[cursor.index] === "]") {
    cursor.index++;
    return items;
  }
  for (;;) {
    items.push(parseValue(cursor, depth));
    skipWhitespace(cursor);
    const separator = cursor.text[cursor.index++];
    if (separator === "]") return items;
    if (separator !== ",") throw unexpected(cursor, -1);
  }
}

function parseObject(cursor: Cursor, depth: number): { [key: string]: ExactJsonValue } {
  cursor.index++; // {
  const object: { [key: string]: ExactJsonValue } = {};
  skipWhitespace(cursor);
  if (cursor.text[cursor.index] === "}") {
    cursor.index++;
    return object;
  }
  for (;;) {
    skipWhitespace(cursor);
    if (cursor.text[cursor.index] !== '"') throw unexpected(cursor);
    const key = parseString(cursor);
    skipWhitespace(cursor);
    if (cursor.text[cursor.index++] !== ":") throw unexpected(cursor, -1);
    // As JSON.parse does: a key named "__proto__" is an own property, not the prototype.
    Object.defineProperty(object, key, { value: parseValue(cursor, depth), enumerable: true, writable: true, configurable: true });
    skipWhitespace(cursor);
    const separator = cursor.text[cursor.index++];
    if (separator === "}") return object;
    if (separator !== ",") throw unexpected(cursor, -1);
  }
}

/** A string literal: its end found here, its escapes decoded (and checked) by `JSON.parse`. */
function parseString(cursor: Cursor): string {
  const start = cursor.index;
  let end = start + 1;
  for (;;) {
    end = cursor.text.indexOf('"', end);
    if (end === -1) throw new SyntaxError(`unterminated string at position ${start} of the JSON`);
    let backslashes = 0;
    while (cursor.text[end - 1 - backslashes] === "\\") backslashes++;
    if (backslashes % 2 === 0) break;
    end++;
  }
  cursor.index = end + 1;
  try {
    return JSON.parse(cursor.text.slice(start, end + 1)) as string;
  } catch {
    throw new SyntaxError(`invalid string (a bad escape or a raw control character) at position ${start} of the JSON`);
  }
}

function skipWhitespace(cursor: Cursor): void {
  for (;;) {
    const char = cursor.text[cursor.index];
    if (char !== " " && char !== "\t" && char !== "\n" && char !== "\r") return;
    cursor.index++;
  }
}

function unexpected(cursor: Cursor, offset = 0): SyntaxError {
  const index = cursor.index + offset;
  return new SyntaxError(index >= cursor.text.length ? "unexpected end of the JSON" : `unexpected character at position ${index} of the JSON`);
}
