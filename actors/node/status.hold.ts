/** How long a status poll of a pending request is held open waiting for the decision. */
export const STATUS_HOLD_MS = 4_000;

/**
 * In-process wake-ups of held status polls: a node learns the answer the moment it is given
 * instead of at its next poll. Only a wake-up lives here; the decision itself is in the log.
 */
export const statusHold = () => {
  const waiting = new Map<string, Set<() => void>>();
  return {
    wait: (id: string, ms: number) =>
      new Promise<void>((resolve) => {
        const set = waiting.get(id) ?? new Set();
        waiting.set(id, set);
        const done = () => {
          clearTimeout(timer);
          set.delete(done);
          if (set.size === 0) waiting.delete(id);
          resolve();
        };
        const timer = setTimeout(done, ms);
        set.add(done);
      }),
    wake: (id: string) => {
      for (const done of [...(waiting.get(id) ?? [])]) done();
    },
    wakeAll: () => {
      for (const set of [...waiting.values()]) for (const done of [...set]) done();
    },
  };
};
