// Which projects belong to this repository: a project's `repo` (`owner/name` or a git URL, https or ssh)
// against the repository's remote URLs. Pure: the URLs come from `GitRepository.remoteUrls()`.

export interface RemoteUrl {
  /** The remote's name, e.g. `origin`. */
  name: string;
  url: string;
}

/** Parses `git remote -v` ("origin\thttps://… (fetch)"), each (name, url) once. */
export function parseRemoteVerbose(output: string): RemoteUrl[] {
  const seen = new Set<string>();
  const remotes: RemoteUrl[] = [];
  for (const line of output.split('\n')) {
    const match = /^(\S+)\t(.+?)(?: \((?:fetch|push)\))?$/.exec(line.trimEnd());
    if (!match || match[1] === undefined || match[2] === undefined) continue;
    const key = `${match[1]}\t${match[2]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    remotes.push({ name: match[1], url: match[2] });
  }
  return remotes;
}

/** A repository location reduced to what identifies it: host (null for `owner/name`) and path. */
export interface RepositoryLocation {
  host: string | null;
  /** Lower-case, no leading or trailing `/`, no `.git` suffix: `acme/payments`. */
  path: string;
}

export function parseRepositoryLocation(text: string): RepositoryLocation | undefined {
  const value = text.trim();
  if (value === '') return undefined;
  // scheme://[user[:password]@]host[:port]/path — https, http, ssh, git, git+ssh; file:// has no host.
  const withScheme = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([^/:]*)(?::\d*)?(\/.*)?$/i.exec(value);
  if (withScheme) {
    const scheme = (withScheme[1] ?? '').toLowerCase();
    if (scheme === 'file') return { host: null, path: `/${normalizePath(withScheme[3] ?? '')}` };
    return { host: normalizeHost(withScheme[2] ?? ''), path: normalizePath(withScheme[3] ?? '') };
  }
  // scp-like ssh: [user@]host:path (git treats it so only when no slash comes before the colon).
  const scpLike = /^(?:[^@/]+@)?([^/:]+):(.+)$/.exec(value);
  if (scpLike && !/^[a-z]:[\\/]/i.test(value)) {
    return { host: normalizeHost(scpLike[1] ?? ''), path: normalizePath(scpLike[2] ?? '') };
  }
  // A local path, or the `owner/name` shorthand of a project's `repo` field.
  const isLocalPath = /^(\/|\.{1,2}\/|~|[a-z]:[\\/])/i.test(value);
  return { host: null, path: (isLocalPath ? '/' : '') + normalizePath(value) };
}

function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/^www\./, '');
}

function normalizePath(rawPath: string): string {
  return rawPath
    .replace(/\\/g, '/')
    .replace(/^~/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/i, '')
    .replace(/^\/+/, '')
    .toLowerCase();
}

/**
 * Whether a project's `repo` names one of these remotes. `owner/name` matches any host whose path ends
 * in it; a URL must match host and path (protocol, user and port do not matter: https and ssh clones of
 * one repository match). Case-insensitive, as the big forges are.
 */
export function repoMatchesRemote(projectRepo: string, remoteUrl: string): boolean {
  const project = parseRepositoryLocation(projectRepo);
  const remote = parseRepositoryLocation(remoteUrl);
  if (!project || !remote || project.path === '') return false;
  if (project.host === null && !projectRepo.includes(':')) {
    return remote.path === project.path || remote.path.endsWith(`/${project.path}`);
  }
  return project.host === remote.host && project.path === remote.path;
}

/** The projects whose `repo` matches one of the remotes; all of them when none matches. */
export function projectsForRemotes<P extends { repo: string }>(projects: readonly P[], remoteUrls: readonly string[]): P[] {
  const matched = projects.filter((project) => remoteUrls.some((url) => repoMatchesRemote(project.repo, url)));
  return matched.length > 0 ? matched : [...projects];
}

/**
 * The web host whose repositories a GitHub API serves: `api.github.com` → `github.com`, an Enterprise
 * server's `https://HOST/api/v3` → `HOST` (and GHE.com's `api.SUB.ghe.com` → `SUB.ghe.com`).
 */
export function githubWebHost(apiUrl: string): string | undefined {
  const location = parseRepositoryLocation(apiUrl);
  if (!location?.host) return undefined;
  return location.host.replace(/^api\./, '');
}

/** `owner/name` of a remote that points at a repository on that GitHub host; undefined for any other remote. */
export function githubRepositoryOf(remoteUrl: string, webHost: string): string | undefined {
  const remote = parseRepositoryLocation(remoteUrl);
  if (!remote?.host || remote.host !== webHost.toLowerCase()) return undefined;
  const parts = remote.path.split('/');
  return parts.length === 2 && parts[0] && parts[1] ? `${parts[0]}/${parts[1]}` : undefined;
}
