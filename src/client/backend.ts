// What the extension and the CLI need from a release backend. Three implementations: the Flightdeck server
// (http.ts, the whole API), Aviator Releases (five endpoints; projects come from configuration) and
// GitHub Deployments (github.ts; API.md "Other backends").
import type {
  ApprovalBody, BlockBody, Caller, CreateDeploymentBody, Deployment, Environment, EnvironmentPatchBody, Healthz, Project, ProjectSpecInput,
  PromoteBody, Release, RollbackBody,
} from '../api/schemas';

export interface BackendCapabilities {
  /** The server streams events (GET /api/events); otherwise poll. */
  readonly events: boolean;
  readonly promote: boolean;
  readonly pauseResumeAbort: boolean;
  readonly freeze: boolean;
  readonly createProject: boolean;
  /** Deployments may await approval, and the caller may approve or reject them (API.md endpoints 19–21). */
  readonly approvals: boolean;
  /** Release candidates may be blocked and unblocked (API.md endpoint 22). */
  readonly block: boolean;
  /** Deployments may be created from the editor (Deploy Release Candidate…); absent: they may. GitHub's are
   * made by workflows. */
  readonly deploy?: boolean;
}

export interface ReleaseBackend {
  readonly kind: BackendKind;
  readonly baseUrl: string;
  readonly capabilities: BackendCapabilities;
  health(): Promise<Healthz>;
  /** Every project with its environments in ladder order: the tree's one request. */
  listProjects(): Promise<Project[]>;
  getProject(project: string): Promise<Project>;
  putProject(project: string, spec: ProjectSpecInput): Promise<Project>;
  listDeployments(project: string, environment: string, page?: number, perPage?: number): Promise<Deployment[]>;
  listReleases(project: string, page?: number, perPage?: number): Promise<Release[]>;
  getDeployment(project: string, id: string): Promise<Deployment>;
  deploy(project: string, environment: string, body: CreateDeploymentBody): Promise<Deployment>;
  promote(project: string, environment: string, body: PromoteBody): Promise<Deployment>;
  rollback(project: string, environment: string, body: RollbackBody): Promise<Deployment>;
  patchEnvironment(project: string, environment: string, body: EnvironmentPatchBody): Promise<Environment>;
  pause(project: string, deploymentId: string): Promise<Deployment>;
  resume(project: string, deploymentId: string): Promise<Deployment>;
  abort(project: string, deploymentId: string): Promise<Deployment>;
  /** Deployments awaiting approval, oldest first (every project, or one). */
  listApprovals(project?: string): Promise<Deployment[]>;
  approve(project: string, deploymentId: string, body: ApprovalBody): Promise<Deployment>;
  /** Rejects a deployment awaiting approval; its own actor rejecting it withdraws the request. */
  reject(project: string, deploymentId: string, body: ApprovalBody): Promise<Deployment>;
  blockCandidate(project: string, candidate: string, body: BlockBody): Promise<Release>;
  unblockCandidate(project: string, candidate: string): Promise<Release>;
  /** The token's name and role; absent where the API has no such call (Aviator). */
  whoami?(): Promise<Caller>;
}

export const BACKEND_KINDS = ['flightdeck', 'aviator', 'github'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

export interface BackendConnection {
  baseUrl: string;
  /** Bearer token; undefined sends none (the server will answer 401 where it needs one). */
  token: string | undefined;
  timeoutMs?: number;
}
