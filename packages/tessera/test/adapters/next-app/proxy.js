// proxy.js (Next 16's name for middleware.ts): examples/next-middleware.ts.
import { NextResponse } from "next/server";
import { sessions } from "./lib/sessions.js";

export const proxy = sessions.route(async (request, session) => {
  if ((await session.lookup()).status !== "active") return NextResponse.redirect(new URL("/login", request.url));
  return NextResponse.next();
});

export const config = { matcher: ["/account/:path*"] };
