import { z } from "zod";
import {
  DetailSchema,
  HealthResponseSchema,
  LoginRequestSchema,
  LoginResponseSchema,
  LogoutResponseSchema,
  ProfileResponseSchema,
  ReadyResponseSchema,
  RevokeOthersResponseSchema,
  SessionEntrySchema,
  SessionsResponseSchema,
  ValidationErrorSchema,
} from "./schemas.js";

/** Named schemas, emitted under components.schemas and referenced by name. */
const COMPONENTS = {
  LoginRequest: LoginRequestSchema,
  LoginResponse: LoginResponseSchema,
  LogoutResponse: LogoutResponseSchema,
  ProfileResponse: ProfileResponseSchema,
  SessionEntry: SessionEntrySchema,
  SessionsResponse: SessionsResponseSchema,
  RevokeOthersResponse: RevokeOthersResponseSchema,
  HealthResponse: HealthResponseSchema,
  ReadyResponse: ReadyResponseSchema,
  Detail: DetailSchema,
  ValidationError: ValidationErrorSchema,
} satisfies Record<string, z.ZodType>;
type ComponentName = keyof typeof COMPONENTS;

interface ResponseSpec {
  description: string;
  /** A JSON body of this component; or a non-JSON media type. */
  body?: ComponentName | { mediaType: string };
  headers?: Record<string, { description: string; schema: { type: string } }>;
}

/** One operation the server answers; the route table of the app is checked against this list in tests. */
export interface OperationSpec {
  method: "get" | "post" | "delete";
  /** OpenAPI form, trailing slash as the seed writes it: "/login/", "/sessions/{handle}". */
  path: string;
  summary: string;
  description?: string;
  tag: "seed API" | "devices" | "web" | "operations";
  requestBody?: ComponentName;
  /** Requires the session cookie. */
  authenticated?: boolean;
  /** An unsafe method: refused cross-site. */
  unsafe?: boolean;
  responses: Record<number, ResponseSpec>;
}

const detail = (description: string): ResponseSpec => ({ description, body: "Detail" });
const PROTECTED: Record<number, ResponseSpec> = {
  403: detail('No session cookie: {"detail":"No session cookie found"}'),
  404: detail('Unknown, expired or malformed session cookie: {"detail":"Session not found or expired"}; the cookie is cleared.'),
  503: {
    description: "The session store is unreachable or slow; retry after Retry-After seconds. The session is not lost.",
    body: "Detail",
    headers: { "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" } } },
  },
};
const CROSS_SITE: Record<number, ResponseSpec> = {
  403: detail("Refused: sent by a page of another site (Sec-Fetch-Site or Origin)."),
  415: detail("Content-Type is not application/json."),
};

export const OPERATIONS: OperationSpec[] = [
  {
    method: "post",
    path: "/login/",
    tag: "seed API",
    summary: "Log in",
    description: "Creates a session and sets the session_id cookie (HttpOnly, SameSite=Lax). A session the request's cookie named is ended first (rotation).",
    requestBody: "LoginRequest",
    unsafe: true,
    responses: {
      200: { description: "Logged in; Set-Cookie carries the session.", body: "LoginResponse" },
      ...CROSS_SITE,
      413: detail("Body over 16 KiB."),
      422: { description: "Invalid body (missing, empty, non-string or over-long username; malformed JSON).", body: "ValidationError" },
      503: PROTECTED[503]!,
    },
  },
  {
    method: "get",
    path: "/profile/",
    tag: "seed API",
    summary: "Read the session",
    description: "Slides the idle timeout.",
    authenticated: true,
    responses: { 200: { description: "The session.", body: "ProfileResponse" }, ...PROTECTED },
  },
  {
    method: "post",
    path: "/logout/",
    tag: "seed API",
    summary: "Log out",
    description: "Deletes the session and clears the cookie; 200 without a cookie too.",
    unsafe: true,
    responses: { 200: { description: "Logged out.", body: "LogoutResponse" }, 403: CROSS_SITE[403]!, 503: PROTECTED[503]! },
  },
  {
    method: "get",
    path: "/sessions/",
    tag: "devices",
    summary: "List my sessions",
    description: "Newest first; the caller's own is marked current.",
    authenticated: true,
    responses: { 200: { description: "The caller's live sessions.", body: "SessionsResponse" }, ...PROTECTED },
  },
  {
    method: "delete",
    path: "/sessions/{handle}",
    tag: "devices",
    summary: "Sign a session out",
    description: "Only the caller's own sessions; any other handle gets the same 404 whether or not it exists.",
    authenticated: true,
    unsafe: true,
    responses: {
      204: { description: "Signed out." },
      ...PROTECTED,
      404: detail('Not one of the caller\'s sessions ({"detail":"Session not found"}), or the caller\'s own cookie is dead.'),
    },
  },
  {
    method: "post",
    path: "/sessions/revoke-others/",
    tag: "devices",
    summary: "Sign out all my other sessions",
    authenticated: true,
    unsafe: true,
    responses: { 200: { description: "How many sessions were ended.", body: "RevokeOthersResponse" }, ...PROTECTED },
  },
  { method: "get", path: "/", tag: "web", summary: "The web page", responses: { 200: { description: "HTML.", body: { mediaType: "text/html" } } } },
  {
    method: "get",
    path: "/static/{file}",
    tag: "web",
    summary: "The page's script and style sheet",
    responses: { 200: { description: "JavaScript or CSS.", body: { mediaType: "text/plain" } }, 404: detail("No such file.") },
  },
  {
    method: "get",
    path: "/docs",
    tag: "web",
    summary: "Interactive API docs",
    responses: { 200: { description: "HTML (Swagger UI, served from the swagger-ui-dist package).", body: { mediaType: "text/html" } } },
  },
  {
    method: "get",
    path: "/docs/{file}",
    tag: "web",
    summary: "Assets of the API docs page",
    responses: {
      200: { description: "JavaScript or CSS.", body: { mediaType: "text/plain" } },
      404: detail("No such file, or swagger-ui-dist is not installed."),
    },
  },
  {
    method: "get",
    path: "/openapi.json",
    tag: "web",
    summary: "This document",
    responses: { 200: { description: "OpenAPI 3.1.", body: { mediaType: "application/json" } } },
  },
  {
    method: "get",
    path: "/healthz",
    tag: "operations",
    summary: "Liveness",
    description: "200 while the process serves HTTP. Makes no store call, so a Redis outage does not get a healthy server restarted.",
    responses: { 200: { description: "Alive.", body: "HealthResponse" } },
  },
  {
    method: "get",
    path: "/readyz",
    tag: "operations",
    summary: "Readiness",
    description: "200 when the session store answers a read within its deadline; 503 otherwise, and while shutting down.",
    responses: {
      200: { description: "Ready for traffic.", body: "ReadyResponse" },
      503: detail("Not ready; detail gives the reason, e.g. the store's error code."),
    },
  },
];

