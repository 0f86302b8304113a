// app/api/session/route.ts of a Next.js app (App Router), compiled by `npm run typecheck` and
// exercised by test/adapters/examples.test.ts. (In an app, import from "next/server"; the `.js`
// is only for this repository's NodeNext module resolution.)
import { NextResponse } from "next/server.js";
import { sessions } from "./next-sessions.js";

export const GET = sessions.route(async (_request, session) => {
  const current = await session.session(); // one store read per request, however often asked
  if (!current) return NextResponse.json({ detail: "Not logged in" }, { status: 401 });
  return NextResponse.json({ user: current.userId, theme: current.data.theme });
});

// Store down → 503 + Retry-After; cookies set here are appended with Cache-Control: no-store.
export const POST = sessions.route(
  async (_request, session) => {
    await session.login({ userId: "ada", data: { theme: "dark" } });
    return NextResponse.json({ ok: true });
  },
  { sameOrigin: true }, // refuses cross-site POSTs from browsers
);

export const DELETE = sessions.route(
  async (_request, session) => {
    await session.logout(); // clears the cookie
    return new NextResponse(null, { status: 204 });
  },
  { sameOrigin: true },
);
