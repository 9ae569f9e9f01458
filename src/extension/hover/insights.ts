// "Where is this commit deployed?" for the editor: finds the commit (a SHA in text, or the blame of a
// line) in the workspace's git repositories, then answers from the model's last good overview and git
// ancestry. Nothing here talks to the release server: it reads what the tree model already has.
// Everything is cached (resolved tokens, blame per file version + HEAD, answers per model change) and
// failures are cached briefly, so a hover costs a few Map lookups once warm.
import * as vscode from 'vscode';
import { COMMIT_PATTERN, type Project } from '../../api/schemas';
import { distinctTips, whereIsCommit, type Containment } from '../../core/containment';
import { GitRepository, UNCOMMITTED, repoMatchesRemote, type CommitInfo } from '../../git';
import type { Logger } from '../log';
import type { ReleaseTreeModel } from '../tree/model';
import { globMatches, type WorkspaceRepositories } from '../workspace';
import { TtlCache, within } from './cache';
import { projectRows, type DeploymentState, type MissingCommit, type ProjectRows } from './present';
import { describeError } from '../../core/errors';
import { readProjectMapping } from '../config';

export interface CommitIdentity {
  repo: GitRepository;
  sha: string;
  info: CommitInfo | undefined;
}

export type BlameAnswer =
  | { kind: 'commit'; repo: GitRepository; sha: string }
  | { kind: 'uncommitted' };

/** A token that is not a commit is asked about again after this long (a fetch may bring it). */
const MISS_LIFETIME_MS = 30_000;
/** A git failure (a broken or busy repository) is not retried on every hover. */
const FAILURE_LIFETIME_MS = 10_000;
/** HEAD is read again after this long; blame answers are keyed by it. */
const HEAD_LIFETIME_MS = 1_000;
const SHALLOW_LIFETIME_MS = 30_000;
/** Warm the ancestry index this long after the deployments change (events come in bursts). */
const PREPARE_DELAY_MS = 500;

export class CommitInsights implements vscode.Disposable {
  /** Bumped on every model change: answers computed from older data are not reused. */
  private generation = 0;
  private readonly resolved = new TtlCache<string, Promise<string | undefined>>(4096);
  private readonly answers = new TtlCache<string, Promise<ProjectRows[]>>(512);
  private readonly blames = new TtlCache<string, Promise<string | undefined>>(4096);
  private readonly heads = new TtlCache<string, Promise<string | undefined>>(64);
  private readonly shallow = new TtlCache<string, Promise<boolean>>(64);
  private readonly disposables: vscode.Disposable[] = [];
  private prepareTimer: NodeJS.Timeout | undefined;
  private readonly documentIds = new WeakMap<vscode.TextDocument, number>();
  private nextDocumentId = 1;
  private lastState: string | undefined;
  private lastFreshness: string | undefined;
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  /** The answers may have changed (new deployments, a fetch): re-render what is showing. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    private readonly model: ReleaseTreeModel,
    private readonly workspace: WorkspaceRepositories,
    private readonly log: Logger,
  ) {
    this.disposables.push(
      this.changeEmitter,
      model.onDidChange(() => this.modelChanged()),
      model.onDidChangeState(() => {
        // Every fetch reports its state; only a change of state can change what a hover says.
        if (model.state === this.lastState && model.freshness.kind === this.lastFreshness) return;
        this.lastState = model.state;
        this.lastFreshness = model.freshness.kind;
        this.modelChanged();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.forgetGit()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('flightdeck.projects')) this.modelChanged();
      }),
    );
  }

  private modelChanged(): void {
    this.generation += 1;
    this.answers.clear();
    this.changeEmitter.fire();
    if (this.prepareTimer) clearTimeout(this.prepareTimer);
    this.prepareTimer = setTimeout(() => void this.prepare(), PREPARE_DELAY_MS);
  }

  /** After a fetch: tokens that were not commits may be now. */
  forgetGit(): void {
    this.resolved.clear();
    this.blames.clear();
    this.heads.clear();
    this.shallow.clear();
    this.modelChanged();
  }

  /** Loads the history behind every deployed commit of the workspace's projects, so the first hover is warm. */
  private async prepare(): Promise<void> {
    const projects = this.model.allProjects;
    if (projects.length === 0) return;
    try {
      for (const repo of await this.workspace.allRepositories()) {
        const urls = await this.workspace.remoteUrls(repo);
        const related = projects.filter((p) => urls.some((url) => repoMatchesRemote(p.repo, url)));
        if (related.length > 0) await repo.prepare(distinctTips(related));
      }
    } catch (error) {
      this.log.info(`Could not index deployed commits ahead of hovers: ${describeError(error)}`);
    }
  }

  // ── finding the commit ─────────────────────────────────────────────────────────────────────────────

  /** The repositories to look in for a document: its folder's first, then the workspace's others. */
  private async repositoriesFor(uri: vscode.Uri | undefined): Promise<GitRepository[]> {
    const primary = await this.workspace.repositoryFor(uri);
    const all = await this.workspace.allRepositories();
    return primary ? [primary, ...all.filter((r) => r.repoDir !== primary.repoDir)] : all;
  }

