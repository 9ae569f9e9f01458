// The demo's deploy executor and its services, run by this same executable (`flightdeck demo deploy ENV
// PORT`, `flightdeck demo service ENV PORT`) in the demo's runtime dir:
//
// - deploy: makes FLIGHTDECK_VERSION live in one environment — writes it to `<env>.version`, which the
//   environment's service reads on every request — and (re)starts that service when it does not answer.
//   A rollback also removes the environment's break file: the version rolled back to never had the bug.
// - service: GET / tells the live version; GET /health answers 200, or 500 while `break-<env>` exists
//   beside the runtime dir. It runs in a process group of its own, its pid in `<env>.pid`.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

/** How this executable runs itself again (the same Node, its loader flags, its entry point). */
/** A port free on loopback now, for a demo service to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export function selfCommand(): { command: string; args: string[] } {
  const entry = process.argv[1];
  if (!entry) throw new Error('Cannot tell which file runs the flightdeck command');
  return { command: process.execPath, args: [...process.execArgv, path.resolve(entry)] };
}

export function breakFile(runtime: string, environment: string): string {
  return path.join(path.dirname(runtime), `break-${environment}`);
}

/** Starts the service of one environment in its own process group, detached from the caller. */
export function startService(runtime: string, environment: string, port: number): number | undefined {
  const self = selfCommand();
  const child = spawn(self.command, [...self.args, 'demo', 'service', environment, String(port)], {
    cwd: runtime, detached: true, stdio: 'ignore',
  });
  child.unref();
  return child.pid;
}

export function answers(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(timeoutMs);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

/** `demo deploy ENV PORT`, in the runtime dir, with the engine's FLIGHTDECK_* environment. */
export async function runDemoDeploy(runtime: string, environment: string, port: number, env: NodeJS.ProcessEnv): Promise<number> {
  const percent = Number(env.FLIGHTDECK_PERCENT || '100');
  const line = (text: string): void => fs.appendFileSync(path.join(runtime, `${environment}.log`), `${new Date().toISOString()} ${text}\n`);
  line(`deploying ${env.FLIGHTDECK_VERSION} at ${percent}% (deployment ${env.FLIGHTDECK_DEPLOYMENT_ID}, ${env.FLIGHTDECK_KIND}, attempt ${env.FLIGHTDECK_ATTEMPT})`);
  if (env.FLIGHTDECK_KIND === 'rollback' || env.FLIGHTDECK_KIND === 'auto_rollback') {
    const broken = breakFile(runtime, environment);
    if (fs.existsSync(broken)) {
      fs.rmSync(broken);
      line(`rollback: removed ${broken}`);
    }
  }
  const live = { version: env.FLIGHTDECK_VERSION, commit: env.FLIGHTDECK_COMMIT, percent, deployment: env.FLIGHTDECK_DEPLOYMENT_ID, at: new Date().toISOString() };
  const versionFile = path.join(runtime, `${environment}.version`);
  fs.writeFileSync(`${versionFile}.tmp`, `${JSON.stringify(live)}\n`);
  fs.renameSync(`${versionFile}.tmp`, versionFile);
  if (!(await answers(port))) {
    const pid = startService(runtime, environment, port);
    line(`started the ${environment} service on 127.0.0.1:${port} (pid ${pid})`);
    let up = false;
    for (let attempt = 0; attempt < 100 && !up; attempt++) {
      up = await answers(port);
      if (!up) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!up) {
      process.stderr.write(`the ${environment} service did not start on port ${port}\n`);
      return 1;
    }
  }
  line(`${env.FLIGHTDECK_VERSION} is live at ${percent}%`);
  return 0;
}

/** `demo service ENV PORT`: runs until stopped (SIGTERM to its process group). */
export function runDemoService(runtime: string, environment: string, port: number): Promise<number> {
  fs.writeFileSync(path.join(runtime, `${environment}.pid`), String(process.pid));
  const broken = breakFile(runtime, environment);
  const live = (): Record<string, unknown> => {
    try {
      return JSON.parse(fs.readFileSync(path.join(runtime, `${environment}.version`), 'utf8')) as Record<string, unknown>;
    } catch {
      return { version: null };
    }
  };
  const server = http.createServer((request, response) => {
    const state = live();
    if (request.url === '/health') {
      const isBroken = fs.existsSync(broken);
      response.writeHead(isBroken ? 500 : 200, { 'content-type': 'application/json' });
      response.end(`${JSON.stringify({
        healthy: !isBroken, environment, version: state.version,
        ...(isBroken ? { error: `payments: 37% of charges failing (${broken})` } : {}),
      })}\n`);
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(`${JSON.stringify({ service: 'payments', environment, ...state })}\n`);
  });
  return new Promise((resolve) => {
    const stop = (): void => {
      server.close(() => resolve(0));
      server.closeAllConnections();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    server.once('error', (error) => {
      process.stderr.write(`the ${environment} service cannot listen on 127.0.0.1:${port}: ${error.message}\n`);
      resolve(1);
    });
    server.listen(port, '127.0.0.1');
  });
}

/** Stops the services a demo started: each runs in its own process group (pgid = the pid in `<env>.pid`). */
export function stopServices(runtime: string): string[] {
  if (!fs.existsSync(runtime)) return [];
  const stopped: string[] = [];
  for (const name of fs.readdirSync(runtime)) {
    if (!name.endsWith('.pid')) continue;
    const pid = Number(fs.readFileSync(path.join(runtime, name), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(-pid, 'SIGTERM');
      stopped.push(name.slice(0, -'.pid'.length));
    } catch {
      try {
        process.kill(pid, 'SIGTERM'); // an older demo's service, not a group leader
        stopped.push(name.slice(0, -'.pid'.length));
      } catch {
        // already gone
      }
    }
    fs.rmSync(path.join(runtime, name), { force: true });
  }
  return stopped;
}
