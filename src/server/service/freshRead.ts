// A read whose answer must be at least as new as the moment it was asked for (the head of the event log
// when a stream opens, a token's record): a caller gets the result of a read that began after it asked.
// Callers that ask while a read runs share the next one, which begins as soon as the running one ends,
// so a burst of a thousand callers (an editor fleet reconnecting to this server after another one was
// restarted) costs two reads, not a thousand queued in front of everything else on the pool.

export function freshRead<T>(read: () => Promise<T>): () => Promise<T> {
  let running: Promise<unknown> | undefined;
  let next: Promise<T> | undefined;
  const begin = (): Promise<T> => {
    const reading = read();
    running = reading;
    const done = (): void => {
      if (running === reading) running = undefined;
    };
    reading.then(done, done);
    return reading;
  };
  return () => {
    if (!running) return begin();
    // The running read may have begun before this call: wait for the one after it.
    next ??= running.then(() => undefined, () => undefined).then(() => {
      next = undefined;
      return begin();
    });
    return next;
  };
}
