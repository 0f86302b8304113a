export { createUpstashStore, recommendedUpstashOptions, upstashConnection } from "./upstash.js";
export type { UpstashStoreOptions } from "./upstash.js";