  /**
   * The commit a hex token in text names, in the first workspace repository that has it, or undefined.
   * Only a commit whose sha starts with the token counts (a branch or tag named `cafebabe` does not).
   */
  async identify(uri: vscode.Uri | undefined, token: string): Promise<CommitIdentity | undefined> {
    const prefix = token.toLowerCase();
    for (const repo of await this.repositoriesFor(uri)) {
      // A repository git cannot read (failures are cached briefly) is skipped, not an error in a hover.
      const sha = await this.resolveToken(repo, prefix).catch(() => undefined);
      if (sha !== undefined) return { repo, sha, info: await repo.commitInfo(sha).catch(() => undefined) };
    }
    return undefined;
  }

  private resolveToken(repo: GitRepository, prefix: string): Promise<string | undefined> {
    const key = `${repo.repoDir}\0${prefix}`;
    const cached = this.resolved.get(key);
    if (cached) return cached;
    const pending = repo.resolve(prefix).then((full) => (full?.startsWith(prefix) ? full : undefined));
    this.resolved.set(key, pending);
    // Commits stay; "not a commit" and failures are remembered briefly (a fetch may bring it).
    void pending.then(
      (sha) => {
        if (sha === undefined) this.resolved.set(key, pending, MISS_LIFETIME_MS);
      },
      () => this.resolved.set(key, pending, FAILURE_LIFETIME_MS),
    );
    return pending;
  }

  /** Any revision git understands (short sha, tag, `HEAD~3`), for the palette commands. */
  async resolveRevision(uri: vscode.Uri | undefined, revision: string): Promise<CommitIdentity | undefined> {
    for (const repo of await this.repositoriesFor(uri)) {
      const sha = await repo.resolve(revision);
      if (sha) return { repo, sha, info: await repo.commitInfo(sha) };
    }
    return undefined;
  }

  /** A token that names a deployed commit this clone does not have (found in the model, no git). */
  missingDeployedCommit(token: string): MissingCommit | undefined {
    const prefix = token.toLowerCase();
    const deployedIn: MissingCommit['deployedIn'] = [];
    for (const project of this.model.allProjects) {
      for (const environment of project.environments) {
        for (const [deployment, active] of [[environment.current, false], [environment.active, true]] as const) {
          // Only a well-formed commit id: what a server calls a commit ends up in hover links.
          if (deployment && COMMIT_PATTERN.test(deployment.commit) && deployment.commit.toLowerCase().startsWith(prefix)) {
            deployedIn.push({
              project: project.name, environment: environment.name, candidate: deployment.release_candidate_version,
              commit: deployment.commit.toLowerCase(), active,
            });
          }
        }
      }
    }
    return deployedIn.length > 0 ? { token, deployedIn } : undefined;
  }

  /**
   * The commit that last changed `line` (0-based) of a file in a workspace folder: cached per document
   * version and HEAD; a dirty document is blamed with its unsaved contents. Undefined: not in a
   * repository, not tracked by git (untracked or ignored), or git failed.
   */
  async blame(document: vscode.TextDocument, line: number): Promise<BlameAnswer | undefined> {
    if (document.uri.scheme !== 'file' || !vscode.workspace.getWorkspaceFolder(document.uri)) return undefined;
    const repo = await this.workspace.repositoryFor(document.uri);
    if (!repo) return undefined;
    const head = await this.heads.remember(repo.repoDir, () => repo.resolve('HEAD'), FAILURE_LIFETIME_MS, HEAD_LIFETIME_MS);
    // An untracked file has no blame: no line of it is in a commit, nor "uncommitted" work on one. Asked on
    // every hover, outside the blame cache, because `git add` changes it without moving HEAD (the answer
    // is cached by the repository until the index changes: a stat).
    const tracked = await repo.isTracked(document.uri.fsPath).catch((error: unknown) => {
      this.log.info(`No blame for ${document.uri.fsPath}: ${describeError(error)}`);
      return false;
    });
    if (!tracked) return undefined;
    // No HEAD yet (a repository without commits): everything is uncommitted.
    if (head === undefined) return { kind: 'uncommitted' };
    // A document reopened after its file changed starts again at version 1: its own id tells them apart.
    const key = `${this.documentId(document)}:${document.version}\0${head}\0${line}`;
    const contents = document.isDirty ? document.getText() : undefined;
    let sha: string | undefined;
    try {
      sha = await this.blames.remember(key, () => repo.blame(document.uri.fsPath, line + 1, contents === undefined ? {} : { contents }), FAILURE_LIFETIME_MS);
    } catch (error) {
      this.log.info(`No blame for ${document.uri.fsPath}:${line + 1}: ${describeError(error)}`);
      return undefined;
    }
    if (sha === undefined) return undefined;
    return sha === UNCOMMITTED ? { kind: 'uncommitted' } : { kind: 'commit', repo, sha };
  }

  private documentId(document: vscode.TextDocument): number {
    let id = this.documentIds.get(document);
    if (id === undefined) {
      id = this.nextDocumentId++;
      this.documentIds.set(document, id);
    }
    return id;
  }

