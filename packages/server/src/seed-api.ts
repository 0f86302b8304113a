import type { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type JsonBodyFailure, type JsonBodyResult, readJsonBody } from "./request-body.js";
import { requireSession, type ServerEnv } from "./require-session.js";
import { parseLoginBody } from "./login-body.js";

/**
 * The seed's three endpoints. Responses keep the seed's JSON byte for byte (key order included:
 * Python's client prints them as dicts), so its test script's output is unchanged.
 */
export function mountSeedApi(app: Hono<ServerEnv>, options: { maxBodyBytes: number }): void {
  app.post("/login", async (c) => {
    const login = loginRequestOf(await readJsonBody(c.req.raw, options.maxBodyBytes));
    if (!login.ok) return c.json(login.answer.body, login.answer.status);
    const { token } = await c.get("sessions").login({ userId: login.userId });
    return c.json(loggedIn(token));
  });

  app.get("/profile", async (c) => {
    const current = await requireSession(c);
    if (current instanceof Response) return current;
    const { session, token } = current;
    // Exactly the seed's two keys: its client prints this dict, so any extra key changes its output.
    // Times and device details are in GET /sessions/ (the entry marked "current").
    return c.json(profile(token, session.userId));
  });

  app.post("/logout", async (c) => {
    // A tutorial cookie not yet converted: end the tutorial's session too, as its own logout did.
    await c.var.legacySeed?.remove(c);
    await c.get("sessions").logout();
    return c.json(LOGGED_OUT);
  });
}

/*
 * The answers, apart from any framework: the Hono routes above and the Node lane
 * (`node-lane.ts`) write the same ones.
 */

/** A JSON answer before a framework writes it. */
export interface JsonAnswer {
  status: ContentfulStatusCode;
  body: unknown;
}

/** An answer whose body is JSON text already (the Node lane's hot answers). */
export interface JsonTextAnswer {
  status: ContentfulStatusCode;
  text: string;
}

export const loggedIn = (token: string) => ({ message: "Logged in successfully", session_id: token });
export const profile = (token: string, userId: string) => ({ session_id: token, session_data: { user: userId, status: "active" } });

/*
 * The same two answers as JSON text, for the Node lane: what `JSON.stringify` makes of them, without
 * building and walking an object per request. Only for tokens the session manager issued or
 * validated (base64url characters, which JSON never escapes); the user id may hold anything.
 */
export const loggedInText = (token: string) => `{"message":"Logged in successfully","session_id":"${token}"}`;
export const profileText = (token: string, userId: string) => `{"session_id":"${token}","session_data":{"user":${jsonString(userId)},"status":"active"}}`;

/**
 * `JSON.stringify(text)` for a string: quoted as it is when JSON would escape none of its
 * characters (most user ids), which costs less than the call; else `JSON.stringify` itself.
 */
export function jsonString(text: string): string {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    // What JSON escapes: control characters, `"`, `\`; and a surrogate, which it escapes when lone.
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(text);
  }
  return `"${text}"`;
}
export const LOGGED_OUT = { message: "Logged out successfully" } as const;

/** A login's body read: the user to log in, or the answer that refuses it. */
export function loginRequestOf(body: JsonBodyResult): { ok: true; userId: string } | { ok: false; answer: JsonAnswer } {
  if (!body.ok) return { ok: false, answer: bodyErrorAnswer(body) };
  const parsed = parseLoginBody(body.value);
  return parsed.ok ? { ok: true, userId: parsed.value.username } : { ok: false, answer: { status: 422, body: { detail: parsed.detail } } };
}

/** What a body that could not be read as JSON is answered. */
function bodyErrorAnswer(failure: JsonBodyFailure): JsonAnswer {
  switch (failure.reason) {
    case "unsupported_media_type":
      return {
        status: 415,
        body: { detail: `Content-Type must be application/json, got ${failure.contentType === null ? "none" : JSON.stringify(failure.contentType)}` },
      };
    case "too_large":
      return { status: 413, body: { detail: `Request body is larger than ${failure.limitBytes} bytes` } };
    case "aborted":
      return { status: 400, body: { detail: "The request body was not received in full: send it within the request timeout" } };
    case "empty":
      return { status: 422, body: { detail: [{ type: "missing", loc: ["body"], msg: "Field required", input: null }] } };
    case "malformed":
      return { status: 422, body: { detail: [{ type: "json_invalid", loc: ["body"], msg: "JSON decode error", input: {}, ctx: { error: failure.message } }] } };
  }
}
