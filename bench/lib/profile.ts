import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runLoad, type LoadGenerator } from "./load.js";
import { login } from "./rounds.js";
import { REFERENCE_SERVER, startTargets, type Target } from "./targets.js";

/** A node of a V8 `.cpuprofile` (the parts used here). */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  /** Samples with this node on top, by the 1-based line V8 reported for them (over the whole profile). */
  positionTicks?: Array<{ line: number; ticks: number }>;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one bucket (a package, or one function), over the profiled window. */
export interface ProfileBucket {
  name: string;
  selfMs: number;
  /** Share of the process's busy CPU time (idle excluded). */
  share: number;
  microsecondsPerRequest: number;
}

export interface ProfileSummary {
  requests: number;
  requestsPerSecond: number;
  busyMs: number;
  windowMs: number;
  /** Self time: the frame on top of the stack. */
  byOwner: ProfileBucket[];
  /** Each sample charged to the nearest package on the stack, so node internals and native calls count for whoever made them. */
  byCaller: ProfileBucket[];
  topFunctions: ProfileBucket[];
  /** Library plus reference server, self time: the share issue 12 caps at 10%. */
  tesseraShare: number;
  /** The same, with the node internals and native calls it makes charged to it. */
  tesseraChargedShare: number;
  /** Self time in the benchmark target's own script (`bench/targets/`): a hand-written target's "own code". */
  targetCodeShare: number;
  /**
   * An estimate of the part of `tesseraShare` (and of `targetCodeShare`) that V8 reported at lines
   * holding no code in the frame's own file: code it inlined there from another script (see
   * {@link inlinedFraction}). Each frame's lines are counted over the whole profile (warm-up
   * included) and applied to its samples in the load window. `undefined` when no source of those
   * frames could be read.
   */
  tesseraInlinedShare: number | undefined;
  targetInlinedShare: number | undefined;
  /**
   * `tesseraShare` (or the share {@link medianProfile} was told to rank by) of every profiled run, ascending, when this summary is the median of several
   * ({@link medianProfile}); one run's share varies by a point or more from run to run.
   */
  shareOfRuns?: number[];
  /**
   * The same read written by hand (`bench/targets/hand-read.ts`), profiled the same way, its median
   * by {@link targetCodeShare}: what a share of "own code" is for code that does only the work.
   */
  handWritten?: ProfileSummary;
}

/**
 * The run whose tessera share is the median (the lower middle for an even count), with the share
 * of every run: one profile of a few seconds moved by more than a point between runs of the same
 * code on the bench machine, so a verdict on one run would say as much about the noise as the code.
 */
export function medianProfile(runs: readonly ProfileSummary[], shareOf: (run: ProfileSummary) => number = (run) => run.tesseraShare): ProfileSummary {
  if (runs.length === 0) throw new RangeError("medianProfile needs at least one profiled run");
  const sorted = [...runs].sort((a, b) => shareOf(a) - shareOf(b));
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, shareOfRuns: sorted.map(shareOf) };
}

/** Who owns a frame: tessera's library, the reference server, an npm package, Node, or V8 itself. */
export function ownerOf(frame: ProfileNode["callFrame"]): string {
  const { url, functionName } = frame;
  if (url === "") {
    if (functionName === "(garbage collector)") return "V8 garbage collector";
    if (functionName === "(program)") return "native, outside any JS frame (libuv, V8 runtime)";
    return "native functions (socket writes, JSON, crypto bindings, …)";
  }
  if (url.startsWith("node:")) return "node internals (http, net, streams, …)";
  if (url.includes("/packages/tessera/dist/")) return "tessera library";
  if (url.includes("/packages/server/dist/")) return "tessera reference server";
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  return url.replace(/^file:\/\//, "");
}

const isPackage = (owner: string) => !owner.startsWith("node internals") && !owner.startsWith("native") && !owner.startsWith("V8") && owner !== "(root)";
const NODE_ITSELF = "node itself (HTTP parsing, timers, … called by no package)";

/** For each node, the owner of the nearest frame on its stack (itself included) that belongs to a package. */
function callerOwners(profile: CpuProfile, nodes: Map<number, ProfileNode>): Map<number, string> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const charged = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = charged.get(id);
    if (known !== undefined) return known;
    const node = nodes.get(id);
    const own = node ? ownerOf(node.callFrame) : NODE_ITSELF;
    const up = parent.get(id);
    const result = node && node.callFrame.url !== "" && isPackage(own) ? own : up === undefined ? NODE_ITSELF : resolve(up);
    charged.set(id, result);
    return result;
  };
  for (const node of profile.nodes) resolve(node.id);
  return charged;
}

