// The release tree's model: the last good overview from the backend, the error if the last fetch
// failed, and change events that name only the nodes whose data changed. Node objects are kept stable
// by id (VS Code matches refreshed elements by identity), and their data is updated in place.
import * as vscode from 'vscode';
import type { Deployment, Environment, Project } from '../../api/schemas';
import type { BackendKind } from '../../client/backend';
import { BackendError, describeError } from '../../client/errors';
import type { ActionCapabilities } from '../../core/actionPlan';
import type { OverviewFreshness } from '../../core/freshness';
import { ladder } from '../../core/ladder';
import type { SessionManager } from '../session';
import { coalesced } from '../coalesce';

export interface ProjectNode {
  readonly kind: 'project';
  readonly id: string;
  project: Project;
}
export interface EnvironmentNode {
  readonly kind: 'environment';
  readonly id: string;
  project: Project;
  environment: Environment;
}
export interface DeploymentNode {
  readonly kind: 'deployment';
  readonly id: string;
  project: Project;
  environment: Environment;
  deployment: Deployment;
}
export type ReleaseNode = ProjectNode | EnvironmentNode | DeploymentNode;

export type ModelState = 'connecting' | 'ready' | 'empty' | 'offline' | 'signin';

const RECENT_DEPLOYMENTS = 10;

export class ReleaseTreeModel implements vscode.Disposable {
  private projects: Project[] | undefined;
  private readonly nodes = new Map<string, ReleaseNode>();
  private readonly deploymentCache = new Map<string, Deployment[]>();
  private readonly coalescedFetch = coalesced(() => this.fetch());
  private readonly changeEmitter = new vscode.EventEmitter<ReleaseNode[] | undefined>();
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  /** Nodes whose data changed; undefined means the root's children changed. */
  readonly onDidChange = this.changeEmitter.event;
  /** State, error or freshness changed. */
  readonly onDidChangeState = this.stateEmitter.event;
  state: ModelState = 'connecting';
  lastError: string | undefined;
  freshness: OverviewFreshness = { kind: 'never' };
  failures = 0;
  /** performance.now() when the first overview request was sent (for the activation benchmark). */
  firstFetchAt: number | undefined;

  constructor(private readonly sessions: SessionManager) {}

  /** What the connected backend can do (for the action plan); a Flightdeck server's until a session exists. */
  get capabilities(): ActionCapabilities {
    return this.sessions.peek()?.backend.capabilities ?? { promote: true, pauseResumeAbort: true, freeze: true };
  }

  /** Which backend the session talks to; undefined before it connects. */
  get backendKind(): BackendKind | undefined {
    return this.sessions.peek()?.backend.kind;
  }

  get allProjects(): readonly Project[] {
    return this.projects ?? [];
  }

  findProject(name: string): Project | undefined {
    return this.projects?.find((p) => p.name === name);
  }

  /** Re-render one node whose presentation changed without its data (e.g. a commit count arrived). */
  touch(node: ReleaseNode): void {
    this.changeEmitter.fire([node]);
  }

  /** The rows that show a relative time: every environment, and the deployments listed under them. */
  nodesShowingAges(): ReleaseNode[] {
    return [...this.nodes.values()].filter((n) => n.kind !== 'project');
  }

  nodeById(id: string): ReleaseNode | undefined {
    return this.nodes.get(id);
  }

  /** Fetches the overview; concurrent calls coalesce into at most one more fetch. */
  refresh(): Promise<void> {
    return this.coalescedFetch();
  }

  /** Forget everything (a different server now). */
  clear(): void {
    this.projects = undefined;
    this.nodes.clear();
    this.deploymentCache.clear();
    this.state = 'connecting';
    this.freshness = { kind: 'never' };
    this.changeEmitter.fire(undefined);
    this.stateEmitter.fire();
  }

