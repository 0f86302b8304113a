import { describe, expect, it } from "vitest";
import { HotHistogram } from "./hot-histogram.js";
import { ServerMetrics } from "./metrics.js";

describe("HotHistogram", () => {
  it("counts a value into the first bucket whose bound it does not exceed (le is ≤), cumulatively, with +Inf, sum and count", async () => {
    const histogram = new HotHistogram("h", "help", ["route"], [1, 2]);
    for (const value of [0.5, 1, 1.5, 2, 3]) histogram.observe(["/a"], value);
    histogram.observe(["/b"], 0);
    const { values } = await histogram.metric().get();
    const line = (metricName: string, labels: object) =>
      values.find((value) => value.metricName === metricName && JSON.stringify(value.labels) === JSON.stringify(labels))?.value;
    expect(line("h_bucket", { route: "/a", le: 1 })).toBe(2);
    expect(line("h_bucket", { route: "/a", le: 2 })).toBe(4);
    expect(line("h_bucket", { route: "/a", le: "+Inf" })).toBe(5);
    expect(line("h_sum", { route: "/a" })).toBe(8);
    expect(line("h_count", { route: "/a" })).toBe(5);
    expect(line("h_count", { route: "/b" })).toBe(1);
    expect((await histogram.countMetric("c", "help").get()).values).toEqual([
      { labels: { route: "/a" }, value: 5 },
      { labels: { route: "/b" }, value: 1 },
    ]);
  });

  it("keeps every label combination apart, in order of first observation, and starts over on reset", async () => {
    const histogram = new HotHistogram("h", "help", ["method", "route", "status"], [1]);
    const observations: Array<[string, string, string]> = [
      ["GET", "/a", "200"],
      ["GET", "/a", "404"],
      ["POST", "/a", "200"],
      ["GET", "/b", "200"],
      ["GET", "/a", "200"],
    ];
    for (const labels of observations) histogram.observe(labels, 0.5);
    const counts = histogram.countMetric("c", "help");
    expect((await counts.get()).values).toEqual([
      { labels: { method: "GET", route: "/a", status: "200" }, value: 2 },
      { labels: { method: "GET", route: "/a", status: "404" }, value: 1 },
      { labels: { method: "POST", route: "/a", status: "200" }, value: 1 },
      { labels: { method: "GET", route: "/b", status: "200" }, value: 1 },
    ]);
    counts.reset();
    histogram.observe(["GET", "/a", "200"], 2);
    expect((await counts.get()).values).toEqual([{ labels: { method: "GET", route: "/a", status: "200" }, value: 1 }]);
  });

  it("a series handle observes into its series until a reset, and the generation says when it is stale", async () => {
    const histogram = new HotHistogram("h", "help", ["route"], [1]);
    const series = histogram.seriesOf(["/a"]);
    expect(histogram.seriesOf(["/a"])).toBe(series);
    series.observe(0.5);
    histogram.observe(["/a"], 2);
    const counts = histogram.countMetric("c", "help");
    expect((await counts.get()).values).toEqual([{ labels: { route: "/a" }, value: 2 }]);
    const generation = histogram.generation;
    counts.reset();
    expect(histogram.generation).not.toBe(generation);
    expect(histogram.seriesOf(["/a"])).not.toBe(series);
    expect((await counts.get()).values).toEqual([{ labels: { route: "/a" }, value: 0 }]);
  });

  it("finds each key's series once, and again after a reset", async () => {
    const histogram = new HotHistogram("h", "help", ["route", "status"], [1]);
    const asked: number[] = [];
    const seriesOf = histogram.seriesByKey((status: number) => {
      asked.push(status);
      return ["/a", String(status)];
    });
    const ok = seriesOf(200);
    expect(seriesOf(200)).toBe(ok);
    expect(ok).toBe(histogram.seriesOf(["/a", "200"]));
    expect(seriesOf(404)).not.toBe(ok);
    expect(asked).toEqual([200, 404]);
    const counts = histogram.countMetric("c", "help");
    counts.reset();
    const fresh = seriesOf(200);
    expect(fresh).not.toBe(ok);
    expect(fresh).toBe(histogram.seriesOf(["/a", "200"]));
    expect(asked).toEqual([200, 404, 200]);
  });
});

describe("ServerMetrics.routeObserver", () => {
  it("records a route's requests under the same series as observeRequest, also after the registry is reset", async () => {
    const metrics = new ServerMetrics({});
    const observe = metrics.routeObserver("GET", "/profile");
    const count = async (status: string) => {
      const text = await metrics.registry.metrics();
      const line = text.split("\n").find((l) => l.startsWith(`tessera_http_request_duration_seconds_count{method="GET",route="/profile",status="${status}"}`));
      return line === undefined ? undefined : Number(line.split(" ").pop());
    };
    observe(200, 0.001);
    metrics.observeRequest("GET", "/profile", 200, 0.001);
    observe(404, 0.001);
    expect([await count("200"), await count("404")]).toEqual([2, 1]);
    metrics.registry.resetMetrics();
    observe(200, 0.001);
    expect([await count("200"), await count("404")]).toEqual([1, undefined]);
  });

  it("store calls: each outcome under its series, also after the registry is reset", async () => {
    const metrics = new ServerMetrics({});
    const count = async (operation: string, outcome: string) => {
      const text = await metrics.registry.metrics();
      const line = text.split("\n").find((l) => l.startsWith(`tessera_store_call_duration_seconds_count{operation="${operation}",outcome="${outcome}"}`));
      return line === undefined ? undefined : Number(line.split(" ").pop());
    };
    metrics.storeCalls.onCall("readAndExtend", 1);
    metrics.storeCalls.onCall("readAndExtend", 1);
    metrics.storeCalls.onCall("create", 1);
    metrics.storeCalls.onCall("readAndExtend", 1, "STORE_TIMEOUT");
    expect([await count("readAndExtend", "ok"), await count("create", "ok"), await count("readAndExtend", "error")]).toEqual([2, 1, 1]);
    metrics.registry.resetMetrics();
    metrics.storeCalls.onCall("readAndExtend", 1);
    expect([await count("readAndExtend", "ok"), await count("create", "ok")]).toEqual([1, undefined]);
  });
});
