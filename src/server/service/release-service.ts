// The service: what the routes (and later the engine) call. Reads go to one snapshot; every change
// runs in one store transaction (see deployments.ts and projects.ts). After a change commits, and only
// then, the overview cache is invalidated, the events reach live subscribers, and deployment
// listeners (the engine's hook) hear about created and updated deployments.
import type {
  ApprovalBody, BlockBody, CreateCandidateBody, CreateDeploymentBody, Deployment, Environment, EnvironmentPatchBody, PageQuery,
  PatchDeploymentBody, Project, ProjectSpec, PromoteBody, Release, RollbackBody,
} from '../../api/schemas';
import { ApiError, DEPLOYMENT_NOT_FOUND, ENVIRONMENT_NOT_FOUND, PROJECT_NOT_FOUND } from '../errors';
import type { CommittedEvent, EnvironmentRecord, Store } from '../store';
import * as approvals from './approvals';
import * as deployments from './deployments';
import { EventBus } from './eventBus';
import { EventTail } from './eventTail';
import { OverviewCache } from './overviewCache';
import type { Principal } from './principal';
import * as projects from './projects';
import { TokenService } from './tokens';
import { projectForViewer, seesFullSpecs } from './viewerView';

export interface DeploymentChange {
  type: 'created' | 'updated';
  deployment: Deployment;
  /** The id of the event that announced it. */
  eventId: number;
}

/** The engine's hook: called after commit, in commit order, for every deployment created or updated. */
export type DeploymentChangedListener = (change: DeploymentChange) => void;

export interface ReleaseServiceOptions {
  adminToken?: string | undefined;
  now?: () => Date;
  /** Where failures of listeners (which must not break a request) are reported. */
  onListenerError?: (error: unknown) => void;
}

export class ReleaseService {
  readonly events = new EventBus();
  readonly tokens: TokenService;
  private readonly overview: OverviewCache;
  /** The overview as non-admins read it (URL credentials redacted): a cache of its own, never the admin's bytes. */
  private readonly overviewForViewers: OverviewCache;
  private readonly deploymentListeners = new Set<DeploymentChangedListener>();
  private readonly now: () => Date;
  private readonly onListenerError: (error: unknown) => void;
  private readonly stopListening: () => void;
  /** PostgreSQL: live events come from the table, so that other servers' commits reach this one's streams. */
  private readonly tail: EventTail | undefined;

  constructor(readonly store: Store, options: ReleaseServiceOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.onListenerError = options.onListenerError ?? (() => undefined);
    this.tokens = new TokenService(store, options.adminToken, this.now);
    // PGlite has one process per data dir, so in-process invalidation sees every change; a PostgreSQL
    // database may be shared by several servers, whose commits only the database knows about.
    const probe = store.dialect === 'postgres' ? () => store.read((reader) => reader.latestEventId()) : undefined;
    this.overview = new OverviewCache(async () => JSON.stringify({ projects: await store.read((reader) => reader.projects()) }), probe);
    this.overviewForViewers = new OverviewCache(
      async () => JSON.stringify({ projects: (await store.read((reader) => reader.projects())).map(projectForViewer) }),
      probe,
    );
    this.stopListening = store.onCommit((events) => this.afterCommit(events));
    this.tail = store.dialect === 'postgres'
      ? new EventTail(store, (events) => this.events.publish(events, this.onListenerError), this.onListenerError)
      : undefined;
  }

  /** Before serving: on PostgreSQL, starts following the event log of every server on the database. */
  async start(): Promise<void> {
    await this.tail?.start();
  }

  /** Registers the engine (or a test) for created/updated deployments; returns the unsubscribe. */
  onDeploymentChanged(listener: DeploymentChangedListener): () => void {
    this.deploymentListeners.add(listener);
    return () => this.deploymentListeners.delete(listener);
  }

  dispose(): void {
    this.stopListening();
    this.deploymentListeners.clear();
    void this.tail?.stop();
  }

  private afterCommit(events: readonly CommittedEvent[]): void {
    this.overview.invalidate();
    this.overviewForViewers.invalidate();
    if (this.tail) this.tail.poke();
    else this.events.publish(events, this.onListenerError);
    for (const event of events) {
      if (!event.deployment || (event.type !== 'deployment.created' && event.type !== 'deployment.updated')) continue;
      const change: DeploymentChange = {
        type: event.type === 'deployment.created' ? 'created' : 'updated', deployment: event.deployment, eventId: event.id,
      };
      for (const listener of this.deploymentListeners) {
        try {
          listener(change);
        } catch (error) {
          this.onListenerError(error);
        }
      }
    }
  }

  // ── reads ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * `{ "projects": [...] }` as UTF-8 JSON bytes as `principal` may read it, from the cache when nothing
   * changed since it was built.
   */
  overviewBody(principal: Principal): Promise<Buffer> {
    return seesFullSpecs(principal) ? this.overview.get() : this.overviewForViewers.get();
  }

