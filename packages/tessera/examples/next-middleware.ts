// middleware.ts (proxy.ts in Next 16) of a Next.js app: send visitors without a session to /login.
// Compiled by `npm run typecheck` and exercised by test/adapters/examples.test.ts.
import { NextResponse, type NextRequest } from "next/server.js";
import { sessions } from "./next-sessions.js";

export const middleware = sessions.route(async (request: NextRequest, session) => {
  if ((await session.lookup()).status !== "active") return NextResponse.redirect(new URL("/login", request.url));
  return NextResponse.next(); // a dead cookie is cleared on this response
});

export const config = { matcher: ["/account/:path*"] };
