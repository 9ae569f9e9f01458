// Runs one executable without a shell (`command` plus `args`), with a timeout and a bounded capture of
// its output: what the `command` deploy executor and `command` health checks share.
import { spawn } from 'node:child_process';
import * as path from 'node:path';

/** Output kept per stream: the tail, which is where a failing script says why. */
export const CAPTURE_BYTES = 64 * 1024;
/** After a timeout's SIGTERM, how long the process group gets before SIGKILL. */
const KILL_GRACE_MS = 3_000;
/** After the process exits, how long its pipes may stay open (held by a daemon it started). */
const EXIT_GRACE_MS = 500;

export interface RunOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Aborting kills the process group (server shutdown). */
  signal?: AbortSignal;
}

export type RunResult =
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; pid: number | undefined }
  | { kind: 'timeout'; stdout: string; stderr: string; pid: number | undefined }
  | { kind: 'aborted'; pid: number | undefined }
  | { kind: 'spawn-error'; message: string };

/** A path with a separator is relative to `cwd`; a bare name is looked up on PATH. */
export function resolveCommand(command: string, cwd: string): string {
  if (path.isAbsolute(command) || !/[\\/]/.test(command)) return command;
  return path.resolve(cwd, command);
}

/** Keeps the last `limit` bytes written to it. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

export function runProcess(options: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve({ kind: 'aborted', pid: undefined });
      return;
    }
    const stdout = new Tail(CAPTURE_BYTES);
    const stderr = new Tail(CAPTURE_BYTES);
    let settled = false;
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(resolveCommand(options.command, options.cwd), [...options.args], {
      cwd: options.cwd,
      env: options.env,
      shell: false,
      // Its own process group, so a timeout also stops what a deploy script started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        try { child.kill(signal); } catch { /* already gone */ }
      }
    };
    const stop = (): void => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (result: RunResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer && !timedOut && !aborted) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => finish({ kind: 'spawn-error', message: `cannot run ${options.command}: ${error.message}` }));
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (aborted) finish({ kind: 'aborted', pid: child.pid });
      else if (timedOut) finish({ kind: 'timeout', stdout: stdout.text(), stderr: stderr.text(), pid: child.pid });
      else finish({ kind: 'exit', code, signal, stdout: stdout.text(), stderr: stderr.text(), pid: child.pid });
    };
    // The output is complete when the pipes close ('close'), but a script that leaves a daemon holding
    // them (`service &`) never closes them: after its exit, wait briefly, then stop listening.
    child.on('close', done);
    child.on('exit', (code, signal) => {
      const grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        done(code, signal);
      }, EXIT_GRACE_MS);
      grace.unref();
    });
  });
}

/** The last `lines` non-empty lines of a text, at most `chars` characters: an error message's detail. */
export function lastLines(text: string, lines = 12, chars = 2000): string {
  const kept = text.split(/\r?\n/).map((line) => line.trimEnd()).filter((line) => line.length > 0).slice(-lines).join('\n');
  return kept.length > chars ? `…${kept.slice(kept.length - chars + 1)}` : kept;
}
