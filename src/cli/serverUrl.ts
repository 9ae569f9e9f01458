// Which release server a client command talks to. A module of its own so that `where` gets it without
// loading the other client commands (and the Aviator client they bring).
export const DEFAULT_SERVER = 'http://127.0.0.1:7700';

export function serverUrl(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  return explicit ?? (env.FLIGHTDECK_SERVER || DEFAULT_SERVER);
}
