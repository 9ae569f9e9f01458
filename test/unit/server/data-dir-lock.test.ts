// A PGlite data dir's lock left by a process that died never needs a person: not when the pid in it is
// our own (a server that runs as PID 1 in a container and was killed), not when it is now a live but
// unrelated process, not when its holder on another host fell silent. A live holder still keeps it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LOCK_FILE, processStartTime } from '../../../src/server/store/data-dir-lock';
import { Store } from '../../../src/server/store';
import { freshPgliteDataDir } from '../helpers/server';

const linux = fs.existsSync('/proc/self/stat');

function bootId(): string {
  return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

void describe('the data dir lock', { skip: linux ? false : 'needs /proc (Linux)' }, () => {
  let dataDir: string;
  let bystander: ChildProcess;
  before(async () => {
    dataDir = await freshPgliteDataDir();
    // A live process that is not a Flightdeck server: what a reused pid points at.
    bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });
    await once(bystander, 'spawn');
  });
  after(async () => {
    bystander.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const lockPath = (): string => path.join(dataDir, LOCK_FILE);
  const writeLock = (content: unknown): void => {
    fs.writeFileSync(lockPath(), typeof content === 'string' ? content : JSON.stringify(content));
  };
  const opensAndReleases = async (): Promise<void> => {
    const store = await Store.open({ dataDir });
    await store.close();
    assert.ok(!fs.existsSync(lockPath()), 'closing releases the lock');
  };

  void it('14: a lock naming our own pid (our previous life as PID 1) is stale', async () => {
    // Exactly what the killed server wrote: same pid, same host and boot; its start time was earlier.
    writeLock({ pid: process.pid, startTime: '1', host: os.hostname(), boot: bootId(), nonce: 'before-kill-9' });
    await opensAndReleases();
    writeLock(String(process.pid)); // the format of older versions
    await opensAndReleases();
  });

  void it('14: a lock naming a live process that started at another time is stale', async () => {
    assert.ok(bystander.pid);
    writeLock({ pid: bystander.pid, startTime: '1', host: os.hostname(), boot: bootId(), nonce: 'reused-pid' });
    await opensAndReleases();
  });

  void it('14: a live holder keeps the lock; so does a holder elsewhere until its heartbeat stops', async () => {
    const pid = bystander.pid;
    assert.ok(pid);
    const holder = { pid, startTime: processStartTime(pid), host: os.hostname(), boot: bootId(), nonce: 'live' };
    writeLock(holder);
    await assert.rejects(Store.open({ dataDir }), new RegExp(`in use by process ${pid}`));
    assert.deepEqual(JSON.parse(fs.readFileSync(lockPath(), 'utf8')), holder, 'the holder\'s lock is untouched');

    writeLock({ ...holder, host: 'another-host', boot: 'another-boot' });
    await assert.rejects(Store.open({ dataDir }), /in use by process \d+ on another-host/);
    const silentSince = new Date(Date.now() - 5 * 60_000);
    fs.utimesSync(lockPath(), silentSince, silentSince);
    await opensAndReleases();
  });

  void it('14: a second open inside one process is refused', async () => {
    const store = await Store.open({ dataDir });
    try {
      await assert.rejects(Store.open({ dataDir }), /in use by process \d+ \(this one\)/);
    } finally {
      await store.close();
    }
  });
});
