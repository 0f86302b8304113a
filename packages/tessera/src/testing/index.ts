/**
 * tessera/testing: the store conformance suite, for any test runner. Prove a store (yours, or
 * one of tessera's against your own Redis) against the same contract tessera's stores pass.
 */
export { describeStoreContract } from "./store-contract.js";
export type { StoreCapabilities } from "./store-contract.js";
export type { StoreHarness } from "./fixtures.js";
export type { TestRunner } from "./runner.js";
export { withRandomInterleaving } from "./interleaving.js";
export { ContractAssertionError } from "./expect.js";
