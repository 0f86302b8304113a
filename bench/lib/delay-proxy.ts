import { connect, createServer, type Server, type Socket } from "node:net";

/** Options of {@link startDelayProxy}. */
export interface DelayProxyOptions {
  /** Where connections are forwarded to. */
  targetHost: string;
  targetPort: number;
  /** Added to every chunk in each direction, so a round trip gains twice this. 0 forwards at once. */
  oneWayDelayMs: number;
  /** Port to listen on; 0 picks a free one. @default 0 */
  listenPort?: number;
  /** @default "127.0.0.1" */
  listenHost?: string;
}

export interface DelayProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** A chunk (or an end of stream, `chunk` null) waiting in the delay line. */
interface Pending {
  dueAtMs: number;
  to: Socket;
  from: Socket;
  chunk: Buffer | null;
}

/**
 * Node timers have whole-millisecond resolution and fire about 0.1 ms late. A chunk due within
 * half a millisecond goes now rather than one timer tick (over 1 ms) later, so the mean delay stays
 * close to the one asked for; the bench measures and reports the delay it really got.
 */
const EARLY_TOLERANCE_MS = 0.5;

const nowMs = () => performance.now();

/**
 * A TCP proxy that delays every chunk by a fixed time in each direction, like a network link with
 * that latency and ample bandwidth. One FIFO delay line serves all connections: every chunk gets
 * the same delay, so order within each direction is kept, and many chunks are in flight at once, so
 * throughput is not limited to one chunk per delay. A full destination pauses its source
 * (back-pressure), as TCP would. Ends travel through the line too, so a FIN never overtakes data.
 */
export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const { targetHost, targetPort, oneWayDelayMs } = options;
  if (!(oneWayDelayMs >= 0)) throw new Error(`oneWayDelayMs must be 0 or more, got ${oneWayDelayMs}`);
  const line: Pending[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;
  let connections = 0;
  const sockets = new Set<Socket>();

  const deliver = ({ to, from, chunk }: Pending) => {
    if (to.destroyed) return;
    if (chunk === null) return void to.end();
    // Back-pressure: stop reading the sender until the receiver has drained.
    if (!to.write(chunk) && !from.isPaused()) {
      from.pause();
      to.once("drain", () => from.resume());
    }
  };

  const flush = () => {
    timer = undefined;
    const due = nowMs() + EARLY_TOLERANCE_MS;
    while (head < line.length && line[head]!.dueAtMs <= due) deliver(line[head++]!);
    if (head === line.length) {
      line.length = 0;
      head = 0;
    } else {
      // Compact now and then so the array does not grow without bound under constant load.
      if (head > 1024) {
        line.splice(0, head);
        head = 0;
      }
      schedule();
    }
  };

  const schedule = () => {
    if (timer !== undefined || head >= line.length) return;
    const waitMs = line[head]!.dueAtMs - nowMs();
    timer = setTimeout(flush, Math.max(1, Math.floor(waitMs)));
  };

  const send = (from: Socket, to: Socket, chunk: Buffer | null) => {
    if (oneWayDelayMs === 0) return deliver({ dueAtMs: 0, to, from, chunk });
    line.push({ dueAtMs: nowMs() + oneWayDelayMs, to, from, chunk });
    schedule();
  };

  // Half-open sockets: a side that has sent its FIN may still receive what the line holds for it.
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    connections++;
    const upstream = connect({ host: targetHost, port: targetPort, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.once("close", () => sockets.delete(socket));
      // Either side failing ends the pair: a half-open proxy would hang the client.
      socket.once("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (chunk: Buffer) => send(client, upstream, chunk));
    upstream.on("data", (chunk: Buffer) => send(upstream, client, chunk));
    client.once("end", () => send(client, upstream, null));
    upstream.once("end", () => send(upstream, client, null));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.listenPort ?? 0, options.listenHost ?? "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("delay proxy: no TCP address after listen");
  return {
    port: address.port,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