  // ── where it is deployed ──────────────────────────────────────────────────────────────────────────

  /**
   * Where `sha` of `repo` is deployed, for the projects that belong to the document (`uri`). Waits for
   * the model's first answer at most `waitMs` (the caller's time box) when it has none yet.
   */
  async deployments(repo: GitRepository, sha: string, uri: vscode.Uri | undefined, waitMs = 0): Promise<DeploymentState> {
    if (this.model.allProjects.length === 0 && this.model.state === 'connecting' && waitMs > 0) {
      let once: vscode.Disposable | undefined;
      await within(new Promise<void>((resolve) => {
        once = this.model.onDidChangeState(() => resolve());
      }), waitMs);
      once?.dispose();
    }
    const projects = this.model.allProjects;
    if (projects.length === 0) {
      if (this.model.state === 'signin') return { kind: 'unavailable', reason: 'signin' };
      if (this.model.state === 'offline') return { kind: 'unavailable', reason: 'offline' };
      if (this.model.state === 'connecting') return { kind: 'unavailable', reason: 'connecting' };
      return { kind: 'unrelated' };
    }
    let rows: ProjectRows[];
    try {
      rows = await this.rowsFor(repo, sha, uri, projects);
    } catch (error) {
      this.log.warn(`Where is ${sha} deployed: ${describeError(error)}`);
      return { kind: 'failed', message: describeError(error) };
    }
    if (rows.length === 0) return { kind: 'unrelated' };
    const freshness = this.model.freshness;
    return {
      kind: 'ready',
      projects: rows,
      shallow: await this.isShallow(repo),
      staleSince: freshness.kind === 'offline' ? freshness.lastGoodAt ?? Date.now() : undefined,
    };
  }

  private async rowsFor(repo: GitRepository, sha: string, uri: vscode.Uri | undefined, projects: readonly Project[]): Promise<ProjectRows[]> {
    const { related, certain } = await this.relatedProjects(repo, uri, projects);
    if (related.length === 0) return [];
    const key = [this.generation, repo.repoDir, sha, certain, ...related.map((p) => p.name)].join('\0');
    return this.answers.remember(key, async () => {
      const presence = await whereIsCommit(sha, related, repo);
      const active = await this.activeContainment(repo, sha, related);
      const rows = presence.map((p) => projectRows(p, related.find((r) => r.name === p.project), active.get(p.project)));
      // Projects matched by nothing but the fallback belong here only if this clone knows what they run.
      return certain ? rows : rows.filter((p) => p.rows.some((r) => r.commit !== null && r.state !== 'unknown'));
    }, FAILURE_LIFETIME_MS);
  }

  /**
   * The projects of a commit: the monorepo setting's project when it maps the document's path, else the
   * projects whose `repo` matches one of the repository's remotes. When neither names any, every project
   * is a candidate, but not a certain one (`certain: false`).
   */
  private async relatedProjects(repo: GitRepository, uri: vscode.Uri | undefined, projects: readonly Project[]): Promise<{ related: Project[]; certain: boolean }> {
    const folder = uri ? vscode.workspace.getWorkspaceFolder(uri) : undefined;
    if (uri && folder && folder.uri.scheme === 'file' && uri.scheme === 'file') {
      const mapping = readProjectMapping();
      const relative = vscode.workspace.asRelativePath(uri, false);
      for (const [glob, name] of Object.entries(mapping)) {
        const project = projects.find((p) => p.name === name);
        if (project && globMatches(glob, relative)) return { related: [project], certain: true };
      }
    }
    const urls = await this.workspace.remoteUrls(repo);
    const byRemote = projects.filter((p) => urls.some((url) => repoMatchesRemote(p.repo, url)));
    return byRemote.length > 0 ? { related: byRemote, certain: true } : { related: [...projects], certain: false };
  }

  /** Whether each deployment under way that is not a rollout contains the commit (per project, env). */
  private async activeContainment(repo: GitRepository, sha: string, projects: readonly Project[]): Promise<Map<string, Map<string, Containment>>> {
    const asks: { project: string; environment: string; commit: string }[] = [];
    for (const project of projects) {
      for (const environment of project.environments) {
        if (environment.active && !environment.active.rollout) {
          asks.push({ project: project.name, environment: environment.name, commit: environment.active.commit });
        }
      }
    }
    const result = new Map<string, Map<string, Containment>>();
    if (asks.length === 0) return result;
    const answers = await repo.containsAll(sha, asks.map((a) => a.commit));
    asks.forEach((ask, i) => {
      const perProject = result.get(ask.project) ?? new Map<string, Containment>();
      perProject.set(ask.environment, answers[i] ?? 'unknown');
      result.set(ask.project, perProject);
    });
    return result;
  }

  isShallow(repo: GitRepository): Promise<boolean> {
    return this.shallow.remember(repo.repoDir, () => repo.isShallow().catch(() => false), FAILURE_LIFETIME_MS, SHALLOW_LIFETIME_MS);
  }

  dispose(): void {
    if (this.prepareTimer) clearTimeout(this.prepareTimer);
    for (const d of this.disposables) d.dispose();
  }
}

