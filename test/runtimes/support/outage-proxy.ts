import { connect, createServer, type Socket } from "node:net";

/**
 * What the proxy does with traffic: pass it on, swallow it (a backend that accepts connections
 * and never answers), or reset every connection (a backend that is gone).
 */
export type ProxyMode = "forward" | "hang" | "refuse";

/** A TCP proxy in front of a backend, whose outage the test switches on and off. */
export interface OutageProxy {
  readonly url: string;
  /** Every change drops the open connections, so no connection carries a request across modes. */
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port, forwarding to `target` (an http:// URL) until told otherwise. */
export async function startOutageProxy(target: string): Promise<OutageProxy> {
  const { hostname, port } = new URL(target);
  let mode: ProxyMode = "forward";
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (mode === "refuse") return void client.destroy();
    if (mode === "hang") return void client.resume();
    const upstream = connect(Number(port), hostname);
    track(upstream);
    client.pipe(upstream).on("close", () => client.destroy());
    upstream.pipe(client).on("close", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("the outage proxy has no address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    setMode(next) {
      mode = next;
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