/**
 * The 1-based lines of a script that hold code: not blank, not a comment. By whole lines, which
 * fits tsc's output (it keeps comments on lines of their own).
 */
export function codeLinesOf(text: string): Set<number> {
  const lines = new Set<number>();
  let inComment = false;
  text.split("\n").forEach((raw, index) => {
    let line = raw.trim();
    if (inComment) {
      const end = line.indexOf("*/");
      if (end === -1) return;
      inComment = false;
      line = line.slice(end + 2).trim();
    } else if (line.startsWith("/*")) {
      const end = line.indexOf("*/", 2);
      if (end === -1) {
        inComment = true;
        return;
      }
      line = line.slice(end + 2).trim();
    }
    if (line !== "" && !line.startsWith("//")) lines.add(index + 1);
  });
  return lines;
}

/** The code lines of a `file://` script, read once per URL; `undefined` for any other script or one that cannot be read. */
export function fileCodeLines(): (url: string) => ReadonlySet<number> | undefined {
  const known = new Map<string, Set<number> | undefined>();
  return (url) => {
    if (!known.has(url)) {
      let lines: Set<number> | undefined;
      try {
        lines = url.startsWith("file://") ? codeLinesOf(readFileSync(fileURLToPath(url), "utf8")) : undefined;
      } catch {
        lines = undefined;
      }
      known.set(url, lines);
    }
    return known.get(url);
  };
}

/**
 * The fraction of a frame's samples that V8 reported at lines holding no code in the frame's own
 * file. V8 charges a sample in code it inlined into a function to that function's frame, with the
 * line number of the script the inlined code came from; such a line may happen to be code in the
 * frame's file too, so this is the part of the inlined code that shows, not all of it. It may be
 * node's, a package's, or another file of the same project.
 */
export function inlinedFraction(node: ProfileNode, codeLines: ReadonlySet<number> | undefined): number {
  if (codeLines === undefined || !node.positionTicks?.length) return 0;
  let all = 0;
  let elsewhere = 0;
  for (const { line, ticks } of node.positionTicks) {
    all += ticks;
    if (!codeLines.has(line)) elsewhere += ticks;
  }
  return elsewhere / all;
}

