// In-process fan-out of committed events to live subscribers (the SSE streams), in id order.
import type { StoredEvent } from '../store';

export type EventListener = (events: readonly StoredEvent[]) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delivers to every listener; one listener throwing does not starve the others. */
  publish(events: readonly StoredEvent[], onListenerError: (error: unknown) => void): void {
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (error) {
        onListenerError(error);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
