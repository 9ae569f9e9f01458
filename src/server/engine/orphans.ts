// A server killed while a deploy step's command ran leaves that command running: it was started in its
// own process group (to be stoppable as a whole), so it does not die with the server. Before the next
// engine runs the step again (FLIGHTDECK_ATTEMPT=2), it stops what is left of the first attempt, so two
// attempts never run at once. The command is recognised by its environment: the engine that started it
// (FLIGHTDECK_ENGINE_CLAIM, unique per engine run) and the deployment. Linux only (/proc); on other
// systems, and for commands started on another machine, the re-run proceeds as before.
import { readdir, readFile } from 'node:fs/promises';

/** The environment variable naming the engine run that started a command. */
export const ENGINE_CLAIM_VARIABLE = 'FLIGHTDECK_ENGINE_CLAIM';
const POLL_MS = 100;

/** Pids of this user's processes whose environment holds every one of `variables`. */
export async function processesWithEnvironment(variables: Record<string, string>): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const wanted = Object.entries(variables).map(([name, value]) => `${name}=${value}`);
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    // Another user's process (EACCES) or one that just exited (ENOENT): not ours to stop.
    const environ = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => undefined);
    if (environ === undefined) continue;
    const present = new Set(environ.split('\0'));
    if (wanted.every((pair) => present.has(pair))) found.push(pid);
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  // The group first: what the command started goes with it.
  try {
    process.kill(-pid, name);
  } catch {
    try { process.kill(pid, name); } catch { /* already gone */ }
  }
}

/** SIGTERM to each process (and its group), SIGKILL to what is left after `graceMs`; resolves when all are gone. */
export async function stopProcesses(pids: readonly number[], graceMs: number): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  for (const pid of pids.filter(alive)) signal(pid, 'SIGKILL');
  const hardDeadline = Date.now() + 2_000;
  while (pids.some(alive) && Date.now() < hardDeadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
}
