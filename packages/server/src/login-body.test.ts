import { createSessionManager } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { describe, expect, it } from "vitest";
import { parseLoginBody } from "./login-body.js";
import { LoginRequestSchema } from "./schemas.js";
import { validateBody } from "./validation.js";

const bodies: unknown[] = [
  { username: "abdullah" },
  { username: "a" },
  { username: "x".repeat(256) },
  { username: "x".repeat(257) },
  { username: "" },
  { username: "é😀" },
  { username: "😀".repeat(128) },
  { username: "😀".repeat(129) },
  { username: "😀".repeat(200) },
  { username: "😀".repeat(256) },
  { username: "😀".repeat(257) },
  { username: "\ud800" },
  { username: "a\udc00b" },
  { username: `${"x".repeat(257)}\ud800` },
  { username: "ada", extra: 1, nested: { a: [1] } },
  { username: 42 },
  { username: null },
  { username: ["ada"] },
  { username: { toString: "ada" } },
  {},
  [],
  ["ada"],
  null,
  "ada",
  42,
  true,
  JSON.parse('{"__proto__": {"username": "inherited"}}'),
  JSON.parse('{"username": "own", "__proto__": {"x": 1}}'),
  Object.create({ username: "from the prototype" }),
];

describe("parseLoginBody", () => {
  it("accepts and refuses exactly what the schema does, with the same value and 422 detail", () => {
    for (const body of bodies) expect(parseLoginBody(body), JSON.stringify(body)).toEqual(validateBody(LoginRequestSchema, body));
  });

  it("accepts only usernames the session library stores: at most 256 UTF-16 units, no lone surrogate", async () => {
    const manager = createSessionManager({ store: createMemoryStore() });
    const request = new Request("http://localhost/login/");
    for (const body of bodies) {
      const parsed = parseLoginBody(body);
      if (!parsed.ok) continue;
      // The library's own checks (length, well-formed Unicode) run before it touches the store.
      await expect(manager.login(request, { userId: parsed.value.username }), JSON.stringify(body)).resolves.toMatchObject({
        session: { userId: parsed.value.username },
      });
    }
  });
});
