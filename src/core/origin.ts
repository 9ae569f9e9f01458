// Which server a credential may go to. A token is tied to the origin (scheme, host, port) it was given
// for: a token kept by "Sign In" is stored under its server's origin, and the FLIGHTDECK_TOKEN of the
// environment goes only to an origin the user chose, never to one a workspace's settings name.
// Pure and platform-free (WHATWG URL only).

/** `https://releases.example.com:8443` for any URL on that server; the text itself when it is no URL. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** The origin of an http(s) URL, else undefined (other schemes all have the origin "null"). */
function httpOrigin(url: string | undefined): string | undefined {
  if (!url?.trim()) return undefined;
  try {
    const parsed = new URL(url.trim());
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Where the environment's token may go, from what the user (not a workspace) set. */
export interface EnvTokenScope {
  /** FLIGHTDECK_TOKEN_ORIGIN: when set, the one origin the token goes to (an invalid one: none). */
  explicitOrigin: string | undefined;
  /** FLIGHTDECK_SERVER. */
  envServerUrl: string | undefined;
  /** `flightdeck.server.url` from the user's settings, not the workspace's or a folder's. */
  userServerUrl: string | undefined;
}

/**
 * The origins FLIGHTDECK_TOKEN is sent to: FLIGHTDECK_TOKEN_ORIGIN's alone when it is set, else those of
 * FLIGHTDECK_SERVER and of the user's `flightdeck.server.url`. A URL a trusted workspace puts in its
 * settings gets the token only when it names one of these origins anyway.
 */
export function envTokenOrigins(scope: EnvTokenScope): string[] {
  if (scope.explicitOrigin?.trim()) {
    const explicit = httpOrigin(scope.explicitOrigin);
    return explicit ? [explicit] : [];
  }
  return [...new Set([httpOrigin(scope.envServerUrl), httpOrigin(scope.userServerUrl)].filter((o): o is string => o !== undefined))];
}

export function envTokenAppliesTo(serverUrl: string, scope: EnvTokenScope): boolean {
  const origin = httpOrigin(serverUrl);
  return origin !== undefined && envTokenOrigins(scope).includes(origin);
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * `http://127.0.0.1:<port>`, `http://[::1]:<port>` or `http://localhost:<port>` and nothing more (no
 * credentials, path, query or fragment): the only addresses the embedded server listens on, so the only
 * ones its state file may name before the extension sends it the embedded admin token.
 */
export function isLoopbackHttpUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'http:'
    && LOOPBACK_HOSTS.has(parsed.hostname)
    && parsed.username === '' && parsed.password === ''
    && parsed.pathname === '/' && parsed.search === '' && parsed.hash === '';
}
