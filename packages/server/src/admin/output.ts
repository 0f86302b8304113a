/** Where the admin CLI writes: results to `out`, progress and errors to `err` (so `--json` stays parseable). */
export interface AdminStreams {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown; isTTY?: boolean };
}

/** Aligned columns for people. */
export function table(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ")).join("\n");
}

/**
 * Progress for long scans, on stderr: one rewritten line on a terminal, a line every few seconds
 * otherwise (CI logs), nothing with `--quiet`.
 */
export function progressReporter(streams: AdminStreams, quiet: boolean, nowMs: () => number = Date.now): (message: string) => void {
  if (quiet) return () => undefined;
  let lastMs = -Infinity;
  return (message) => {
    if (streams.err.isTTY) {
      streams.err.write(`\r\u001b[K${message}`);
      return;
    }
    if (nowMs() - lastMs < 2000) return;
    lastMs = nowMs();
    streams.err.write(`${message}\n`);
  };
}
