/** Rendering of benchmark results: a Markdown report and an SVG chart, both written by run.ts. */

export interface ThroughputRow {
  target: string;
  label: string;
  scenario: "read" | "login";
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  rounds: number[];
  failures: number;
  /** The server's CPU time per request served, in µs (NaN where it could not be read). */
  cpuMicrosecondsPerRequest: number;
  /** CPU time over the run's time: 1 is its core fully busy (NaN where unknown). */
  busyShare: number;
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Horizontal bars of throughput relative to the raw node:http floor, one panel per scenario. */
export function renderChart(rows: ThroughputRow[], floorTarget: string, subtitle: string): string {
  const scenarios: Array<ThroughputRow["scenario"]> = ["read", "login"];
  const barHeight = 22;
  const gap = 8;
  const labelWidth = 330;
  const plotWidth = 360;
  const width = labelWidth + plotWidth + 90;
  let y = 56;
  const parts: string[] = [];
  const maxRatio = Math.max(
    1.1,
    ...rows.map((row) => row.requestsPerSecond / (rows.find((r) => r.target === floorTarget && r.scenario === row.scenario)?.requestsPerSecond ?? 1)),
  );
  for (const scenario of scenarios) {
    const floor = rows.find((row) => row.target === floorTarget && row.scenario === scenario)?.requestsPerSecond ?? 1;
    const panel = rows.filter((row) => row.scenario === scenario).sort((a, b) => b.requestsPerSecond - a.requestsPerSecond);
    parts.push(`<text x="16" y="${y}" class="h">${scenario === "read" ? "Authenticated read (GET /profile/)" : "Login (POST /login/)"}</text>`);
    y += 14;
    for (const row of panel) {
      const ratio = row.requestsPerSecond / floor;
      const barWidth = Math.max(1, (ratio / maxRatio) * plotWidth);
      const tessera = row.target.startsWith("tessera");
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + barHeight * 0.7}" class="l" text-anchor="end">${escapeXml(row.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${barWidth.toFixed(1)}" height="${barHeight}" rx="3" class="${tessera ? "t" : row.target.startsWith("floor") ? "f" : "p"}"/>`,
        `<text x="${labelWidth + barWidth + 6}" y="${y + barHeight * 0.7}" class="v">${ratio.toFixed(2)}× · ${Math.round(row.requestsPerSecond).toLocaleString("en-US")}/s</text>`,
      );
      y += barHeight + gap;
    }
    const floorX = labelWidth + (1 / maxRatio) * plotWidth;
    parts.push(
      `<line x1="${floorX.toFixed(1)}" y1="${y - panel.length * (barHeight + gap) - 4}" x2="${floorX.toFixed(1)}" y2="${y - gap + 4}" class="floor"/>`,
    );
    y += 24;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" role="img" aria-label="Throughput relative to the raw node:http floor">
<style>
  text { font-family: -apple-system, "Segoe UI", Roboto, sans-serif; fill: #1f2328; }
  .title { font-size: 16px; font-weight: 600; } .sub { font-size: 12px; fill: #57606a; }
  .h { font-size: 13px; font-weight: 600; } .l { font-size: 12px; } .v { font-size: 11px; fill: #57606a; }
  .t { fill: #1f6feb; } .f { fill: #8c959f; } .p { fill: #d4a72c; } .floor { stroke: #cf222e; stroke-dasharray: 4 3; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="16" y="24" class="title">Throughput relative to raw node:http + one GETEX (= 1.00×, dashed line)</text>
<text x="16" y="42" class="sub">${escapeXml(subtitle)}</text>
${parts.join("\n")}
</svg>
`;
}

/** A Markdown table from a header row and body rows. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export const fmt = {
  rps: (value: number) => Math.round(value).toLocaleString("en-US"),
  ms: (value: number) => value.toFixed(2),
  ratio: (value: number) => `${value.toFixed(2)}×`,
  bytes: (value: number) => value.toFixed(1),
  /** CPU µs per request, or "—" where the server's CPU could not be read. */
  cpu: (microseconds: number) => (Number.isFinite(microseconds) ? microseconds.toFixed(1) : "—"),
  busy: (share: number) => (Number.isFinite(share) ? `${Math.round(share * 100)}%` : "—"),
};