/** `GET /metrics`, documented when the main port serves it (`METRICS_PORT` unset). */
export const METRICS_OPERATION: OperationSpec = {
  method: "get",
  path: "/metrics",
  tag: "operations",
  summary: "Prometheus metrics",
  description:
    "Requests by route pattern and status, request and store-call durations, store errors by code, session events, the embedded store's size. No label holds a user id or a token.",
  responses: { 200: { description: "Prometheus text exposition format 0.0.4.", body: { mediaType: "text/plain" } } },
};

/** The operations an app serves: {@link OPERATIONS}, and `/metrics` when it is on the main port. */
export const operationsFor = (options: { metricsRoute: boolean }): OperationSpec[] => (options.metricsRoute ? [...OPERATIONS, METRICS_OPERATION] : OPERATIONS);

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

/** The OpenAPI 3.1 document for the server, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument(options: { cookieName: string; version: string; metricsRoute?: boolean }): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(COMPONENTS)) schemas[name] = jsonSchema(schema, name.endsWith("Request") ? "input" : "output");
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operationsFor({ metricsRoute: options.metricsRoute ?? false })) {
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(operation.responses)) {
      const content =
        response.body === undefined
          ? undefined
          : typeof response.body === "string"
            ? { "application/json": { schema: { $ref: `#/components/schemas/${response.body}` } } }
            : { [response.body.mediaType]: {} };
      responses[status] = { description: response.description, ...(content ? { content } : {}), ...(response.headers ? { headers: response.headers } : {}) };
    }
    const parameters = [...operation.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: "path", required: true, schema: { type: "string" } }));
    (paths[operation.path] ??= {})[operation.method] = {
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      tags: [operation.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(operation.requestBody
        ? { requestBody: { required: true, content: { "application/json": { schema: { $ref: `#/components/schemas/${operation.requestBody}` } } } } }
        : {}),
      ...(operation.authenticated ? { security: [{ sessionCookie: [] }] } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "tessera reference server",
      version: options.version,
      description:
        "The API of Upstash's tutorial 'Manage Sessions in Python with Serverless Redis', on tessera, plus device management. Every path also answers without its trailing slash. Unsafe requests from another site are refused (403).",
    },
    tags: [
      { name: "seed API", description: "The tutorial's three endpoints, byte-compatible." },
      { name: "devices", description: "Where am I logged in, and signing devices out." },
      { name: "web", description: "The page, its assets and these docs." },
      { name: "operations", description: "Health probes and metrics, for load balancers and Prometheus (docs/operations.md)." },
    ],
    paths,
    components: { schemas, securitySchemes: { sessionCookie: { type: "apiKey", in: "cookie", name: options.cookieName } } },
  };
}
