// One fetch at a time: calls made while one runs coalesce into at most one more run after it, so a burst
// of events costs two fetches, not one per event, and the last state is always fetched.
export function coalesced(run: () => Promise<void>): () => Promise<void> {
  let inFlight: Promise<void> | undefined;
  let again = false;
  const start = (): Promise<void> => {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = run().finally(() => {
      inFlight = undefined;
      if (again) {
        again = false;
        void start();
      }
    });
    return inFlight;
  };
  return start;
}
