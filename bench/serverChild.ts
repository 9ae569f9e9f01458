// The server benches run each server in a child process of their own file (`--serve-child …`), away from
// the load generator's event loop: the child starts its server and announces it in one stdout line.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface ServerChild {
  /** The first line the child printed: what it serves. */
  announced: string;
  /** Its process id (for /proc: memory and CPU). */
  pid: number;
  /** SIGTERM, then wait for it to exit. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 10_000;

/** Starts `file` (a bench) with `--serve-child ...args` and waits for its announcement. */
export async function startServerChild(file: string, args: readonly string[]): Promise<ServerChild> {
  // BENCH_SERVER_NODE_ARGS: Node options for the server alone, e.g. `--cpu-prof --cpu-prof-dir=DIR` to profile it.
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter((arg) => arg !== '') ?? [];
  const child: ChildProcessByStdio<null, Readable, null> = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', file, '--serve-child', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
