// The server benches run each server in a child process of their own file (`--serve-child …`), away from
// the load generator's event loop: the child starts its server and announces it in one stdout line.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface ServerChild {
  /** The first line the child printed: what it serves. */
  announced: string;
  /** Its process id (for /proc: memory and CPU). */
  pid: number;
  /** SIGTERM, then wait for it to exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** The signal that ended it, once it exited (SIGKILL: it did not exit within the grace period). */
  readonly exitSignal: string | null;
}

const STOP_GRACE_MS = 10_000;

/** BENCH_SERVER_NODE_ARGS: Node options for the server alone, e.g. `--cpu-prof --cpu-prof-dir=DIR` to profile it. */
function serverNodeArgs(): string[] {
  return process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter((arg) => arg !== '') ?? [];
}

/** Starts `file` (a bench) with `--serve-child ...args` and waits for its announcement. */
export function startServerChild(file: string, args: readonly string[]): Promise<ServerChild> {
  return announcedBy(spawn(process.execPath, [...serverNodeArgs(), '--import', 'tsx', file, '--serve-child', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  }));
}

/**
 * Starts the built server as operators run it, `node dist/cli.js serve ...args` (build it first), and
 * waits for its "listening on URL" line; `announced` is the URL.
 */
export async function startCliServer(cli: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ServerChild> {
  const child = await announcedBy(spawn(process.execPath, [...serverNodeArgs(), cli, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env },
  }));
  const url = /^listening on (\S+)$/.exec(child.announced)?.[1];
  if (!url) {
    await child.stop();
    throw new Error(`flightdeck serve announced "${child.announced}", not "listening on URL"`);
  }
  return {
    announced: url,
    pid: child.pid,
    stop: child.stop,
    get exitSignal() {
      return child.exitSignal;
    },
  };
}

async function announcedBy(child: ChildProcessByStdio<null, Readable, null>): Promise<ServerChild> {
  const announced = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const newline = out.indexOf('\n');
      if (newline >= 0) resolve(out.slice(0, newline));
    });
    child.on('exit', (code) => reject(new Error(`the server child exited (${code})`)));
  });
  return {
    announced,
    pid: child.pid ?? 0,
    get exitSignal() {
      return child.signalCode;
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      // A server that cannot close (a stream left open) must not outlive the bench.
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** The bench's entry point: its server child's job when started with `--serve-child`, else `main`. */
export function runBench(main: () => Promise<void>, serveChild: (args: string[]) => Promise<void>): void {
  const at = process.argv.indexOf('--serve-child');
  const run = at >= 0 ? serveChild(process.argv.slice(at + 1)) : main();
  run.catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
