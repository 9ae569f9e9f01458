// Live events on PostgreSQL, where several servers may share the database: a stream on this server must
// also carry what the others commit. The events table is the one order of everything (ids are taken in
// commit order: the advisory lock in StoreWriter.insertPendingEvents), so live events are read from it,
// after the last id delivered, whenever this server commits (at once) or another one NOTIFYs. Reading
// "after the last delivered id" can never skip an id that commits later.
import type { Store, StoredEvent } from '../store';

const PAGE = 500;

export class EventTail {
  private delivered: number | undefined;
  private reading: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private stopListening: (() => Promise<void>) | undefined;

  constructor(
    private readonly store: Store,
    private readonly publish: (events: readonly StoredEvent[]) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Live from the newest event on: what was committed before is for replay (Last-Event-ID). */
  async start(): Promise<void> {
    this.delivered = await this.store.read((reader) => reader.latestEventId());
    this.stopListening = await this.store.listenForEventCommits((newest) => {
      // Our own commits were read already when they committed; undefined: reconnected, catch up.
      if (newest !== undefined && this.delivered !== undefined && newest <= this.delivered) return;
      this.poke();
    });
  }

  /** Something committed: read and deliver what is new (coalesced: one read at a time, then one more). */
  poke(): void {
    if (this.stopped || this.delivered === undefined) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.drain().catch(this.onError).finally(() => {
      this.reading = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const after = this.delivered ?? 0;
      const page = await this.store.read((reader) => reader.eventsAfter(after, null, PAGE));
      const last = page[page.length - 1];
      if (!last || this.stopped) return;
      this.delivered = last.id;
      this.publish(page);
      if (page.length < PAGE) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopListening?.();
  }
}
