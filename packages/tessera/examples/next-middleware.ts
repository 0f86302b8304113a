// proxy.ts of a Next.js 16 app (Next 15: middleware.ts, exporting `middleware`): send visitors
// without a session to /login. Next 16 runs the proxy on Node, so any store works; Next 15 runs
// middleware on the Edge runtime, where a TCP Redis client cannot load (use the Upstash store, or
// from Next 15.5 `export const config = { runtime: "nodejs" }`).
// Compiled by `npm run typecheck`, exercised by test/adapters/examples.test.ts, and run in a real
// `next start` by test/adapters/next-server.test.ts (its next-app/proxy.js).
import { NextResponse, type NextRequest } from "next/server.js";
import { sessions } from "./next-sessions.js";

export const proxy = sessions.route(async (request: NextRequest, session) => {
  if ((await session.lookup()).status !== "active") return NextResponse.redirect(new URL("/login", request.url));
  return NextResponse.next(); // a dead cookie is cleared on this response
});

export const config = { matcher: ["/account/:path*"] };
