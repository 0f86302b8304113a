import { randomBytes } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startDelayProxy, type DelayProxy } from "./delay-proxy.js";

/** What the proxy must keep, whatever its delay: every byte, in order, per connection and direction; ends after data. */
const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((thing) => thing.close()));
});

async function listen(onConnection: (socket: Socket) => void): Promise<number> {
  const server: Server = createServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  opened.push({ close: () => new Promise((resolve) => server.close(resolve)) });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function proxyTo(port: number, oneWayDelayMs: number): Promise<DelayProxy> {
  const proxy = await startDelayProxy({ targetHost: "127.0.0.1", targetPort: port, oneWayDelayMs });
  opened.push(proxy);
  return proxy;
}

/** Sends `payload` in uneven pieces, ends, and resolves with everything that came back before the end. */
function exchange(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    socket.once("end", () => {
      socket.end();
      resolve(Buffer.concat(received));
    });
    socket.once("error", reject);
    let offset = 0;
    for (let size = 1; offset < payload.length; size = (size * 7 + 13) % 9000 || 1) {
      socket.write(payload.subarray(offset, offset + size));
      offset += size;
    }
    socket.end();
  });
}

const echo = (socket: Socket) => {
  socket.on("data", (chunk: Buffer) => socket.write(chunk));
  socket.once("end", () => socket.end());
};

describe("delay proxy", () => {
  for (const delayMs of [0, 1]) {
    it(`returns every byte in order through an echo server (${delayMs} ms each way)`, async () => {
      const proxy = await proxyTo(await listen(echo), delayMs);
      const payload = randomBytes(2 * 1024 * 1024);
      const back = await exchange(proxy.port, payload);
      expect(back.length).toBe(payload.length);
      expect(back.equals(payload)).toBe(true);
    });
  }

  it("keeps order when small chunks follow large ones still in the delay line", async () => {
    const proxy = await proxyTo(await listen(echo), 1);
    const socket = connect({ host: "127.0.0.1", port: proxy.port, allowHalfOpen: true });
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    const ended = new Promise<void>((resolve) => socket.once("end", () => resolve()));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const sent: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      // Alternate 300-byte and 10-byte messages, each in its own turn of the event loop, so they reach the proxy as separate chunks.
      const message = Buffer.alloc(i % 2 ? 10 : 300, i % 256);
      sent.push(message);
      socket.write(message);
      await new Promise((resolve) => setImmediate(resolve));
    }
    socket.end();
    await ended;
    expect(Buffer.concat(received).equals(Buffer.concat(sent))).toBe(true);
  });

  it("keeps connections apart: eight at once, each gets its own bytes back", async () => {
    const proxy = await proxyTo(await listen(echo), 1);
    const payloads = Array.from({ length: 8 }, () => randomBytes(200_000));
    const backs = await Promise.all(payloads.map((payload) => exchange(proxy.port, payload)));
    for (const [i, back] of backs.entries()) expect(back.equals(payloads[i]!)).toBe(true);
    expect(proxy.connections).toBe(8);
  });

  it("delivers a server's end after all the data it sent before it", async () => {
    const sent = randomBytes(500_000);
    const port = await listen((socket) => {
      socket.resume();
      for (let offset = 0; offset < sent.length; offset += 1000) socket.write(sent.subarray(offset, offset + 1000));
      socket.end();
    });
    const proxy = await proxyTo(port, 1);
    const back = await exchange(proxy.port, Buffer.alloc(0));
    expect(back.length).toBe(sent.length);
    expect(back.equals(sent)).toBe(true);
  });

  it("refuses a negative delay with a message that says what is allowed", async () => {
    await expect(startDelayProxy({ targetHost: "127.0.0.1", targetPort: 1, oneWayDelayMs: -1 })).rejects.toThrow(/0 or more/);
  });
});
