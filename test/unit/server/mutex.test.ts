// The store's lock (PGlite's one connection) hands itself on in order, and never holds the event loop
// for a whole burst of queued holders: past a few milliseconds, the next holder waits for a turn.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Mutex, MUTEX_SLICE_MS } from '../../../src/server/store/database';

/** Synchronous work of about `ms`, as a PGlite query is (WASM in this thread). */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* working */ }
}

void describe('Mutex', () => {
  void it('runs holders one at a time, in order, and lets the event loop turn within a burst', async () => {
    const mutex = new Mutex();
    const order: number[] = [];
    let inside = 0;
    const HOLDERS = 40;
    // What had run when the event loop first turned after the burst was queued.
    const turned = new Promise<number>((resolve) => setImmediate(() => resolve(order.length)));
    const runs = Array.from({ length: HOLDERS }, (_, index) => mutex.run(async () => {
      inside++;
      assert.equal(inside, 1, 'one holder at a time');
      busy(1);
      await Promise.resolve();
      order.push(index);
      inside--;
      return index;
    }));
    const failing = mutex.run(() => Promise.reject(new Error('a failed holder')));
    const after = mutex.run(() => Promise.resolve('next'));
    assert.deepEqual(await Promise.all(runs), order);
    await assert.rejects(failing, /a failed holder/);
    assert.equal(await after, 'next', 'a failure does not stop the lock');
    assert.deepEqual(order, Array.from({ length: HOLDERS }, (_, index) => index), 'in order');
    const ranBeforeTurn = await turned;
    assert.ok(ranBeforeTurn < HOLDERS / 2, `the loop turned after ${ranBeforeTurn} holders of ~1 ms (slice ${MUTEX_SLICE_MS} ms), not after the burst`);
  });
});
