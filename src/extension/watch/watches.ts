// Watched commits: "tell me when a1b2c3d is live in production", and when an environment that ran it
// rolls back past it. Kept in globalState (they survive reloads), looked at again on every change of
// the model (which the event stream drives), one look at a time so nothing is announced twice.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { whereIsCommit } from '../../core/containment';
import { shortSha } from '../../core/format';
import type { GitRepository } from '../../git';
import type { Logger } from '../log';
import type { ReleaseTreeModel } from '../tree/model';
import type { WorkspaceRepositories } from '../workspace';
import { describeError } from '../../core/errors';
import { parseWatches, stepWatch, type CommitWatch, type WatchEvent } from './evaluate';

const STATE_KEY = 'flightdeck.commitWatches';

export interface WatchNotification {
  kind: WatchEvent['kind'] | 'already_live';
  watch: CommitWatch;
  environment: string;
  message: string;
}

export interface NewWatch {
  sha: string;
  subject: string | undefined;
  project: string;
  environment: string;
  repoDir: string | undefined;
}

export class CommitWatches implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly notifyEmitter = new vscode.EventEmitter<WatchNotification>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  /** A notification was shown (tests listen here). */
  readonly onDidNotify = this.notifyEmitter.event;
  /** Watches were added, removed or advanced. */
  readonly onDidChange = this.changeEmitter.event;
  private queue: Promise<void> = Promise.resolve();
  /** A look is queued and not started yet: it will see the newest data, so another is not needed. */
  private lookQueued = false;

  constructor(
    private readonly state: vscode.Memento,
    private readonly model: ReleaseTreeModel,
    private readonly workspace: WorkspaceRepositories,
    private readonly log: Logger,
  ) {
    this.disposables.push(this.notifyEmitter, this.changeEmitter, model.onDidChange(() => void this.evaluate()));
  }

  list(): CommitWatch[] {
    return parseWatches(this.state.get<unknown>(STATE_KEY, []));
  }

  private async save(watches: readonly CommitWatch[]): Promise<void> {
    await this.state.update(STATE_KEY, watches);
    this.changeEmitter.fire();
  }

  /**
   * Starts watching, unless the same commit is already watched for that environment (that watch is
   * returned). When it is live there already, says so and keeps no watch (undefined).
   */
  async add(input: NewWatch): Promise<CommitWatch | undefined> {
    const sha = input.sha.toLowerCase();
    const existing = this.list().find((w) => w.sha === sha && w.project === input.project && w.environment === input.environment);
    if (existing) return existing;
    const watch: CommitWatch = {
      id: randomUUID(), sha, subject: input.subject ?? null, project: input.project, environment: input.environment,
      repoDir: input.repoDir ?? null, createdAt: Date.now(), liveIn: [],
    };
    // The first look decides whether there is anything to wait for; it announces nothing else.
    const first = await this.look(watch);
    if (first?.done) {
      this.announce({
        kind: 'already_live', watch, environment: watch.environment,
        message: `${describe(watch)} is already live in ${watch.project}/${watch.environment}${inParentheses(first.events.find((e) => e.kind === 'live')?.candidate)}.`,
      });
      return undefined;
    }
    const stored = first ? first.watch : watch;
    await this.enqueue(async () => this.save([...this.list(), stored]));
    return stored;
  }

  async cancel(id: string): Promise<boolean> {
    let removed = false;
    await this.enqueue(async () => {
      const watches = this.list();
      const rest = watches.filter((w) => w.id !== id);
      removed = rest.length !== watches.length;
      if (removed) await this.save(rest);
    });
    return removed;
  }

  async cancelAll(): Promise<void> {
    await this.enqueue(() => this.save([]));
  }

  /** Looks at every watch again (coalesced: at most one look runs and one more waits). */
  evaluate(): Promise<void> {
    if (this.lookQueued) return this.queue;
    this.lookQueued = true;
    return this.enqueue(async () => {
      this.lookQueued = false;
      await this.evaluateAll();
    });
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(work);
    this.queue = run.catch((error: unknown) => this.log.warn(`Commit watches: ${describeError(error)}`));
    return this.queue;
  }

  private async evaluateAll(): Promise<void> {
    const watches = this.list();
    if (watches.length === 0 || this.model.allProjects.length === 0) return;
    const next: CommitWatch[] = [];
    let changed = false;
    for (const watch of watches) {
      const step = await this.look(watch).catch((error: unknown) => {
        this.log.info(`Watch of ${shortSha(watch.sha)}: ${describeError(error)}`);
        return undefined;
      });
      if (!step) {
        next.push(watch);
        continue;
      }
      for (const event of step.events) this.announce(notification(step.watch, event));
      if (step.done) {
        changed = true;
        continue;
      }
      if (step.changed) changed = true;
      next.push(step.watch);
    }
    // A watch cancelled while this look ran stays cancelled.
    const ids = new Set(this.list().map((w) => w.id));
    if (changed) await this.save(next.filter((w) => ids.has(w.id)));
  }

  /** undefined: the project or a repository with the commit is not at hand, so nothing can be said. */
  private async look(watch: CommitWatch): Promise<ReturnType<typeof stepWatch> | undefined> {
    const project = this.model.findProject(watch.project);
    if (!project) return undefined;
    const repo = await this.repositoryFor(watch);
    if (!repo) return undefined;
    const [presence] = await whereIsCommit(watch.sha, [project], repo);
    return presence ? stepWatch(watch, presence, project) : undefined;
  }

  private async repositoryFor(watch: CommitWatch): Promise<GitRepository | undefined> {
    const repos = await this.workspace.allRepositories();
    const same = repos.find((r) => r.repoDir === watch.repoDir);
    if (same) return same;
    for (const repo of repos) if ((await repo.resolve(watch.sha)) === watch.sha) return repo;
    return undefined;
  }

  private announce(note: WatchNotification): void {
    this.log.info(`Commit watch: ${note.message}`);
    this.notifyEmitter.fire(note);
    const stage = { project: note.watch.project, environment: note.environment };
    if (note.kind === 'left') {
      void vscode.window.showWarningMessage(note.message, 'Open Stage', 'Stop Watching').then((choice) => {
        if (choice === 'Open Stage') void vscode.commands.executeCommand('flightdeck.openStage', stage);
        if (choice === 'Stop Watching') void this.cancel(note.watch.id);
      });
    } else {
      void vscode.window.showInformationMessage(note.message, 'Open Stage').then((choice) => {
        if (choice === 'Open Stage') void vscode.commands.executeCommand('flightdeck.openStage', stage);
      });
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function describe(watch: CommitWatch): string {
  return `${shortSha(watch.sha)}${watch.subject ? ` “${watch.subject}”` : ''}`;
}

function inParentheses(candidate: string | null | undefined): string {
  return candidate ? ` (${candidate})` : '';
}

function notification(watch: CommitWatch, event: WatchEvent): WatchNotification {
  const where = `${watch.project}/${event.environment}`;
  if (event.kind === 'live') {
    return { kind: 'live', watch, environment: event.environment, message: `${describe(watch)} is live in ${where}${inParentheses(event.candidate)}.` };
  }
  const now = event.candidate ? `it now runs ${event.candidate}` : 'nothing is deployed there now';
  return {
    kind: 'left', watch, environment: event.environment,
    message: `${where} ${event.rollback ? 'rolled back past' : 'no longer runs'} ${describe(watch)}: ${now}. Still watching until ${watch.environment}.`,
  };
}
