// Which GitHub repositories the GitHub backend shows: those the workspace's git remotes point at on the
// host that `flightdeck.github.apiUrl` serves (github.com, or the Enterprise server), then the setting
// `flightdeck.github.repositories`. Read on every listing, so a new remote or setting shows at the next poll
// (the remote URLs are cached by WorkspaceRepositories until the folders change).
import { githubRepositoryOf, githubWebHost } from '../../git';
import { readGitHubRepositories } from '../config';
import type { WorkspaceRepositories } from '../workspace';

export async function githubRepositories(workspace: WorkspaceRepositories, apiUrl: string): Promise<string[]> {
  const host = githubWebHost(apiUrl);
  const fromRemotes: string[] = [];
  if (host) {
    for (const repo of await workspace.allRepositories()) {
      for (const url of await workspace.remoteUrls(repo)) {
        const found = githubRepositoryOf(url, host);
        if (found) fromRemotes.push(found);
      }
    }
  }
  return uniqueIgnoringCase([...fromRemotes, ...readGitHubRepositories()]);
}

/** GitHub's names are case-insensitive: `Acme/Payments` and `acme/payments` are one repository. */
function uniqueIgnoringCase(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
