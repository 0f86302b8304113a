import { connect } from "node:net";
import { Redis as UpstashRedis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashLocal, type UpstashLocalServer } from "../src/index.js";
import { sleep } from "../../../test/support/ports.js";
import { startRedisServer, type RedisServer } from "../../../test/support/redis-server.js";

const TOKEN = "upstash-local-pubsub-token";

/** Waits (bounded) until `condition` holds; the bound only turns a hang into a failure. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 250; attempt++) {
    if (await condition()) return;
    await sleep(20);
  }
  throw new Error(`gave up waiting until ${what}`);
}

/** The first event a listener registered by `register` receives. */
function nextEvent<T>(register: (listener: (event: T) => void) => void): Promise<T> {
  return new Promise((resolve) => register(resolve));
}

/** An event stream read by hand: its raw text so far, and a way to wait for more. */
async function openStream(url: string, path: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, accept: "text/event-stream", ...headers },
    body: "[]",
    signal: controller.signal,
  });
  let text = "";
  let ended = false;
  if (response.ok && response.body) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
        }
      } catch {
        // aborted by the test
      }
      ended = true;
    })();
  }
  return {
    response,
    text: () => text,
    ended: () => ended,
    waitFor: (fragment: string) => until(() => text.includes(fragment), `the stream shows ${JSON.stringify(fragment)}`),
    close: () => controller.abort(),
  };
}

describe("upstash-local pub/sub, as @upstash/redis's subscribe() reads it", () => {
  let redis: RedisServer;
  let rest: UpstashLocalServer;
  let client: UpstashRedis;
  const subscribersOf = async (channel: string) => {
    const [, count] = (await client.exec(["PUBSUB", "NUMSUB", channel])) as [string, number];
    return count;
  };
  const connectedClients = async () => Number(/connected_clients:(\d+)/.exec(await redis.command("INFO", "clients"))?.[1]);

  beforeAll(async () => {
    redis = await startRedisServer();
    rest = await startUpstashLocal({ redisUrl: redis.url, token: TOKEN, port: 0 });
    client = new UpstashRedis({ url: rest.url, token: TOKEN, retry: false, enableAutoPipelining: false });
  });
  afterAll(async () => {
    await rest?.close();
    await redis?.dispose();
  });

  it("delivers published messages to subscribe(), and releases the Redis subscription on unsubscribe()", async () => {
    const subscriber = client.subscribe(["news"]);
    const messages: unknown[] = [];
    subscriber.on("message", (event) => messages.push(event));
    expect(await nextEvent<number>((listener) => subscriber.on("subscribe", listener))).toBe(1);
    expect(rest.activeSubscribers).toBe(1);

    expect(await client.publish("news", { headline: "local, offline" })).toBe(1);
    expect(await client.publish("news", "plain text, with commas")).toBe(1);
    await until(() => messages.length === 2, "two messages arrived");
    expect(messages).toEqual([
      { channel: "news", message: { headline: "local, offline" } },
      { channel: "news", message: "plain text, with commas" },
    ]);

    await subscriber.unsubscribe();
    await until(async () => (await subscribersOf("news")) === 0 && rest.activeSubscribers === 0, "the subscription is released");
  });

  it("delivers pattern messages to psubscribe()", async () => {
    const subscriber = client.psubscribe(["orders.*"]);
    const messages: unknown[] = [];
    subscriber.on("pmessage", (event) => messages.push(event));
    expect(await nextEvent<number>((listener) => subscriber.on("psubscribe", listener))).toBe(1);
    // The official client JSON-parses pattern messages and reports a plain string as an error,
    // so these are JSON.
    await client.publish("orders.eu", { id: 1 });
    await client.publish("other", "not for this pattern");
    await client.publish("orders.us", 42);
    await until(() => messages.length === 2, "two pattern messages arrived");
    expect(messages).toEqual([
      { pattern: "orders.*", channel: "orders.eu", message: { id: 1 } },
      { pattern: "orders.*", channel: "orders.us", message: 42 },
    ]);
    await subscriber.unsubscribe();
    await until(() => rest.activeSubscribers === 0, "the pattern subscription is released");
  });

  it("sends the event-stream lines Upstash sends", async () => {
    rest.resetStats();
    const stream = await openStream(rest.url, "/subscribe/raw/second");
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get("content-type")).toBe("text/event-stream");
    await stream.waitFor("data: subscribe,second,2\n\n");
    expect(rest.stats).toEqual({ httpRequests: 1, commands: 1 }); // billed as one SUBSCRIBE
    expect(stream.text()).toBe("data: subscribe,raw,1\n\ndata: subscribe,second,2\n\n");
    await client.exec(["PUBLISH", "second", "x,y"]);
    await client.exec(["PUBLISH", "raw", "two\nlines"]);
    await stream.waitFor("lines\n\n");
    expect(stream.text()).toBe("data: subscribe,raw,1\n\ndata: subscribe,second,2\n\ndata: message,second,x,y\n\ndata: message,raw,two\ndata: lines\n\n");
    stream.close();

    const patterns = await openStream(rest.url, "/psubscribe/p%3A*");
    await patterns.waitFor("data: psubscribe,p:*,1\n\n");
    await client.exec(["PUBLISH", "p:1", "hello"]);
    await patterns.waitFor("data: pmessage,p:*,p:1,hello\n\n");
    patterns.close();
    await until(() => rest.activeSubscribers === 0, "both streams are released");
  });

  it.each([
    ["without Accept: text/event-stream", "/subscribe/c", { accept: "application/json" }, 400, /Accept: text\/event-stream/],
    ["without a channel", "/subscribe", {}, 400, /at least one channel/],
    ["without a pattern", "/psubscribe/", {}, 400, /at least one pattern/],
    ["with a wrong token", "/subscribe/c", { authorization: "Bearer nope" }, 401, /Unauthorized/],
  ])("answers a subscription %s (at %s) with an error status and a JSON error", async (_, path, headers, status, error) => {
    const stream = await openStream(rest.url, path, headers);
    expect(stream.response.status).toBe(status);
    expect(((await stream.response.json()) as { error: string }).error).toMatch(error);
    expect(rest.activeSubscribers).toBe(0);
  });

  it("releases the subscription and its Redis connection when the client vanishes mid-stream", async () => {
    const baseline = await connectedClients();
    const url = new URL(rest.url);
    const socket = connect(Number(url.port), url.hostname);
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
    socket.write(`POST /subscribe/vanish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nAccept: text/event-stream\r\nContent-Length: 2\r\n\r\n[]`);
    await until(() => received.includes("data: subscribe,vanish,1"), "the raw stream is subscribed");
    expect(await subscribersOf("vanish")).toBe(1);
    expect(await connectedClients()).toBe(baseline + 1);
    socket.destroy();
    await until(async () => (await subscribersOf("vanish")) === 0, "Redis no longer counts the subscriber");
    await until(async () => (await connectedClients()) === baseline, "the subscriber's Redis connection is closed");
    expect(rest.activeSubscribers).toBe(0);
  });

  it("cuts a stream whose client stops reading, instead of queueing for it without bound", async () => {
    const url = new URL(rest.url);
    const socket = connect(Number(url.port), url.hostname);
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
    socket.write(`POST /subscribe/stalled HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nAccept: text/event-stream\r\nContent-Length: 2\r\n\r\n[]`);
    await until(() => received.includes("data: subscribe,stalled,1"), "the raw stream is subscribed");
    socket.pause(); // the client stops reading; the kernel buffers fill, then the server's queue grows
    const message = "m".repeat(256 * 1024);
    let published = 0;
    // Bounded: 400 × 256 KiB is far past the 4 MiB queue limit plus any loopback socket buffers.
    while (rest.activeSubscribers > 0 && published < 400) {
      await client.exec(["PUBLISH", "stalled", message]);
      published++;
    }
    expect(rest.activeSubscribers).toBe(0);
    await until(async () => (await subscribersOf("stalled")) === 0, "the stalled subscription is released");
    socket.destroy();
  });
});

