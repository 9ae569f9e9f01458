// Which server a client command talks to, and with which token: `--server URL`, else $FLIGHTDECK_SERVER,
// else a running embedded server (VS Code's, or the demo's that npm start opens) found through its state
// file, else http://127.0.0.1:7700. The token is $FLIGHTDECK_TOKEN, else — only for an embedded server
// found that way — the CLI token kept beside its data dir (the demo writes one).
import * as path from 'node:path';
import {
  embeddedPointerFile, embeddedStateFile, liveEmbeddedState, readEmbeddedToken, type EmbeddedState,
} from '../client/embeddedState';
import { DEFAULT_SERVER } from './serverUrl';


export interface ServerChoice {
  url: string;
  token: string | undefined;
  /** How the URL was chosen, for messages ("the embedded server of …"). */
  source: 'option' | 'environment' | 'embedded' | 'default';
  /** For an embedded server: its data dir. */
  dataDir?: string;
  /** Where the token came from. */
  tokenFrom?: 'FLIGHTDECK_TOKEN' | 'the demo token file';
}

/** The running embedded server: $FLIGHTDECK_EMBEDDED_DATA_DIR's first, then the per-user pointer's. */
export function findEmbeddedServer(env: NodeJS.ProcessEnv): EmbeddedState | undefined {
  const files: string[] = [];
  if (env.FLIGHTDECK_EMBEDDED_DATA_DIR) files.push(embeddedStateFile(path.resolve(env.FLIGHTDECK_EMBEDDED_DATA_DIR)));
  files.push(embeddedPointerFile(env));
  for (const file of files) {
    const state = liveEmbeddedState(file);
    if (state) return state;
  }
  return undefined;
}

export function chooseServer(explicit: string | undefined, env: NodeJS.ProcessEnv): ServerChoice {
  const envToken = env.FLIGHTDECK_TOKEN || undefined;
  const fromEnv = envToken === undefined ? {} : { tokenFrom: 'FLIGHTDECK_TOKEN' as const };
  if (explicit !== undefined) return { url: explicit, token: envToken, source: 'option', ...fromEnv };
  if (env.FLIGHTDECK_SERVER) return { url: env.FLIGHTDECK_SERVER, token: envToken, source: 'environment', ...fromEnv };
  const embedded = findEmbeddedServer(env);
  if (embedded) {
    const fileToken = envToken === undefined && embedded.data_dir ? readEmbeddedToken(embedded.data_dir) : undefined;
    return {
      url: embedded.url, token: envToken ?? fileToken, source: 'embedded',
      ...(embedded.data_dir ? { dataDir: embedded.data_dir } : {}),
      ...(fileToken !== undefined ? { tokenFrom: 'the demo token file' as const } : fromEnv),
    };
  }
  return { url: DEFAULT_SERVER, token: envToken, source: 'default', ...fromEnv };
}

/** A hint for a refused or unreachable server, naming how it was chosen. */
export function connectionHint(choice: ServerChoice, kind: 'network' | 'unauthorized' | 'forbidden'): string {
  const where = {
    option: `--server ${choice.url}`,
    environment: `FLIGHTDECK_SERVER (${choice.url})`,
    embedded: `the embedded server at ${choice.url}${choice.dataDir ? ` (data ${choice.dataDir})` : ''}`,
    default: `${choice.url}, the default`,
  }[choice.source];
  if (kind === 'network') {
    return `Tried ${where}. Start a server (flightdeck serve, or open VS Code with Flightdeck), or name one with --server URL.`;
  }
  if (kind === 'unauthorized') {
    return choice.token === undefined
      ? `Tried ${where} without a token: set FLIGHTDECK_TOKEN (npm start prints the demo's).`
      : `Tried ${where}: it does not know the token from ${choice.tokenFrom ?? 'FLIGHTDECK_TOKEN'}.`;
  }
  return `Tried ${where}: the token's role does not allow this.`;
}
