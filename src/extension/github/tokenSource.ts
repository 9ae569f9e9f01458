// Which GitHub token may go where, without vscode (unit-tested): VS Code's `github` sign-in only to
// github.com's API, its `github-enterprise` sign-in to any other host; GITHUB_TOKEN, else GH_TOKEN (the
// GitHub CLI's), from the extension host's environment, to the API of the user's own settings.
import { githubWebHost } from '../../git';

/** VS Code's authentication provider for this API URL. */
export function authProviderFor(apiUrl: string): 'github' | 'github-enterprise' {
  return githubWebHost(apiUrl) === 'github.com' ? 'github' : 'github-enterprise';
}

/** GITHUB_TOKEN, else GH_TOKEN, read when asked (a test host may set it after activation). */
export function environmentToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return (env.GITHUB_TOKEN || '').trim() || (env.GH_TOKEN || '').trim() || undefined;
}