describe("upstash-local's subscriber cap", () => {
  let redis: RedisServer;
  let rest: UpstashLocalServer;
  beforeAll(async () => {
    redis = await startRedisServer();
    rest = await startUpstashLocal({ redisUrl: redis.url, token: TOKEN, port: 0, maxSubscribers: 2 });
  });
  afterAll(async () => {
    await rest?.close();
    await redis?.dispose();
  });

  it("lets exactly maxSubscribers streams open under a concurrent rush, answers the rest 429, and frees a slot when one goes", async () => {
    const streams = await Promise.all(Array.from({ length: 6 }, (_, i) => openStream(rest.url, `/subscribe/rush-${i}`)));
    const statuses = streams.map((stream) => stream.response.status).sort();
    expect(statuses).toEqual([200, 200, 429, 429, 429, 429]);
    const refused = streams.find((stream) => stream.response.status === 429)!;
    expect(((await refused.response.json()) as { error: string }).error).toMatch(/2 event streams are open, the limit is 2.*--max-subscribers/);
    expect(rest.activeSubscribers).toBe(2);

    // The official client reports the refusal as an error event.
    const client = new UpstashRedis({ url: rest.url, token: TOKEN, retry: false, enableAutoPipelining: false });
    const overCap = client.subscribe(["one-too-many"]);
    expect(String(await nextEvent<Error>((listener) => overCap.on("error", listener)))).toMatch(/the limit is 2/);

    const open = streams.filter((stream) => stream.response.status === 200);
    open[0]!.close();
    await until(() => rest.activeSubscribers === 1, "the closed stream's slot is free");
    const again = client.subscribe(["after-a-slot-freed"]);
    expect(await nextEvent<number>((listener) => again.on("subscribe", listener))).toBe(1);
    await again.unsubscribe();
    open[1]!.close();
    await until(() => rest.activeSubscribers === 0, "every slot is free");
  });

  it("ends open streams when the server closes", async () => {
    const stream = await openStream(rest.url, "/subscribe/closing");
    await stream.waitFor("data: subscribe,closing,1");
    await rest.close();
    await until(() => stream.ended(), "the stream ended");
    expect(rest.activeSubscribers).toBe(0);
    // INFO's own connection is the only one left.
    await until(async () => Number(/connected_clients:(\d+)/.exec(await redis.command("INFO", "clients"))?.[1]) === 1, "every Redis connection is closed");
  });
});
