import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts, sleep } from "./ports.js";
import { assertRedisInstalled, parseCommandStats } from "./redis-server.js";

/** One `redis-server --cluster-enabled yes` process of a {@link RedisCluster}. */
export interface ClusterNode {
  readonly port: number;
  /** `127.0.0.1:<port>`, as `CLUSTER NODES` and the clients name it. */
  readonly address: string;
  /** Process id while running, undefined while killed. */
  readonly pid: number | undefined;
}

/** A private Redis Cluster: 3 masters, 3 replicas, on free loopback ports, in a temp directory. */
export interface RedisCluster {
  readonly nodes: readonly ClusterNode[];
  /** `host:port` of every node, e.g. for `REDIS_CLUSTER_NODES`. */
  readonly startupNodes: readonly string[];
  /** Runs one command on one node through `redis-cli` and returns its raw text output. */
  command(node: ClusterNode, ...args: string[]): Promise<string>;
  /** The nodes that are masters right now (asked of the cluster, so it follows failovers). */
  masters(): Promise<ClusterNode[]>;
  /** The node serving `key`'s slot as master right now. */
  masterOf(key: string): Promise<ClusterNode>;
  /** `kill -9` of one node's process; resolves once it has exited. */
  kill(node: ClusterNode): Promise<void>;
  /** The node replicating `master` right now. */
  replicaOf(master: ClusterNode): Promise<ClusterNode>;
  /** Starts a killed node again with its own nodes.conf, so it rejoins (a killed master comes back as a replica). */
  restart(node: ClusterNode): Promise<void>;
  /**
   * A manual failover (`CLUSTER FAILOVER` on `master`'s replica): the replica becomes master and
   * `master` a replica, both alive, so clients with the old slot map get `MOVED`. Resolves with
   * the new master once the cluster is healthy again.
   */
  promoteReplicaOf(master: ClusterNode): Promise<ClusterNode>;
  /** Resolves when every running node reports `cluster_state:ok`, agrees on 3 masters, and every replica is in sync. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Commands executed by the masters (INFO commandstats summed) during `operation`, by name. */
  commandsDuring(operation: () => Promise<unknown>): Promise<Map<string, number>>;
  /** Kills this cluster's own processes (by PID) and removes its directory. */
  dispose(): Promise<void>;
}

export interface RedisClusterOptions {
  /**
   * How long a master may be unreachable before the others mark it failed and its replica takes
   * over. Redis's default is 15000; tests use a short one so a failover fits in a test.
   * @default 2000
   */
  nodeTimeoutMs?: number;
}

const MASTERS = 3;

/**
 * Commands a master runs that no store operation sends: this helper's bookkeeping (`INFO`,
 * `CONFIG`), the clients' topology refreshes (`CLUSTER …`), connection set-up (`HELLO`, `AUTH`,
 * `CLIENT …`, `SELECT`, `READONLY`, `COMMAND …`) and replication's own traffic: each replica sends
 * `REPLCONF ACK` every second, and one whose link dropped (a node busy past the node timeout on a
 * loaded CI machine) resyncs with `PSYNC`. A full `npm test` run counted 4 commands for a 3-command
 * script in one round trip, twice in two days and never in 10 runs of the cluster file alone; a
 * command of this kind is the likeliest cause, not a confirmed one, so what else is counted is
 * also printed (see `commandsDuring`).
 */
/** What the Redis store's commands and scripts run on a master (a command outside it is printed when counted). */
const STORE_COMMANDS = new Set([
  "evalsha",
  "eval",
  "get",
  "getex",
  "getdel",
  "set",
  "setrange",
  "del",
  "exists",
  "expire",
  "pexpire",
  "pttl",
  "ttl",
  "hget",
  "hset",
  "hdel",
  "hlen",
  "hrandfield",
  "hscan",
  "hgetall",
  "hmget",
  "hexists",
  "scan",
  "wait",
  "memory|usage",
]);

const NOT_THE_OPERATIONS = /^(info|config|cluster|ping|replconf|psync|sync|hello|auth|client|select|readonly|readwrite|command)(\||$)/;
const CLI_TIMEOUT_MS = 5000;

