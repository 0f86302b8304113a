export { startUpstashLocal } from "./server.js";
export type { UpstashLocalOptions, UpstashLocalServer, UpstashLocalStats } from "./server.js";
