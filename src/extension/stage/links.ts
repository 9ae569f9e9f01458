// Web addresses of commits and pull requests on the project's forge, from the project's `repo`
// (`owner/name` means GitHub, as in Aviator; a URL names its host). Undefined for local paths.
import { parseRepositoryLocation } from '../../git';

function forgeBase(repo: string): string | undefined {
  const location = parseRepositoryLocation(repo);
  if (!location || location.path === '' || location.path.startsWith('/')) return undefined;
  const host = location.host ?? (repo.includes(':') ? undefined : 'github.com');
  if (!host) return undefined;
  return `https://${host}/${location.path}`;
}

export function commitUrl(repo: string, sha: string): string | undefined {
  const base = forgeBase(repo);
  return base && /^[0-9a-f]{7,64}$/i.test(sha) ? `${base}/commit/${sha.toLowerCase()}` : undefined;
}

export function pullRequestUrl(repo: string, number: number): string | undefined {
  const base = forgeBase(repo);
  if (!base || !Number.isSafeInteger(number) || number < 1) return undefined;
  // GitLab calls them merge requests; everything else here uses /pull/.
  return base.includes('gitlab') ? `${base}/-/merge_requests/${number}` : `${base}/pull/${number}`;
}
