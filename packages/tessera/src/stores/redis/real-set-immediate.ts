/**
 * The runtime's own `setImmediate`, taken when this module loads, for what must happen at the end
 * of an event-loop turn (uncorking a socket, ending a turn's shared deadline): a test that
 * installs fake timers afterwards (`vi.useFakeTimers()`, Jest's) must not hold either back until
 * someone advances them. `undefined` where there is none (workerd, browsers).
 */
export const realSetImmediate: ((callback: () => void) => unknown) | undefined = (() => {
  const candidate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return typeof candidate === "function" ? candidate.bind(globalThis) : undefined;
})();
