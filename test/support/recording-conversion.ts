/**
 * A conversion for the session importers (`legacySeedSessions`, `expressSessionImport`) that
 * records what it was asked to make and unmake: `create` returns the index of what it made.
 */
export function recordingConversion<Source>() {
  const created: Source[] = [];
  const discarded: number[] = [];
  return {
    created,
    discarded,
    conversion: {
      create: async (source: Source) => created.push(source) - 1,
      discard: async (index: number) => void discarded.push(index),
    },
  };
}

/**
 * `conversion`, whose `create` returns only once `racers` calls have reached it. In a race of
 * that many importers over one cookie, every one then reads the old session before any deletes
 * it (the `DEL` follows `create`), so the race is real however the machine schedules them.
 */
export function racingConversion<Source, T>(conversion: { create(source: Source): Promise<T>; discard(created: T): Promise<void> }, racers: number) {
  let arrived = 0;
  let allArrived!: () => void;
  const barrier = new Promise<void>((resolve) => (allArrived = resolve));
  return {
    create: async (source: Source) => {
      const created = await conversion.create(source);
      if (++arrived === racers) allArrived();
      await barrier;
      return created;
    },
    discard: (created: T) => conversion.discard(created),
  };
}
