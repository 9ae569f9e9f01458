// A small bounded cache whose entries may expire, and a time box for promises. Pure (no `vscode`).

/** Least recently used entries go first; an entry set with a lifetime is forgotten after it. */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();

  constructor(private readonly maxEntries: number, private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V, lifetimeMs = Number.POSITIVE_INFINITY): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + lifetimeMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /**
   * The cached promise for `key`, or a new one from `load`. A promise that rejects stays cached for
   * `failureLifetimeMs` only (failures are cached briefly, so a broken repository is not asked on every
   * hover, and a repaired one is asked again soon).
   */
  remember<T extends V & Promise<unknown>>(key: K, load: () => T, failureLifetimeMs: number, lifetimeMs?: number): T {
    const cached = this.get(key) as T | undefined;
    if (cached) return cached;
    const promise = load();
    this.set(key, promise, lifetimeMs);
    promise.catch(() => {
      if (this.entries.get(key)?.value === promise) this.set(key, promise, failureLifetimeMs);
    });
    return promise;
  }
}

export const TIMED_OUT: unique symbol = Symbol('timed out');

/** Whatever settles first: the promise, the deadline (`TIMED_OUT`), or the `cancelled` signal (`TIMED_OUT`). */
export function within<T>(promise: Promise<T>, ms: number, cancelled?: Promise<void>): Promise<T | typeof TIMED_OUT> {
  if (ms <= 0) return Promise.race([promise, Promise.resolve(TIMED_OUT)]);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  const racers: Promise<T | typeof TIMED_OUT>[] = [promise, deadline];
  if (cancelled) racers.push(cancelled.then(() => TIMED_OUT));
  return Promise.race(racers).finally(() => clearTimeout(timer));
}