  async overviewJson(principal: Principal): Promise<string> {
    return (await this.overviewBody(principal)).toString('utf8');
  }

  /** One project as `principal` may read it. */
  async project(name: string, principal: Principal): Promise<Project> {
    const project = await this.projectAsStored(name);
    return seesFullSpecs(principal) ? project : projectForViewer(project);
  }

  private async projectAsStored(name: string): Promise<Project> {
    const project = await this.store.read(async (reader) => {
      const record = await reader.findProject(name);
      return record && (await reader.projects(record.id))[0];
    });
    if (!project) throw new ApiError(404, PROJECT_NOT_FOUND);
    return project;
  }

  async releases(projectName: string, page: PageQuery): Promise<Release[]> {
    return this.store.read(async (reader) => {
      const project = await reader.findProject(projectName);
      if (!project) throw new ApiError(404, PROJECT_NOT_FOUND);
      return reader.releases(project, page);
    });
  }

  async deployments(project: string, environment: string, page: PageQuery): Promise<Deployment[]> {
    return this.store.read(async (reader) => {
      const env = await reader.findEnvironment(project, environment);
      if (!env) throw new ApiError(404, ENVIRONMENT_NOT_FOUND);
      return reader.deploymentsOf(env.id, page);
    });
  }

  async deployment(projectName: string, deploymentId: string): Promise<Deployment> {
    const deployment = await this.store.read(async (reader) => {
      const project = await reader.findProject(projectName);
      if (!project) throw new ApiError(404, PROJECT_NOT_FOUND);
      return reader.findDeployment(project.id, deploymentId);
    });
    if (!deployment) throw new ApiError(404, DEPLOYMENT_NOT_FOUND);
    return deployment;
  }

  /** An environment's stored spec and keys (for the engine). */
  environment(project: string, environment: string): Promise<EnvironmentRecord | undefined> {
    return this.store.read((reader) => reader.findEnvironment(project, environment));
  }

  // ── changes ────────────────────────────────────────────────────────────────────────────────────

  createCandidate(project: string, version: string, body: CreateCandidateBody): Promise<{ release: Release; created: boolean }> {
    return this.store.write((writer) => projects.createCandidate(writer, this.now(), project, version, body));
  }

  putProject(name: string, spec: ProjectSpec, options: projects.PutProjectOptions = {}): Promise<{ project: Project; created: boolean }> {
    return this.store.write((writer) => projects.putProject(writer, this.now(), name, spec, options));
  }

  patchEnvironment(project: string, environment: string, body: EnvironmentPatchBody): Promise<Environment> {
    return this.store.write((writer) => projects.patchEnvironment(writer, this.now(), project, environment, body));
  }

  createDeployment(principal: Principal, project: string, environment: string, body: CreateDeploymentBody): Promise<Deployment> {
    return this.store.write((writer) => deployments.createDeployment({ writer, principal, at: this.now() }, project, environment, body));
  }

  reportStatus(principal: Principal, project: string, environment: string, body: PatchDeploymentBody): Promise<Deployment> {
    return this.store.write((writer) => deployments.reportStatus({ writer, principal, at: this.now() }, project, environment, body));
  }

  rollback(principal: Principal, project: string, environment: string, body: RollbackBody): Promise<Deployment> {
    return this.store.write((writer) => deployments.rollback({ writer, principal, at: this.now() }, project, environment, body));
  }

  promote(principal: Principal, project: string, environment: string, body: PromoteBody): Promise<Deployment> {
    return this.store.write((writer) => deployments.promote({ writer, principal, at: this.now() }, project, environment, body));
  }

  // ── approvals and blocked candidates (endpoints 19–22) ─────────────────────────────────────────

  approve(principal: Principal, project: string, id: string, body: ApprovalBody): Promise<Deployment> {
    return this.store.write((writer) => approvals.approve({ writer, principal, at: this.now() }, project, id, body));
  }

  reject(principal: Principal, project: string, id: string, body: ApprovalBody): Promise<Deployment> {
    return this.store.write((writer) => approvals.reject({ writer, principal, at: this.now() }, project, id, body));
  }

  awaitingApproval(project: string | undefined): Promise<Deployment[]> {
    return this.store.read((reader) => approvals.awaitingApproval(reader, project));
  }

  blockCandidate(principal: Principal, project: string, version: string, body: BlockBody): Promise<Release> {
    const at = this.now();
    const block = { actor: principal.name, at: at.toISOString(), reason: body.reason };
    return this.store.write((writer) => approvals.setCandidateBlock(writer, at, project, version, block));
  }

  unblockCandidate(project: string, version: string): Promise<Release> {
    return this.store.write((writer) => approvals.setCandidateBlock(writer, this.now(), project, version, null));
  }
}
