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
