import { request as httpRequest } from "node:http";

/** A request as the adapter suite sends it. Any method (TRACE, PURGE), any `Host`. */
export interface SuiteRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A response as the adapter suite inspects it. */
export interface SuiteResponse {
  status: number;
  /** Lower-case names; repeated headers other than Set-Cookie joined with ", ". */
  headers: Record<string, string>;
  setCookies: string[];
  text: string;
}

/**
 * Sends one request with `node:http`, not `fetch`: fetch refuses TRACE and rewrites `Host`, which
 * are exactly the requests the suite needs to send. One connection per request, no keep-alive.
 */
export function sendRaw(port: number, { method, path, headers = {}, body }: SuiteRequest): Promise<SuiteResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const flat: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (name !== "set-cookie" && value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
        }
        resolve({ status: res.statusCode ?? 0, headers: flat, setCookies: res.headers["set-cookie"] ?? [], text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}
