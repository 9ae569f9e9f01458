// Which GitHub token may go where, without vscode (unit-tested): VS Code's `github` sign-in only to
// github.com's API, its `github-enterprise` sign-in only to its own server; GITHUB_TOKEN, else GH_TOKEN (the
// GitHub CLI's), from the extension host's environment, to the API of the user's own settings.
import { githubWebHost } from '../../git';

/**
 * VS Code's authentication provider whose token may go to this API URL: `github` for github.com;
 * `github-enterprise` only when VS Code's GitHub Enterprise sign-in (the setting `github-enterprise.uri`) is
 * for the same host, since its token belongs to that server; none otherwise (then the environment's token).
 */
export function authProviderFor(apiUrl: string, enterpriseUri?: string): 'github' | 'github-enterprise' | undefined {
  const host = githubWebHost(apiUrl);
  if (host === 'github.com') return 'github';
  const enterpriseHost = enterpriseUri ? githubWebHost(enterpriseUri) : undefined;
  return host !== undefined && enterpriseHost === host ? 'github-enterprise' : undefined;
}

/** GITHUB_TOKEN, else GH_TOKEN, read when asked (a test host may set it after activation). */
export function environmentToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return (env.GITHUB_TOKEN || '').trim() || (env.GH_TOKEN || '').trim() || undefined;
}
