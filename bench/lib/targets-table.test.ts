import { describe, expect, it } from "vitest";
import type { ProfileSummary } from "./profile.js";
import { profileTargetRow, withProfileTargetRow } from "./targets-table.js";

const profile = (tesseraShare: number, shareOfRuns?: number[]): ProfileSummary => ({
  requests: 1,
  requestsPerSecond: 1,
  busyMs: 1,
  windowMs: 1,
  byOwner: [],
  byCaller: [],
  topFunctions: [],
  tesseraShare,
  tesseraChargedShare: 0.5,
  targetCodeShare: 0,
  tesseraInlinedShare: 0,
  targetInlinedShare: 0,
  ...(shareOfRuns ? { shareOfRuns } : {}),
});

describe("the profile's target row", () => {
  it("gives the median share with every run's, and the verdict on the median", () => {
    expect(profileTargetRow(profile(0.124, [0.118, 0.124, 0.131]))).toEqual([
      "CPU profile of a read: tessera's own code ≤ 10% of the process's CPU",
      "12.4% (median of 11.8%, 12.4%, 13.1%)",
      "**missed**",
    ]);
    expect(profileTargetRow(profile(0.1))[1]).toBe("10.0%");
    expect(profileTargetRow(profile(0.1))[2]).toBe("met");
  });

  it("names the hand-written read's share beside it, and judges only tessera's", () => {
    const withHand = { ...profile(0.157, [0.151, 0.157, 0.167]), handWritten: { ...profile(0), targetCodeShare: 0.138 } };
    expect(profileTargetRow(withHand).slice(1)).toEqual(["15.7% (median of 15.1%, 15.7%, 16.7%); the same read written by hand: 13.8%", "**missed**"]);
  });

  it("replaces only that row when --profile rewrites RESULTS.md", () => {
    const markdown = [
      "| target (issue 12) | measured | result |",
      "| --- | --- | --- |",
      "| login ≥ 1.0× the seed port's login (loopback) | 1.02× | met |",
      "| CPU profile of a read: tessera's own code ≤ 10% of the process's CPU | 13.4% | **missed** |",
      "| reference server on Bun reported beside Node (read) | Bun at 1.46× of Node | met |",
      "",
    ].join("\n");
    const rewritten = withProfileTargetRow(markdown, profile(0.095, [0.09, 0.095, 0.11]))!.split("\n");
    expect(rewritten[3]).toBe("| CPU profile of a read: tessera's own code ≤ 10% of the process's CPU | 9.5% (median of 9.0%, 9.5%, 11.0%) | met |");
    expect(rewritten.filter((_, index) => index !== 3)).toEqual(markdown.split("\n").filter((_, index) => index !== 3));
    expect(withProfileTargetRow(markdown.replace(/^\| CPU profile.*$/m, ""), profile(0.095))).toBeUndefined();
  });
});
