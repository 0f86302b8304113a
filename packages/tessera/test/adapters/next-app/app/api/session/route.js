// app/api/session/route.js: examples/next-route.ts, with the user id taken from the request.
import { NextResponse } from "next/server";
import { sessions } from "../../../lib/sessions.js";

export const GET = sessions.route(async (_request, session) => {
  const current = await session.session();
  if (!current) return NextResponse.json({ detail: "Not logged in" }, { status: 401 });
  return NextResponse.json({ user: current.userId, theme: current.data.theme });
});

export const POST = sessions.route(
  async (request, session) => {
    await session.login({ userId: request.headers.get("x-user") ?? "ada", data: { theme: "dark" } });
    return NextResponse.json({ ok: true });
  },
  { sameOrigin: true },
);

export const DELETE = sessions.route(
  async (_request, session) => {
    await session.logout();
    return new NextResponse(null, { status: 204 });
  },
  { sameOrigin: true },
);
