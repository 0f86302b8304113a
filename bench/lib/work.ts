import { delta, describeCommands, totalCommands, type StatsReader } from "./redis-stats.js";

export interface OperationCost {
  commands: number;
  roundTrips: number;
  detail: string;
}

export interface WorkPerRequest {
  read: OperationCost;
  login: OperationCost;
  logout: OperationCost;
}

/**
 * Sends one login, one authenticated read and one logout to a target, one at a time, and reads
 * what each cost from Redis's own counters (INFO commandstats and total_reads_processed). One
 * request at a time, so every command and read event in a window is that request's.
 */
export async function measureWork(stats: StatsReader, baseUrl: string, username: string): Promise<WorkPerRequest> {
  // A first login warms the target (script cache, connection) so the measured one is steady state.
  await fetch(`${baseUrl}/login/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: `${username}-warm` }) });
  const measure = async (request: () => Promise<Response>) => {
    const before = await stats.snapshot();
    const response = await request();
    if (!response.ok) throw new Error(`${baseUrl}: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
    const { commands, roundTrips } = delta(before, await stats.snapshot());
    return { response, cost: { commands: totalCommands(commands), roundTrips, detail: describeCommands(commands) } };
  };
  const login = await measure(() =>
    fetch(`${baseUrl}/login/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username }) }),
  );
  const cookie = login.response.headers.get("set-cookie")?.split(";")[0] ?? "";
  const read = await measure(() => fetch(`${baseUrl}/profile/`, { headers: { cookie } }));
  const logout = await measure(() => fetch(`${baseUrl}/logout/`, { method: "POST", headers: { cookie } }));
  return { read: read.cost, login: login.cost, logout: logout.cost };
}
