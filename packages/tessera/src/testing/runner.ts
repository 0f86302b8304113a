/**
 * The test functions the contract registers its tests with. Any runner with `describe` and `it`
 * fits: vitest and Jest (`beforeAll`/`afterAll`), node:test, Bun and Deno's std (`before`/`after`).
 */
export interface TestRunner {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void> | void): unknown;
  beforeAll?: ((body: () => Promise<void> | void) => unknown) | undefined;
  afterAll?: ((body: () => Promise<void> | void) => unknown) | undefined;
  before?: ((body: () => Promise<void> | void) => unknown) | undefined;
  after?: ((body: () => Promise<void> | void) => unknown) | undefined;
}

let current: TestRunner | undefined;

/** Sets the runner for the suites registered next (registration is synchronous in every runner). */
export function setRunner(runner: TestRunner): void {
  if (typeof runner?.describe !== "function" || typeof runner.it !== "function") {
    throw new TypeError(
      'pass your test runner\'s functions, e.g. `import { describe, it, beforeAll, afterAll } from "vitest"` or `from "node:test"` (before/after)',
    );
  }
  if (!(runner.beforeAll ?? runner.before) || !(runner.afterAll ?? runner.after)) {
    throw new TypeError("the test runner needs beforeAll/afterAll (vitest, Jest) or before/after (node:test)");
  }
  current = runner;
}

function runner(): TestRunner {
  if (!current) throw new Error("describeStoreContract() registers the suite: call it instead of the parts");
  return current;
}

export const describe = (name: string, body: () => void): void => void runner().describe(name, body);
export const it = (name: string, body: () => Promise<void> | void): void => void runner().it(name, body);
export const beforeAll = (body: () => Promise<void> | void): void => {
  const { beforeAll: vitestStyle, before } = runner();
  void (vitestStyle ?? before)!(body);
};
export const afterAll = (body: () => Promise<void> | void): void => {
  const { afterAll: vitestStyle, after } = runner();
  void (vitestStyle ?? after)!(body);
};
