// Where a running embedded server can be found: the extension (which starts it) writes a small state
// file beside its data dir, `<data dir>.server.json` `{ url, pid, data_dir }`, and the same content to a
// per-user pointer, `~/.flightdeck/embedded-server.json` (`$FLIGHTDECK_HOME` instead of `~/.flightdeck`),
// so the CLI finds it without being told the port. A token for the CLI may sit beside the data dir
// (`<data dir>.cli-token`, written by `flightdeck demo`); it is only ever sent to the server found that way.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as z from 'zod';
import { isLoopbackHttpUrl } from '../core/origin';

const EmbeddedState = z.object({
  url: z.string(),
  pid: z.number().int(),
  data_dir: z.string().optional(),
});
export type EmbeddedState = z.infer<typeof EmbeddedState>;

export function flightdeckHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLIGHTDECK_HOME || path.join(os.homedir(), '.flightdeck');
}

/** `<parent>/<name>.server.json` for the data dir `<parent>/<name>`. */
export function embeddedStateFile(dataDir: string): string {
  return path.join(path.dirname(dataDir), `${path.basename(dataDir)}.server.json`);
}

/** A token the CLI may use for the server of this data dir (the demo writes one). */
export function embeddedTokenFile(dataDir: string): string {
  return path.join(path.dirname(dataDir), `${path.basename(dataDir)}.cli-token`);
}

export function embeddedPointerFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(flightdeckHome(env), 'embedded-server.json');
}

/** Records where the server of `dataDir` listens: beside the data dir, and in the per-user pointer. */
export function writeEmbeddedState(dataDir: string, url: string, pid: number, env: NodeJS.ProcessEnv = process.env): void {
  const state = JSON.stringify({ url, pid, data_dir: dataDir } satisfies EmbeddedState);
  fs.writeFileSync(embeddedStateFile(dataDir), state);
  try {
    fs.mkdirSync(flightdeckHome(env), { recursive: true });
    fs.writeFileSync(embeddedPointerFile(env), state);
  } catch {
    // The pointer is a convenience for the CLI; the state beside the data dir is what windows share.
  }
}

/** Removes the state files that still name this process (another window may have replaced them). */
export function clearEmbeddedState(dataDir: string, pid: number, env: NodeJS.ProcessEnv = process.env): void {
  for (const file of [embeddedStateFile(dataDir), embeddedPointerFile(env)]) {
    if (readStateFile(file)?.pid === pid) fs.rmSync(file, { force: true });
  }
}

/** The state in `file` when it parses; says nothing about whether that server still runs. */
export function readStateFile(file: string): EmbeddedState | undefined {
  try {
    const parsed = EmbeddedState.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A running embedded server: its process is alive and its URL is on this machine's loopback. */
export function liveEmbeddedState(file: string): EmbeddedState | undefined {
  const state = readStateFile(file);
  return state && isLoopbackHttpUrl(state.url) && isAlive(state.pid) ? state : undefined;
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The CLI token kept beside a data dir, if any (first line, trimmed). */
export function readEmbeddedToken(dataDir: string): string | undefined {
  try {
    const token = fs.readFileSync(embeddedTokenFile(dataDir), 'utf8').split('\n')[0]?.trim();
    return token ? token : undefined;
  } catch {
    return undefined;
  }
}