/**
 * Starts 6 `redis-server --cluster-enabled yes` processes (each with its own dir and nodes.conf),
 * joins them with `redis-cli --cluster create … --cluster-replicas 1`, and waits until the
 * cluster is healthy. Every wait is bounded and says what it was waiting for when it gives up.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  assertRedisInstalled();
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 2000;
  const root = mkdtempSync(join(tmpdir(), "tessera-cluster-"));
  const processes = new Map<number, ChildProcess>();
  const nodes: Array<ClusterNode & { dir: string }> = [];

  /** Each node's cluster bus port, chosen with the data ports (by default it is port + 10000, which may be another node's port). */
  const busPorts = new Map<number, number>();

  async function launch(port: number, dir: string): Promise<void> {
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--cluster-port",
        String(busPorts.get(port)),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "nodes.conf",
        "--cluster-node-timeout",
        String(nodeTimeoutMs),
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "yes",
        // A node that does not start (an option this redis-server does not know, a port taken)
        // says why here; the PING timeout below quotes it.
        "--logfile",
        join(dir, "redis.log"),
      ],
      // stderr: where a refused option is reported, before the log file is opened.
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    processes.set(port, child);
    const whyNot = () => {
      const exited = child.exitCode !== null || child.signalCode !== null ? `redis-server exited (${child.signalCode ?? `code ${child.exitCode}`}); ` : "";
      const log = existsSync(join(dir, "redis.log")) ? readFileSync(join(dir, "redis.log"), "utf8").trim().split("\n").slice(-3).join(" | ") : "no log";
      return `${exited}its log: ${log}${stderr.trim() ? `; its stderr: ${stderr.trim().replace(/\s+/g, " ")}` : ""}`;
    };
    await waitFor(`redis-server on port ${port} to answer PING`, 5000, async () => (await cli(port, ["PING"]).catch(() => "")).trim() === "PONG", whyNot);
  }

  const cluster: RedisCluster = {
    nodes,
    get startupNodes() {
      return nodes.map((node) => node.address);
    },
    command: (node, ...args) => cli(node.port, args),
    async masters() {
      const view = await clusterView(nodes);
      return nodes.filter((node) => view.some((entry) => entry.address === node.address && entry.isHealthyMaster));
    },
    async masterOf(key) {
      const anyNode = nodes.find((node) => node.pid !== undefined);
      if (!anyNode) throw new Error("no cluster node is running");
      const slot = Number((await cli(anyNode.port, ["CLUSTER", "KEYSLOT", key])).trim());
      const owner = (await clusterView(nodes)).find((entry) => entry.isHealthyMaster && entry.slots.some(([first, last]) => slot >= first && slot <= last));
      const node = nodes.find((candidate) => candidate.address === owner?.address);
      if (!node) throw new Error(`no healthy master serves slot ${slot} of ${JSON.stringify(key)}`);
      return node;
    },
    async kill(node) {
      const child = processes.get(node.port);
      if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error(`node ${node.address} is not running`);
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGKILL");
      await exited;
      processes.delete(node.port);
    },
    async restart(node) {
      const entry = nodes.find((candidate) => candidate.port === node.port);
      if (!entry) throw new Error(`${node.address} is not a node of this cluster`);
      if (processes.has(node.port)) throw new Error(`node ${node.address} is still running: kill it first`);
      await launch(entry.port, entry.dir);
    },
    async replicaOf(master) {
      const masterId = (await cli(master.port, ["CLUSTER", "MYID"])).trim();
      const replica = parseClusterNodes(await cli(master.port, ["CLUSTER", "NODES"])).find((entry) => entry.replicaOf === masterId);
      const node = nodes.find((candidate) => candidate.address === replica?.address);
      if (!node) throw new Error(`${master.address} has no replica`);
      return node;
    },
    async promoteReplicaOf(master) {
      const node = await cluster.replicaOf(master);
      await cli(node.port, ["CLUSTER", "FAILOVER"]);
      await waitFor(`${node.address} to take over from ${master.address}`, 10_000, async () => (await cluster.masters()).includes(node));
      await waitUntilHealthy(nodes, 20_000);
      return node;
    },
    waitUntilHealthy: (timeoutMs = 20_000) => waitUntilHealthy(nodes, timeoutMs),
    async commandsDuring(operation) {
      const masters = await cluster.masters();
      await Promise.all(masters.map((master) => cli(master.port, ["CONFIG", "RESETSTAT"])));
      await operation();
      const total = new Map<string, number>();
      for (const master of masters) {
        for (const [name, calls] of parseCommandStats((await cli(master.port, ["INFO", "commandstats"])).replace(/\n/g, "\r\n"))) {
          if (NOT_THE_OPERATIONS.test(name)) continue;
          total.set(name, (total.get(name) ?? 0) + calls);
        }
      }
      const unexpected = [...total.keys()].filter((name) => !STORE_COMMANDS.has(name));
      if (unexpected.length > 0) console.warn(`commands counted on the masters that no store sends: ${JSON.stringify([...total])}`);
      return total;
    },
    async dispose() {
      for (const [port, child] of processes) {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
          child.kill("SIGKILL");
          await exited;
        }
        processes.delete(port);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    const ports = await freePorts(MASTERS * 2 * 2);
    for (let index = 0; index < MASTERS * 2; index++) {
      const port = ports[index]!;
      busPorts.set(port, ports[MASTERS * 2 + index]!);
      const dir = join(root, String(port));
      mkdirSync(dir);
      nodes.push({
        port,
        dir,
        address: `127.0.0.1:${port}`,
        get pid() {
          return processes.get(port)?.pid;
        },
      });
    }
    await Promise.all(nodes.map((node) => launch(node.port, node.dir)));
    await run("redis-cli", ["--cluster", "create", ...cluster.startupNodes, "--cluster-replicas", "1", "--cluster-yes"], 30_000);
    await waitUntilHealthy(nodes, 30_000);
  } catch (error) {
    await cluster.dispose();
    throw error;
  }
  return cluster;
}

