import type { Context, Hono } from "hono";
import { readJsonBody } from "./request-body.js";
import { requireSession, type ServerEnv } from "./require-session.js";
import { parseLoginBody } from "./login-body.js";

/**
 * The seed's three endpoints. Responses keep the seed's JSON byte for byte (key order included:
 * Python's client prints them as dicts), so its test script's output is unchanged.
 */
export function mountSeedApi(app: Hono<ServerEnv>, options: { maxBodyBytes: number }): void {
  app.post("/login", async (c) => {
    const body = await readJsonBody(c.req.raw, options.maxBodyBytes);
    if (!body.ok) return bodyError(c, body);
    const parsed = parseLoginBody(body.value);
    if (!parsed.ok) return c.json({ detail: parsed.detail }, 422);
    const { token } = await c.get("sessions").login({ userId: parsed.value.username });
    return c.json({ message: "Logged in successfully", session_id: token });
  });

  app.get("/profile", async (c) => {
    const current = await requireSession(c);
    if (current instanceof Response) return current;
    const { session, token } = current;
    // Exactly the seed's two keys: its client prints this dict, so any extra key changes its output.
    // Times and device details are in GET /sessions/ (the entry marked "current").
    return c.json({ session_id: token, session_data: { user: session.userId, status: "active" } });
  });

  app.post("/logout", async (c) => {
    // A tutorial cookie not yet converted: end the tutorial's session too, as its own logout did.
    await c.var.legacySeed?.remove(c);
    await c.get("sessions").logout();
    return c.json({ message: "Logged out successfully" });
  });
}

type BodyFailure = Exclude<Awaited<ReturnType<typeof readJsonBody>>, { ok: true }>;

function bodyError(c: Context, failure: BodyFailure): Response {
  switch (failure.reason) {
    case "unsupported_media_type":
      return c.json(
        { detail: `Content-Type must be application/json, got ${failure.contentType === null ? "none" : JSON.stringify(failure.contentType)}` },
        415,
      );
    case "too_large":
      return c.json({ detail: `Request body is larger than ${failure.limitBytes} bytes` }, 413);
    case "aborted":
      return c.json({ detail: "The request body was not received in full: send it within the request timeout" }, 400);
    case "empty":
      return c.json({ detail: [{ type: "missing", loc: ["body"], msg: "Field required", input: null }] }, 422);
    case "malformed":
      return c.json({ detail: [{ type: "json_invalid", loc: ["body"], msg: "JSON decode error", input: {}, ctx: { error: failure.message } }] }, 422);
  }
}