  private async fetch(): Promise<void> {
    let projects: Project[];
    try {
      const session = await this.sessions.get();
      this.firstFetchAt ??= performance.now();
      projects = await session.backend.listProjects();
    } catch (error) {
      this.failures += 1;
      this.lastError = describeError(error);
      this.state = error instanceof BackendError && (error.kind === 'unauthorized' || error.kind === 'forbidden')
        ? 'signin'
        : this.projects === undefined || this.projects.length === 0 ? 'offline' : 'ready';
      const lastGoodAt = this.freshness.kind === 'fresh' ? this.freshness.at : this.freshness.kind === 'offline' ? this.freshness.lastGoodAt : undefined;
      this.freshness = { kind: 'offline', lastGoodAt, reason: this.lastError };
      this.stateEmitter.fire();
      if (this.projects === undefined) this.changeEmitter.fire(undefined);
      return;
    }
    this.failures = 0;
    this.lastError = undefined;
    this.freshness = { kind: 'fresh', at: Date.now(), live: this.sessions.streamState === 'live' };
    this.apply(projects);
    this.state = projects.length === 0 ? 'empty' : 'ready';
    this.stateEmitter.fire();
  }

  /** Replace the data; fire for exactly the nodes that changed. */
  private apply(projects: Project[]): void {
    const previous = this.projects;
    this.projects = projects;
    const changed: ReleaseNode[] = [];
    let rootChanged = previous === undefined || previous.map((p) => p.name).join('\n') !== projects.map((p) => p.name).join('\n');
    for (const project of projects) {
      const projectNode = this.projectNode(project);
      const before = previous?.find((p) => p.name === project.name);
      const envNamesChanged = !before || ladder(before).map((e) => e.name).join('\n') !== ladder(project).map((e) => e.name).join('\n');
      if (before && envNamesChanged) changed.push(projectNode);
      for (const environment of project.environments) {
        const beforeEnv = before?.environments.find((e) => e.name === environment.name);
        const node = this.environmentNode(project, environment);
        if (beforeEnv && !envNamesChanged && JSON.stringify(beforeEnv) !== JSON.stringify(environment)) {
          this.deploymentCache.delete(node.id);
          changed.push(node);
        }
      }
    }
    if (previous === undefined) rootChanged = true;
    if (rootChanged) this.changeEmitter.fire(undefined);
    else if (changed.length > 0) this.changeEmitter.fire(changed);
  }

  /** Children of a node (or of the root), from the cached data. */
  async children(node?: ReleaseNode): Promise<ReleaseNode[]> {
    if (!node) return (this.projects ?? []).map((p) => this.projectNode(p));
    if (node.kind === 'project') return ladder(node.project).map((e) => this.environmentNode(node.project, e));
    if (node.kind === 'environment') {
      const deployments = await this.recentDeployments(node);
      return deployments.map((d) => this.deploymentNode(node, d));
    }
    return [];
  }

  private async recentDeployments(node: EnvironmentNode): Promise<Deployment[]> {
    const cached = this.deploymentCache.get(node.id);
    if (cached) return cached;
    const session = await this.sessions.get();
    const deployments = await session.backend.listDeployments(node.project.name, node.environment.name, 1, RECENT_DEPLOYMENTS);
    this.deploymentCache.set(node.id, deployments);
    return deployments;
  }

  private projectNode(project: Project): ProjectNode {
    const id = `project/${project.name}`;
    const node = this.nodes.get(id);
    if (node?.kind === 'project') {
      node.project = project;
      return node;
    }
    const created: ProjectNode = { kind: 'project', id, project };
    this.nodes.set(id, created);
    return created;
  }

  private environmentNode(project: Project, environment: Environment): EnvironmentNode {
    const id = `environment/${project.name}/${environment.name}`;
    const node = this.nodes.get(id);
    if (node?.kind === 'environment') {
      node.project = project;
      node.environment = environment;
      return node;
    }
    const created: EnvironmentNode = { kind: 'environment', id, project, environment };
    this.nodes.set(id, created);
    return created;
  }

  private deploymentNode(parent: EnvironmentNode, deployment: Deployment): DeploymentNode {
    const id = `deployment/${parent.project.name}/${deployment.id}`;
    const node = this.nodes.get(id);
    if (node?.kind === 'deployment') {
      node.project = parent.project;
      node.environment = parent.environment;
      node.deployment = deployment;
      return node;
    }
    const created: DeploymentNode = { kind: 'deployment', id, project: parent.project, environment: parent.environment, deployment };
    this.nodes.set(id, created);
    return created;
  }

  dispose(): void {
    this.changeEmitter.dispose();
    this.stateEmitter.dispose();
  }
}
