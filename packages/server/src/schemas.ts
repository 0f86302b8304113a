import { z } from "zod";

/**
 * Every request and response body of the reference server, as zod schemas. Requests are validated
 * with them (`validation.ts`), `/openapi.json` is generated from them (`openapi.ts`), and the tests
 * parse real responses with them, so the docs cannot drift from what the server does.
 */

/** Longest accepted username, in UTF-16 code units (what JavaScript's `length` counts). */
export const MAX_USERNAME_LENGTH = 256;

/** An unpaired half of a UTF-16 surrogate pair (with the `u` flag a whole pair does not match). */
export const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * A username the session library will store: zod's `max` counts code points (as JSON Schema's
 * `maxLength`, which `/openapi.json` shows), while the library counts UTF-16 units and refuses
 * lone surrogates; without these checks, 129 emoji or a `"\ud800"` passed the schema and got the
 * library's error, a string `detail` instead of the 422 list.
 */
const username = z
  .string()
  .min(1)
  .max(MAX_USERNAME_LENGTH)
  .superRefine((value, context) => {
    // Only past 256 units can the two counts differ (and `max` has already spoken past 256 code points).
    if (value.length > MAX_USERNAME_LENGTH && [...value].length <= MAX_USERNAME_LENGTH) {
      context.addIssue({ code: "too_big", origin: "string", maximum: MAX_USERNAME_LENGTH, inclusive: true, input: value });
    }
    if (LONE_SURROGATE.test(value)) {
      context.addIssue({ code: "custom", message: "Value error, username must be well-formed Unicode: it holds a lone UTF-16 surrogate", input: value });
    }
  });

export const LoginRequestSchema = z
  .object({
    username: username.describe(
      `Who is logging in; 1 to ${MAX_USERNAME_LENGTH} UTF-16 code units (a character outside the Basic Multilingual Plane, such as an emoji, counts 2), well-formed Unicode.`,
    ),
  })
  .describe("Body of POST /login/, as the seed's pydantic LoginRequest.");
export type LoginRequest = z.infer<typeof LoginRequestSchema>;

const token = z
  .string()
  .regex(/^[A-Za-z0-9_-]{45}$/)
  .describe("The session token, as in the session_id cookie (the seed returns it too).");

export const LoginResponseSchema = z.object({ message: z.literal("Logged in successfully"), session_id: token });
export const LogoutResponseSchema = z.object({ message: z.literal("Logged out successfully") });
export const ProfileResponseSchema = z.object({
  session_id: token,
  session_data: z.object({ user: z.string(), status: z.literal("active") }),
});

export const SessionEntrySchema = z.object({
  handle: z.string().describe("Public id of the session: not a token, only good for DELETE /sessions/{handle}."),
  user_agent: z.string().describe('A short label, e.g. "Firefox 132 on Linux".'),
  ip: z.string(),
  created_at: z.iso.datetime(),
  last_seen_at: z.iso.datetime().describe("Recorded at most once a minute."),
  expires_at: z.iso.datetime().describe("When the session ends if unused (idle timeout, capped by the absolute one)."),
  absolute_expires_at: z.iso.datetime(),
  current: z.boolean().describe("Whether this is the session that asked."),
});
export const SessionsResponseSchema = z.object({ sessions: z.array(SessionEntrySchema) });
export const RevokeOthersResponseSchema = z.object({ revoked: z.number().int().min(0) });

export const HealthResponseSchema = z.object({ status: z.literal("ok") }).describe("The process is alive.");
export const ReadyResponseSchema = z.object({ status: z.literal("ready") }).describe("The session store answered within its deadline.");

export const DetailSchema = z.object({ detail: z.string() }).describe("An error, in FastAPI's shape.");
export const ValidationErrorSchema = z
  .object({
    detail: z.array(
      z.object({
        type: z.string(),
        loc: z.array(z.union([z.string(), z.number()])),
        msg: z.string(),
        input: z.unknown(),
        ctx: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
  })
  .describe("Invalid request body, in FastAPI's shape: one entry per problem, loc naming the field.");
