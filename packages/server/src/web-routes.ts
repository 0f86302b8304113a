import type { Hono } from "hono";
import { buildOpenApiDocument } from "./openapi.js";
import type { ServerEnv } from "./require-session.js";
import { PAGE_CSS } from "./web/page-css.js";
import { PAGE_HTML } from "./web/page-html.js";
import { PAGE_JS } from "./web/page-js.js";

/** A file of the docs page's assets: its bytes and media type, or `null` when there is none. */
export type DocsAssetLoader = (name: string) => Promise<{ body: Uint8Array<ArrayBuffer>; type: string } | null>;

/** The page runs only its own script and style sheet, talks only to this origin, and is never framed. */
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/** Swagger UI sets inline styles; everything else is as strict as the page. */
const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/** A Map, not an object literal: a name from the URL such as `__proto__` or `toString` must find nothing. */
const STATIC_FILES = new Map<string, { body: string; type: string }>([
  ["app.js", { body: PAGE_JS, type: "text/javascript; charset=utf-8" }],
  ["app.css", { body: PAGE_CSS, type: "text/css; charset=utf-8" }],
]);

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tessera · API docs</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<script src="/docs/swagger-ui-bundle.js" defer></script>
<script src="/docs/init.js" defer></script>
</head>
<body><div id="swagger-ui"></div></body>
</html>
`;

/** Starts Swagger UI on /openapi.json, offline: no validator badge (it would call out to swagger.io). */
const DOCS_INIT = `window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", validatorUrl: null, deepLinking: true, tryItOutEnabled: true });
});
`;

/**
 * The web page, its assets, `/openapi.json` and the interactive docs at `/docs`. The docs'
 * Swagger UI files come from the `swagger-ui-dist` npm package through `docsAssets` (the Node
 * entry reads them from disk); without it `/docs` still loads but its assets answer 404.
 */
export function mountWebRoutes(
  app: Hono<ServerEnv>,
  options: { cookieName: string; version: string; docsAssets?: DocsAssetLoader | undefined; metricsRoute?: boolean },
): void {
  const openApi = JSON.stringify(
    buildOpenApiDocument({ cookieName: options.cookieName, version: options.version, metricsRoute: options.metricsRoute ?? false }),
  );

  app.get("/", (c) => c.html(PAGE_HTML, 200, { "Content-Security-Policy": PAGE_CSP, "X-Frame-Options": "DENY" }));

  app.get("/static/:file", (c) => {
    const file = STATIC_FILES.get(c.req.param("file"));
    if (!file) return c.json({ detail: "Not Found" }, 404);
    return c.body(file.body, 200, { "Content-Type": file.type });
  });

  app.get("/openapi.json", (c) => c.body(openApi, 200, { "Content-Type": "application/json" }));

  app.get("/docs", (c) => c.html(DOCS_HTML, 200, { "Content-Security-Policy": DOCS_CSP, "X-Frame-Options": "DENY" }));

  app.get("/docs/:file", async (c) => {
    const name = c.req.param("file");
    if (name === "init.js") return c.body(DOCS_INIT, 200, { "Content-Type": "text/javascript; charset=utf-8" });
    const asset = (await options.docsAssets?.(name)) ?? null;
    if (asset === null) return c.json({ detail: "Not Found" }, 404);
    // Versioned package files: let browsers keep them for an hour instead of refetching 1.5 MB.
    return c.body(asset.body, 200, { "Content-Type": asset.type, "Cache-Control": "public, max-age=3600" });
  });
}