async function waitUntilHealthy(nodes: readonly ClusterNode[], timeoutMs: number): Promise<void> {
  let problem = "";
  await waitFor(
    "the cluster to become healthy",
    timeoutMs,
    async () => {
      problem = await healthProblem(nodes);
      return problem === "";
    },
    () => problem,
  );
}

/** What keeps the cluster from being healthy, or "" when it is. */
async function healthProblem(nodes: readonly ClusterNode[]): Promise<string> {
  for (const node of nodes.filter((candidate) => candidate.pid !== undefined)) {
    const info = await cli(node.port, ["CLUSTER", "INFO"]).catch((error: Error) => error.message);
    if (!info.includes("cluster_state:ok")) return `${node.address}: ${/cluster_state:\w+/.exec(info)?.[0] ?? info.trim()}`;
    const masters = parseClusterNodes(await cli(node.port, ["CLUSTER", "NODES"]).catch(() => "")).filter(
      (entry) => entry.isHealthyMaster && entry.slots.length > 0,
    );
    if (masters.length !== MASTERS) return `${node.address} sees ${masters.length} healthy masters with slots, not ${MASTERS}`;
    const replication = await cli(node.port, ["INFO", "replication"]).catch(() => "");
    if (replication.includes("role:slave") && !replication.includes("master_link_status:up")) return `replica ${node.address} is not in sync with its master`;
  }
  return "";
}

interface ClusterNodesEntry {
  address: string;
  /** The id of the master this node replicates, if it is a replica. */
  replicaOf: string | undefined;
  isHealthyMaster: boolean;
  slots: Array<[first: number, last: number]>;
}

/** The cluster as the first running node that answers sees it. */
async function clusterView(nodes: readonly ClusterNode[]): Promise<ClusterNodesEntry[]> {
  for (const node of nodes.filter((candidate) => candidate.pid !== undefined)) {
    const view = await cli(node.port, ["CLUSTER", "NODES"]).catch(() => "");
    if (view.trim() !== "") return parseClusterNodes(view);
  }
  throw new Error("no running cluster node answered CLUSTER NODES");
}

/** Parses `CLUSTER NODES`: `<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>…`. */
function parseClusterNodes(view: string): ClusterNodesEntry[] {
  return view
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const fields = line.trim().split(" ");
      const flags = (fields[2] ?? "").split(",");
      return {
        address: (fields[1] ?? "").split("@")[0]!,
        replicaOf: fields[3] === "-" ? undefined : fields[3],
        isHealthyMaster: flags.includes("master") && !flags.includes("fail") && !flags.includes("fail?"),
        slots: fields
          .slice(8)
          .filter((part) => /^\d+(-\d+)?$/.test(part))
          .map((part) => {
            const [first, last] = part.split("-").map(Number);
            return [first!, last ?? first!] as [number, number];
          }),
      };
    });
}

/** Polls `check` every 100 ms until it is true; past `timeoutMs`, throws naming what it waited for. */
async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, lastProblem?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastProblem ? ` (last seen: ${lastProblem()})` : ""}`);
}

function cli(port: number, args: string[]): Promise<string> {
  return run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], CLI_TIMEOUT_MS);
}

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")} failed: ${error.message} ${stderr}`.trim()));
      else resolve(stdout);
    });
  });
}
