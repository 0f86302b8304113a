/**
 * The few assertions the contract uses, with no test-framework dependency, so the suite runs
 * under any runner. Failures throw an `Error` whose message shows both values.
 */
export class ContractAssertionError extends Error {
  override readonly name = "ContractAssertionError";
}

const show = (value: unknown): string => {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (value instanceof Date) return value.toISOString();
  try {
    return JSON.stringify(value, (_, inner) => (typeof inner === "bigint" ? `${inner}n` : inner)) ?? String(value);
  } catch {
    return String(value);
  }
};

/** Structural equality as vitest's `toEqual`: own enumerable keys, undefined properties ignored. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  const keys = (value: object) => Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
  const aKeys = keys(a);
  const bKeys = keys(b);
  return aKeys.length === bKeys.length && aKeys.every((key) => deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

type Constructor = abstract new (...args: never[]) => unknown;

export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeNull(): void;
  toHaveLength(length: number): void;
  toContain(item: unknown): void;
  toBeInstanceOf(type: Constructor): void;
  toBeGreaterThan(bound: number): void;
  toBeLessThanOrEqual(bound: number): void;
  readonly not: Pick<Matchers, "toBe" | "toEqual" | "toBeNull" | "toContain">;
}

export interface AsyncMatchers {
  readonly rejects: { toBeInstanceOf(type: Constructor): Promise<void>; toThrow(pattern?: RegExp | string): Promise<void> };
}

function matchers(actual: unknown, label: string | undefined, negate: boolean): Matchers {
  const check = (passed: boolean, description: string) => {
    if (passed === negate) throw new ContractAssertionError(`${label ? `${label}: ` : ""}expected ${show(actual)} ${negate ? "not " : ""}${description}`);
  };
  const self: Matchers = {
    toBe: (expected) => check(Object.is(actual, expected), `to be ${show(expected)}`),
    toEqual: (expected) => check(deepEqual(actual, expected), `to equal ${show(expected)}`),
    toBeNull: () => check(actual === null, "to be null"),
    toHaveLength: (length) => check((actual as { length?: unknown } | null)?.length === length, `to have length ${length}`),
    toContain: (item) =>
      check((Array.isArray(actual) || typeof actual === "string") && (actual as string).includes(item as string), `to contain ${show(item)}`),
    toBeInstanceOf: (type) => check(actual instanceof type, `to be an instance of ${type.name}`),
    toBeGreaterThan: (bound) => check(typeof actual === "number" && actual > bound, `to be greater than ${bound}`),
    toBeLessThanOrEqual: (bound) => check(typeof actual === "number" && actual <= bound, `to be at most ${bound}`),
    get not() {
      return matchers(actual, label, !negate);
    },
  };
  return self;
}

/** `expect(value, label?)`, with the matchers the contract uses. */
export function expect<T>(actual: T, label?: string): Matchers & (T extends PromiseLike<unknown> ? AsyncMatchers : unknown) {
  const sync = matchers(actual, label, false);
  const settle = async (): Promise<unknown> => {
    try {
      await actual;
    } catch (error) {
      return error;
    }
    throw new ContractAssertionError(`${label ? `${label}: ` : ""}expected the promise to reject, but it resolved`);
  };
  const rejects = {
    async toBeInstanceOf(type: Constructor) {
      const error = await settle();
      if (!(error instanceof type)) throw new ContractAssertionError(`${label ? `${label}: ` : ""}expected a rejection with ${type.name}, got ${show(error)}`);
    },
    async toThrow(pattern?: RegExp | string) {
      const error = await settle();
      const message = error instanceof Error ? error.message : String(error);
      const matches = pattern === undefined || (typeof pattern === "string" ? message.includes(pattern) : pattern.test(message));
      if (!matches) throw new ContractAssertionError(`${label ? `${label}: ` : ""}expected a rejection matching ${String(pattern)}, got ${show(error)}`);
    },
  };
  return Object.assign(sync, { rejects }) as unknown as Matchers & (T extends PromiseLike<unknown> ? AsyncMatchers : unknown);
}
