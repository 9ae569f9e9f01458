// Fills the event log fast, straight through the store (no HTTP round trip per event), for the tests
// and the bench that replay thousands of events: each one a `project.updated` of about `bytes` bytes.
import type { Store } from '../../../src/server/store';

const EVENTS_PER_TRANSACTION = 500;

/** The newest event id in the log. */
export function headOf(server: { service: { store: Store } }): Promise<number> {
  return server.service.store.read((reader) => reader.latestEventId());
}

export async function appendEvents(store: Store, project: string, count: number, bytes: number): Promise<void> {
  const at = new Date().toISOString();
  const data = JSON.stringify({ project, environment: null, at, note: 'x'.repeat(Math.max(0, bytes - 80)) });
  for (let done = 0; done < count; done += EVENTS_PER_TRANSACTION) {
    const batch = Math.min(EVENTS_PER_TRANSACTION, count - done);
    await store.write(async (writer) => {
      for (let i = 0; i < batch; i++) writer.pendingEvents.push({ type: 'project.updated', project, environment: null, data });
    });
  }
}
