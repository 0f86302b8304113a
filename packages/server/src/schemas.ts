import { z } from "zod";

/**
 * Every request and response body of the reference server, as zod schemas. Requests are validated
 * with them (`validation.ts`), `/openapi.json` is generated from them (`openapi.ts`), and the tests
 * parse real responses with them, so the docs cannot drift from what the server does.
 */

/** Longest accepted username, in UTF-16 code units (what JavaScript's `length` counts). */
export const MAX_USERNAME_LENGTH = 256;

export const LoginRequestSchema = z
  .object({
    username: z.string().min(1).max(MAX_USERNAME_LENGTH).describe(`Who is logging in; 1 to ${MAX_USERNAME_LENGTH} characters.`),
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
