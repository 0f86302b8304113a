/** How long the test waits for any answer: far past the store's deadline, so only a missed deadline reaches it. */
export const CLIENT_TIMEOUT_MS = 5000;

export interface SmokeResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | null;
}

/**
 * One browser, as far as the smoke app can tell: it keeps the session cookie the app sets and
 * drops it when the app clears it.
 */
export class SmokeClient {
  cookie: string | undefined;

  constructor(private readonly baseUrl: string) {}

  async request(method: string, path: string, body?: unknown): Promise<SmokeResponse> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
    } catch (error) {
      if ((error as Error).name === "TimeoutError") {
        throw new Error(`${method} ${path} got no answer within the client's ${CLIENT_TIMEOUT_MS} ms: nothing cut the hung store call at its deadline`);
      }
      throw error;
    }
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair = ""] = setCookie.split(";");
      const value = pair.slice(pair.indexOf("=") + 1);
      this.cookie = value === "" || /max-age=0/i.test(setCookie) ? undefined : pair;
    }
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  }
}