const shortFile = (url: string) => url.replace(/^file:\/\//, "").replace(/^.*\/(packages|node_modules)\//, "$1/");

/**
 * Sums self time per owner and per function over samples that fall inside [fromUs, toUs] (the
 * load window, on the same monotonic clock as V8's timestamps). `(idle)` is the event loop
 * waiting, not CPU, so it is left out of the shares.
 */
export function summariseProfile(
  profile: CpuProfile,
  requests: number,
  fromUs: number,
  toUs: number,
  topFunctionCount = 15,
  codeLinesOfUrl: (url: string) => ReadonlySet<number> | undefined = () => undefined,
): Omit<ProfileSummary, "requestsPerSecond"> {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const owners = new Map<string, number>();
  const callers = new Map<string, number>();
  const chargedTo = callerOwners(profile, nodes);
  const functions = new Map<string, number>();
  const isTarget = (url: string) => url.includes("/bench/targets/");
  const inlined = new Map<number, number>();
  let tesseraSourcesRead = false;
  let targetSourcesRead = false;
  for (const node of profile.nodes) {
    const { url } = node.callFrame;
    const target = isTarget(url);
    if (url === "" || !(target || ownerOf(node.callFrame).startsWith("tessera"))) continue;
    const codeLines = codeLinesOfUrl(url);
    if (codeLines === undefined) continue;
    if (target) targetSourcesRead = true;
    else tesseraSourcesRead = true;
    inlined.set(node.id, inlinedFraction(node, codeLines));
  }
  let tesseraInlinedUs = 0;
  let targetInlinedUs = 0;
  let time = profile.startTime;
  let busyUs = 0;
  // Outside the window when the clocks do not line up (then the whole profile counts).
  const inWindow = fromUs >= profile.startTime ? (t: number) => t >= fromUs && t <= toUs : () => true;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    time += delta;
    if (!inWindow(time)) continue;
    const frame = nodes.get(profile.samples[i]!)?.callFrame;
    if (!frame || frame.functionName === "(idle)") continue;
    busyUs += delta;
    const owner = ownerOf(frame);
    owners.set(owner, (owners.get(owner) ?? 0) + delta);
    const fraction = inlined.get(profile.samples[i]!);
    if (fraction !== undefined) {
      if (isTarget(frame.url)) targetInlinedUs += delta * fraction;
      else tesseraInlinedUs += delta * fraction;
    }
    // GC and (program) belong to no stack; they stay as they are.
    const caller = frame.url === "" && frame.functionName.startsWith("(") ? owner : chargedTo.get(profile.samples[i]!)!;
    callers.set(caller, (callers.get(caller) ?? 0) + delta);
    const where = frame.url ? `${shortFile(frame.url)}:${frame.lineNumber + 1}` : "";
    const fn = `${frame.functionName || "(anonymous)"}${where ? ` ${where}` : ""}`;
    functions.set(fn, (functions.get(fn) ?? 0) + delta);
  }
  const bucket = ([name, us]: [string, number]): ProfileBucket => ({
    name,
    selfMs: us / 1000,
    share: us / busyUs,
    microsecondsPerRequest: us / Math.max(1, requests),
  });
  // Buckets under 0.05% are noise at this sampling rate.
  const sorted = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(bucket)
      .filter((b) => b.share >= 0.0005);
  const tessera = (buckets: ProfileBucket[]) => buckets.filter((b) => b.name.startsWith("tessera")).reduce((sum, b) => sum + b.share, 0);
  const byOwner = sorted(owners);
  const byCaller = sorted(callers);
  return {
    requests,
    busyMs: busyUs / 1000,
    windowMs: (toUs - fromUs) / 1000,
    byOwner,
    byCaller,
    topFunctions: sorted(functions).slice(0, topFunctionCount),
    tesseraShare: tessera(byOwner),
    tesseraChargedShare: tessera(byCaller),
    targetCodeShare: byOwner.filter((b) => b.name.includes("/bench/targets/")).reduce((sum, b) => sum + b.share, 0),
    tesseraInlinedShare: tesseraSourcesRead && busyUs > 0 ? tesseraInlinedUs / busyUs : undefined,
    targetInlinedShare: targetSourcesRead && busyUs > 0 ? targetInlinedUs / busyUs : undefined,
  };
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Runs a target (the reference server unless told otherwise) under `--cpu-prof`, loads `GET /profile/` with wrk for
 * `durationSeconds` after a warm-up, stops it (SIGINT: the server exits cleanly, and Node writes
 * the profile on exit) and sums self time by owner over the load window.
 */
export async function profileRead(options: {
  redisUrl: string;
  generator: LoadGenerator;
  serverCpu: number;
  loadCpu: number;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  log: (message: string) => void;
  /** @default the reference server */
  target?: Target;
  /** @default 15 */
  topFunctionCount?: number;
  /** @default "read" */
  scenario?: "read" | "login";
}): Promise<ProfileSummary> {
  const directory = mkdtempSync(join(tmpdir(), "tessera-profile-"));
  try {
    const nodeArgs = ["--cpu-prof", "--cpu-prof-dir", directory, "--cpu-prof-interval", "100"];
    const target = options.target ?? REFERENCE_SERVER;
    const { started, skipped } = await startTargets([target], { REDIS_URL: options.redisUrl }, options.serverCpu, options.log, nodeArgs);
    const server = started[0];
    if (!server) throw new Error(`${target.name} did not start for profiling: ${skipped[0]?.reason}`);
    const cookie = await login(server.url, "abdullah");
    const spec = { url: server.url, scenario: options.scenario ?? "read", connections: options.connections, cookie, userPrefix: "profile" };
    await runLoad(options.generator, { ...spec, durationSeconds: options.warmupSeconds }, options.loadCpu);
    const fromUs = monotonicUs();
    const result = await runLoad(options.generator, { ...spec, durationSeconds: options.durationSeconds }, options.loadCpu);
    const toUs = monotonicUs();
    // The server finishes in-flight requests and exits; should it hang, the kill loses the profile, and the error says so.
    const killLater = setTimeout(() => void server.process.stop(), 15_000);
    await server.process.stop("SIGINT");
    clearTimeout(killLater);
    const file = readdirSync(directory).find((name) => name.endsWith(".cpuprofile"));
    if (!file) throw new Error(`node wrote no .cpuprofile into ${directory} (the server's output: ${server.process.output.slice(-3).join(" | ")})`);
    const text = readFileSync(join(directory, file), "utf8");
    // For reading a profile in DevTools or by line: TESSERA_KEEP_PROFILE=<file> keeps a copy.
    if (process.env.TESSERA_KEEP_PROFILE) writeFileSync(process.env.TESSERA_KEEP_PROFILE, text);
    const profile = JSON.parse(text) as CpuProfile;
    return {
      ...summariseProfile(profile, result.requests, fromUs, toUs, options.topFunctionCount, fileCodeLines()),
      requestsPerSecond: result.requestsPerSecond,
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
