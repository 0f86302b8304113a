#!/usr/bin/env node

const USAGE = `Usage: tessera <command> [options]

Commands:
  upstash-local   Serve Upstash's Redis REST API in front of a local Redis, for offline work.
                  Run \`tessera upstash-local --help\` for its options.
  help            Print this help.`;

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "upstash-local") {
    // Imported only when asked for: it is a tool of its own, and `--help` must work without its
    // dependencies (ioredis) installed.
    const { exitWithError, runUpstashLocalCli } = await import("../tools/upstash-local/cli.js");
    return runUpstashLocalCli(rest).catch(exitWithError);
  }
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    console.log(USAGE);
    return;
  }
  console.error(`tessera: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  process.exit(2);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`tessera: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
