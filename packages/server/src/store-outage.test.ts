import { describe, expect, it } from "vitest";
import { instrumentStore, StoreUnavailableError } from "tessera";
import { createMemoryStore } from "tessera/memory";
import { OUTAGE_QUIET_MS, StoreOutageLog } from "./store-outage.js";

function recorder() {
  const lines: string[] = [];
  let nowMs = 1_000_000;
  const outage = new StoreOutageLog(
    { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) },
    () => nowMs,
  );
  return { lines, outage, advance: (ms: number) => void (nowMs += ms) };
}
const down = new StoreUnavailableError("STORE_TIMEOUT", "redis did not answer within 1000 ms");

describe("StoreOutageLog", () => {
  it("logs an outage once when it starts and once when it ends, with the count of 503s", () => {
    const { lines, outage, advance } = recorder();
    for (let request = 0; request < 500; request++) {
      outage.refused(down);
      advance(10);
    }
    expect(lines).toEqual([
      "warn session store unavailable (STORE_TIMEOUT: redis did not answer within 1000 ms); answering 503 until it recovers, the end of the outage will be logged",
    ]);
    advance(OUTAGE_QUIET_MS);
    outage.succeeded();
    outage.succeeded();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(
      `info session store recovered after ${((500 * 10 + OUTAGE_QUIET_MS) / 1000).toFixed(1)} s; 500 request(s) were answered 503 during the outage`,
    );
    expect(outage.active).toBe(false);
  });

  it("does not flap while some commands fail and others succeed (Redis refusing writes at maxmemory)", () => {
    const { lines, outage, advance } = recorder();
    for (let round = 0; round < 100; round++) {
      outage.refused(down);
      advance(50);
      outage.succeeded();
    }
    expect(lines).toHaveLength(1);
    expect(outage.active).toBe(true);
    advance(OUTAGE_QUIET_MS);
    outage.succeeded();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("100 request(s) were answered 503");
  });

  it("sees successes through the instrumented store, and starts counting afresh for the next outage", async () => {
    const { lines, outage, advance } = recorder();
    const store = instrumentStore(createMemoryStore(), outage.storeCalls);
    outage.refused(down);
    advance(OUTAGE_QUIET_MS);
    expect(await store.readAndExtend("A".repeat(43), 1000)).toBeNull();
    expect(lines[1]).toContain("1 request(s) were answered 503");
    outage.refused(down);
    outage.refused(down);
    advance(OUTAGE_QUIET_MS);
    await store.destroy("A".repeat(43));
    expect(lines).toHaveLength(4);
    expect(lines[3]).toContain("2 request(s) were answered 503");
  });
});
