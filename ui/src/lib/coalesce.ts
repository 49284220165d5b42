/**
 * Wraps a fetch so that calls while one runs collapse into a single run after it: a burst of
 * change notices costs at most two fetches, and the last one sees the latest state.
 */
export const coalesced = (run: () => Promise<void>): (() => Promise<void>) => {
  let inFlight: Promise<void> | null = null;
  let again = false;
  return () => {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      do {
        again = false;
        await run();
      } while (again);
    })().finally(() => (inFlight = null));
    return inFlight;
  };
};
