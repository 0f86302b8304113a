// app/api/proxied-session/route.js: the login of app/api/session/route.js for an app behind a
// proxy that rewrites Host: the guard is told the public origin the browser uses.
import { NextResponse } from "next/server";
import { sessions } from "../../../lib/sessions.js";

export const POST = sessions.route(
  async (request, session) => {
    await session.login({ userId: request.headers.get("x-user") ?? "ada", data: { theme: "dark" } });
    return NextResponse.json({ ok: true });
  },
  { sameOrigin: { allowedOrigins: ["https://app.example.com"] } },
);
