// Waiting for a quiet look of the engine (src/server/engine/looks.ts): the tests' way to show that nothing
// more happens. The engine's own use of it is covered by the engine suites (rollout, health) that wait on it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QuietLookWaiters } from '../../../src/server/engine/looks';

/** Whether the promise has settled (after the microtasks queued so far). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => { done = true; }, () => { done = true; });
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

void describe('QuietLookWaiters', () => {
  void it('resolves on the first quiet look that began at or after notBefore, not on a busy or earlier one', async () => {
    const looks = new QuietLookWaiters();
    const waiting = looks.wait({ notBefore: 1_000 });
    looks.looked({ startedAt: 900, swept: false, quiet: true });
    looks.looked({ startedAt: 1_000, swept: false, quiet: false });
    assert.equal(await settled(waiting), false);
    looks.looked({ startedAt: 1_200, swept: false, quiet: true });
    assert.equal(await settled(waiting), true);
  });

  void it('with sweep, needs a sweep that began at or after notBefore, in the quiet look or in one before it', async () => {
    const looks = new QuietLookWaiters();
    const waiting = looks.wait({ notBefore: 1_000, sweep: true });
    looks.looked({ startedAt: 950, swept: true, quiet: true }); // too early
    looks.looked({ startedAt: 1_100, swept: false, quiet: true }); // no sweep yet
    assert.equal(await settled(waiting), false);
    looks.looked({ startedAt: 1_200, swept: true, quiet: false }); // a sweep, but busy (say, a health check claimed)
    assert.equal(await settled(waiting), false);
    const later = looks.wait({ notBefore: 1_300, sweep: true });
    looks.looked({ startedAt: 1_400, swept: false, quiet: true });
    assert.equal(await settled(waiting), true, 'the sweep before counts');
    assert.equal(await settled(later), false, 'no sweep since 1300');
    looks.looked({ startedAt: 1_600, swept: true, quiet: true });
    assert.equal(await settled(later), true, 'a sweep in the quiet look itself');
  });

  void it('rejects what still waits when the engine stops', async () => {
    const looks = new QuietLookWaiters();
    const rejected = assert.rejects(looks.wait(), /engine stopped/);
    looks.stopped();
    await rejected;
  });
});
