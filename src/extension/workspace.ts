// Which local repository and which release projects belong to a file: the git repository of its
// workspace folder (opened once, cached), matched to projects by remote URL, or by the monorepo setting
// `flightdeck.projects` (folder glob → project name) when it names the file's folder.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Project } from '../api/schemas';
import { GitRepository, projectsForRemotes, type GitRepositoryOptions } from '../git';
import type { CommitCounter } from './commitCounter';
import type { Logger } from './log';
import { describeError } from '../core/errors';
import { readProjectMapping } from './config';

export class WorkspaceRepositories implements vscode.Disposable {
  private readonly repos = new Map<string, Promise<GitRepository | undefined>>();
  private readonly remotes = new Map<string, Promise<string[]>>();
  private readonly subscription: vscode.Disposable;

  /** Where each repository's ancestry graph is saved between sessions (never in the repository); none: memory only. */
  private readonly ancestryCacheDir: string | undefined;

  /** @param storageUri the extension's global storage: the ancestry cache goes in its `ancestry` folder. */
  constructor(private readonly log: Logger, storageUri?: vscode.Uri) {
    // git runs on the same machine as this extension host: only a local folder can hold the cache.
    this.ancestryCacheDir = storageUri?.scheme === 'file' ? vscode.Uri.joinPath(storageUri, 'ancestry').fsPath : undefined;
    const forget = (): void => {
      this.repos.clear();
      this.remotes.clear();
    };
    this.subscription = vscode.Disposable.from(
      vscode.workspace.onDidChangeWorkspaceFolders(forget),
      vscode.workspace.onDidGrantWorkspaceTrust(forget),
    );
  }

  /** The repository of the folder that holds `uri` (or of the first folder). */
  repositoryFor(uri?: vscode.Uri): Promise<GitRepository | undefined> {
    // git obeys a repository's own config, and some of it runs programs (core.fsmonitor, …): none of that
    // in a workspace the user has not trusted. Hovers, the annotation and commit lists wait for trust.
    if (!vscode.workspace.isTrusted) return Promise.resolve(undefined);
    const folder = (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder || folder.uri.scheme !== 'file') return Promise.resolve(undefined);
    const key = folder.uri.fsPath;
    let repo = this.repos.get(key);
    if (!repo) {
      repo = GitRepository.open(key, this.repositoryOptions()).catch((error: unknown) => {
        this.log.info(`No git repository for ${key}: ${describeError(error)}`);
        return undefined;
      });
      this.repos.set(key, repo);
    }
    return repo;
  }

  private repositoryOptions(): GitRepositoryOptions {
    if (this.ancestryCacheDir === undefined) return {};
    return {
      cacheDir: this.ancestryCacheDir,
      // Only a slower first hover depends on it: worth a line in the log, not a message.
      onCacheError: (error) => this.log.info(`Ancestry cache in ${this.ancestryCacheDir}: ${describeError(error)}`),
    };
  }

  /** Every repository of the workspace's folders that has one. */
  async allRepositories(): Promise<GitRepository[]> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const repos = await Promise.all(folders.map((f) => this.repositoryFor(f.uri)));
    return repos.filter((r): r is GitRepository => r !== undefined);
  }

  async remoteUrls(repo: GitRepository): Promise<string[]> {
    let urls = this.remotes.get(repo.repoDir);
    if (!urls) {
      urls = repo.remoteUrls().then((r) => r.map((x) => x.url), () => []);
      this.remotes.set(repo.repoDir, urls);
    }
    return urls;
  }

  /**
   * The projects a file belongs to: the monorepo mapping when one of its globs matches the file's path
   * in the repository; else the projects whose `repo` matches a git remote; else every project.
   */
  async projectsFor(projects: readonly Project[], uri?: vscode.Uri): Promise<Project[]> {
    const mapping = readProjectMapping();
    const folder = (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
    if (uri && folder && Object.keys(mapping).length > 0) {
      const relative = path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/');
      for (const [glob, name] of Object.entries(mapping)) {
        if (globMatches(glob, relative)) {
          const project = projects.find((p) => p.name === name);
          if (project) return [project];
        }
      }
    }
    const repo = await this.repositoryFor(uri);
    if (!repo) return [...projects];
    return projectsForRemotes(projects, await this.remoteUrls(repo));
  }

  /** Commits a change adds and removes, counted in the first repository that has both commits. */
  commitCounter(): CommitCounter {
    return {
      count: async (from, to) => {
        for (const repo of await this.allRepositories()) {
          const [a, b] = await Promise.all([repo.resolve(from), repo.resolve(to)]);
          if (!a || !b) continue;
          const [added, removed] = await Promise.all([repo.countBetween(a, b), repo.countBetween(b, a)]);
          return { added, removed };
        }
        return undefined;
      },
    };
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

/** `services/payments/**`, `services/*\/api`, or a plain folder prefix `services/payments`. */
export function globMatches(glob: string, relativePath: string): boolean {
  const clean = glob.replace(/^\.?\//, '').replace(/\/+$/, '');
  if (!/[*?]/.test(clean)) return relativePath === clean || relativePath.startsWith(`${clean}/`);
  const pattern = clean
    .split('**').map((part) => part.split('*').map((s) => s.replace(/[.+^${}()|[\]\\?]/g, '\\$&')).join('[^/]*')).join('.*');
  return new RegExp(`^${pattern}(/.*)?$`).test(relativePath);
}
