import { LONE_SURROGATE, LoginRequestSchema, MAX_USERNAME_LENGTH, type LoginRequest } from "./schemas.js";
import { validateBody, type ValidationDetail } from "./validation.js";

/**
 * The body of `POST /login/`, validated as {@link LoginRequestSchema} says. A well-formed body
 * (an object whose `username` is a string of 1 to 256 UTF-16 units without a lone surrogate) is checked here directly:
 * zod's `safeParse` was about 5% of a login's CPU in `npm run bench`. Anything else goes to the
 * schema, which decides and words the 422, so both paths accept exactly the same bodies (a test
 * holds them to it).
 */
export function parseLoginBody(body: unknown): { ok: true; value: LoginRequest } | { ok: false; detail: ValidationDetail[] } {
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const { username } = body as { username?: unknown };
    // Like zod's object schema: unknown keys are dropped, the value is a new object.
    if (typeof username === "string" && username.length >= 1 && username.length <= MAX_USERNAME_LENGTH && !LONE_SURROGATE.test(username)) {
      return { ok: true, value: { username } };
    }
  }
  return validateBody(LoginRequestSchema, body);
}
