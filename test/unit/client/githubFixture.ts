// A GitHub emulator with one real git repository and a backend pointed at it, for the GitHub backend's tests.
import { GitHubBackend, type GitHubBackendOptions } from '../../../src/client/github';
import { EMPTY_PROJECT_CONFIG, type ProjectConfig } from '../../../src/core/projectConfig';
import { DEFAULT_TOKEN, startGitHubEmulator, type EmulatorOptions, type GitHubEmulator } from '../../shared/githubEmulator';
import { TempRepo } from '../git/gitFixture';

export const REPO = 'acme/shop';

export interface GitHubFixture {
  emulator: GitHubEmulator;
  git: TempRepo;
  /** Commits of the repository, oldest first (c1 … cN), each tagged v1.0.N-rc1. */
  commits: string[];
  backend(options?: Partial<GitHubBackendOptions> & { config?: ProjectConfig }): GitHubBackend;
  close(): Promise<void>;
}

export async function githubFixture(options: EmulatorOptions & { commits?: number } = {}): Promise<GitHubFixture> {
  const git = TempRepo.create('flightdeck-github-');
  const commits: string[] = [];
  for (let i = 1; i <= (options.commits ?? 6); i++) {
    commits.push(git.commit(`c${i}`));
    git.git('tag', `v1.0.${i}-rc1`);
  }
  const emulator = await startGitHubEmulator(options);
  emulator.addRepository(REPO, git.dir);
  return {
    emulator,
    git,
    commits,
    backend: ({ config, ...rest } = {}) => new GitHubBackend({
      apiUrl: emulator.url,
      token: () => DEFAULT_TOKEN,
      repositories: () => [REPO],
      projects: () => config ?? EMPTY_PROJECT_CONFIG,
      ...rest,
    }),
    close: async () => {
      await emulator.close();
      git.remove();
    },
  };
}
