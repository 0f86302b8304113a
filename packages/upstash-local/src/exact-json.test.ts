import { describe, expect, it } from "vitest";
import { parseExactJson, stringifyExactJson } from "./exact-json.js";

describe("parseExactJson", () => {
  it("keeps every digit of an integer beyond 2^53, as a bigint", () => {
    expect(parseExactJson('["INCRBY","k",9007199254740993]')).toEqual(["INCRBY", "k", 9007199254740993n]);
    expect(parseExactJson("[-9223372036854775808, 18446744073709551616]")).toEqual([-9223372036854775808n, 18446744073709551616n]);
    // Up to 2^53 - 1 an integer is an ordinary number; one written with a fraction or an exponent
    // is one too (rounded as JSON.parse rounds it).
    expect(parseExactJson("[9007199254740991, -9007199254740991, 9007199254740993.0, 1e21, 0.1]")).toEqual([
      9007199254740991, -9007199254740991, 9007199254740992, 1e21, 0.1,
    ]);
  });

  it("gives an integer longer than any 64-bit one as its digits in a string, never a bigint (whose conversions grow faster than its length)", () => {
    const thirty = "123456789012345678901234567890";
    expect(parseExactJson(`["SET","k",${thirty},-${thirty}]`)).toEqual(["SET", "k", thirty, `-${thirty}`]);
    const body = `["SET","k",${"9".repeat(1_000_000)}]`;
    const [, , digits] = parseExactJson(body) as [string, string, unknown];
    expect(typeof digits).toBe("string");
    expect((digits as string).length).toBe(1_000_000);
  });

  it.each([
    '["SET","k","v"]',
    ' [ [ "SET" , "k" , 12 ] , [ "GET" , "k" ] ] ',
    '"\\u00e9\\"\\\\\\n\\ud83c\\udf89"',
    '["a\\\\", "b\\\\\\"c", ""]',
    "[true,false,null,-0,0,1.5e-3,-2E+2]",
    '{"a":[1,{"b":null}],"__proto__":{"x":1},"a":2}',
    "[]",
    "{}",
    "\t\r\n 7 \n",
  ])("parses %s as JSON.parse does", (text) => {
    const exact = parseExactJson(text);
    expect(exact).toEqual(JSON.parse(text));
    if (exact !== null && typeof exact === "object" && !Array.isArray(exact)) {
      expect(Object.getPrototypeOf(exact)).toBe(Object.prototype);
      expect(Object.keys(exact)).toEqual(Object.keys(JSON.parse(text) as object));
    }
  });

  it.each([
    "",
    "[",
    "[1,]",
    "[1 2]",
    '{"a":1,}',
    '{"a" 1}',
    "{a:1}",
    "01",
    "1.",
    ".5",
    "+1",
    "-",
    "tru",
    "truex",
    "NaN",
    '"unterminated',
    '"bad \\x escape"',
    '"raw \n line break"',
    "[1]]",
    "\ufeff[1]",
  ])("refuses %j as JSON.parse does", (text) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(() => parseExactJson(text)).toThrow(SyntaxError);
  });

  it("refuses nesting past its depth bound instead of overflowing the stack", () => {
    expect(() => parseExactJson("[".repeat(100_000))).toThrow(/nests deeper than/);
    expect(parseExactJson(`${"[".repeat(100)}${"]".repeat(100)}`)).toEqual(JSON.parse(`${"[".repeat(100)}${"]".repeat(100)}`));
  });
});

describe("stringifyExactJson", () => {
  it("writes a bigint as its digits and everything else as JSON.stringify does", () => {
    expect(stringifyExactJson({ result: 9007199254740993n })).toBe('{"result":9007199254740993}');
    expect(stringifyExactJson([{ result: [-9223372036854775808n, "x", null, 1.5] }, { error: 'ERR "quoted"' }])).toBe(
      '[{"result":[-9223372036854775808,"x",null,1.5]},{"error":"ERR \\"quoted\\""}]',
    );
    const plain = { result: ["héllo", "\u0000", 0, -1, null, [true]], error: undefined };
    expect(stringifyExactJson(plain)).toBe(JSON.stringify(plain));
  });
});
