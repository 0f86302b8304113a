import { NextRequest, NextResponse } from "next/server.js"; // NodeNext needs the extension: next has no `exports` map
import { createNextSessions } from "tessera/next";
import { describeAdapterSuite, type AdapterDriver } from "./adapter-suite.js";
import type { SuiteRequest, SuiteResponse } from "./raw-http.js";
import { APP_COOKIE, SUITE_ROUTES } from "./suite-routes.js";

/** The methods Next.js hands to App Router route handlers; it answers any other with 405 itself. */
const ROUTE_HANDLER_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const ORIGIN = "http://localhost:3000";

/**
 * The suite on Next.js route handlers built with `route()`, called in process with real
 * `NextRequest` objects, returning real `NextResponse`s. What Next's own server does around them is
 * emulated, not run: HEAD calls the GET handler and drops the body (as Next does when a route
 * exports no HEAD), methods other than those above are refused with 405, and the request URL is
 * built as Next builds it. `next-server.test.ts` runs the real server.
 */
const nextDriver: AdapterDriver = {
  name: "next (route handlers, in process)",
  cannotRun: {
    customMethod: "Next.js hands only GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS to route handlers",
    trace: "a NextRequest (a Web Request) cannot be built with TRACE; Next's server, not run here, answers it before any route handler",
  },
  async start(manager, setup = {}) {
    const sessions = createNextSessions(manager);
    type RouteHandler = (request: NextRequest) => Promise<Response>;
    const table = new Map<string, RouteHandler>();
    for (const route of SUITE_ROUTES) {
      const handler = sessions.route(
        async (request: NextRequest, requestSessions) => {
          const result = await route.handle(requestSessions, (header) => request.headers.get(header) ?? undefined);
          const response = NextResponse.json(result.body, { status: result.status });
          if (route.appCookie) response.headers.append("Set-Cookie", APP_COOKIE);
          return response;
        },
        { sameOrigin: route.guarded === true && { trustProxy: setup.trustProxy ?? false } },
      );
      const methods = route.method === "ALL" ? ROUTE_HANDLER_METHODS : [route.method];
      for (const method of methods) table.set(`${method} ${route.path}`, handler);
    }
    async function send({ method, path, headers = {} }: SuiteRequest): Promise<SuiteResponse> {
      const handler = table.get(`${method === "HEAD" ? "GET" : method} ${path}`);
      let response: Response;
      // As `next start` builds it: the address it listens on, the scheme from X-Forwarded-Proto
      // (whoever sent it), and the client's Host kept as a header.
      const scheme = headers["x-forwarded-proto"]?.split(",")[0]?.trim() === "https" ? "https" : "http";
      const url = `${scheme}://${new URL(ORIGIN).host}${path}`;
      if (handler) response = await handler(new NextRequest(url, { method, headers: { host: new URL(ORIGIN).host, ...headers } }));
      else response = new Response(null, { status: table.has(`GET ${path}`) || table.has(`POST ${path}`) ? 405 : 404 });
      const flat: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (name !== "set-cookie") flat[name] = value;
      });
      const text = method === "HEAD" ? "" : await response.text();
      return { status: response.status, headers: flat, setCookies: response.headers.getSetCookie(), text };
    }
    return { origin: ORIGIN, send, close: async () => {} };
  },
};

describeAdapterSuite(nextDriver);
