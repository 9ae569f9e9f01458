// The Flightdeck server's HTTP API through axios. Every answer is parsed with the contract's zod
// schemas: a malformed answer becomes a BackendError('malformed'), never a half-typed object.
import axios, { type AxiosAdapter, type AxiosInstance, type AxiosResponse } from 'axios';
import * as z from 'zod';
import {
  Caller, Deployment, Environment, ErrorBody, Healthz, Overview, Project, Release, TokenCreated,
  type ApprovalBody, type BlockBody, type CreateCandidateBody, type CreateDeploymentBody, type EnvironmentPatchBody, type PatchDeploymentBody, type ProjectSpecInput,
  type PromoteBody, type RollbackBody, type TokenCreateBody,
} from '../api/schemas';
import type { BackendCapabilities, BackendConnection, ReleaseBackend } from './backend';
import { BackendError, kindForStatus } from './errors';
import { describeError } from '../core/errors';

const seg = encodeURIComponent;

/**
 * An HTTP client for a release backend at `baseUrl`, with the connection's timeout and bearer token. Every
 * status and the raw text reach the caller, so that errors are built in one place, from the body.
 */
export function textClient(baseUrl: string, connection: BackendConnection, adapter: 'fetch' | AxiosAdapter = 'fetch'): AxiosInstance {
  return axios.create({
    baseURL: baseUrl,
    timeout: connection.timeoutMs ?? 15_000,
    headers: connection.token ? { Authorization: `Bearer ${connection.token}` } : {},
    validateStatus: () => true,
    // Node 20 and VS Code's extension host have fetch: the fetch adapter needs none of the Node
    // adapter's dependencies (form-data, mime-db, follow-redirects), which keeps the bundles small.
    adapter,
    responseType: 'text',
    transformResponse: (data: unknown) => data,
  });
}

export class FlightdeckHttpBackend implements ReleaseBackend {
  readonly kind = 'flightdeck' as const;
  readonly capabilities: BackendCapabilities = {
    events: true, promote: true, pauseResumeAbort: true, freeze: true, createProject: true, approvals: true, block: true,
  };
  readonly baseUrl: string;
  private readonly http: AxiosInstance;

  /** `adapter`: how requests go out; default fetch (the CLI passes nodeHttpAdapter, which starts faster). */
  constructor(connection: BackendConnection, { adapter = 'fetch' }: { adapter?: 'fetch' | AxiosAdapter } = {}) {
    this.baseUrl = connection.baseUrl.replace(/\/+$/, '');
    this.http = textClient(this.baseUrl, connection, adapter);
  }

  health(): Promise<Healthz> {
    return this.request('GET', '/healthz', Healthz);
  }
  /** The token's name and role (`GET /api/whoami`). */
  whoami(): Promise<Caller> {
    return this.request('GET', '/api/whoami', Caller);
  }

  async listProjects(): Promise<Project[]> {
    return (await this.request('GET', '/api/releases', Overview)).projects;
  }
  getProject(project: string): Promise<Project> {
    return this.request('GET', `/api/releases/${seg(project)}`, Project);
  }
  putProject(project: string, spec: ProjectSpecInput): Promise<Project> {
    return this.request('PUT', `/api/releases/${seg(project)}`, Project, spec);
  }
  listDeployments(project: string, environment: string, page = 1, perPage = 10): Promise<Deployment[]> {
    return this.request('GET', `/api/releases/${seg(project)}/environments/${seg(environment)}/deployments?page=${page}&per_page=${perPage}`, z.array(Deployment));
  }
  listReleases(project: string, page = 1, perPage = 10): Promise<Release[]> {
    return this.request('GET', `/api/releases/${seg(project)}/releases?page=${page}&per_page=${perPage}`, z.array(Release));
  }
  getDeployment(project: string, id: string): Promise<Deployment> {
    return this.request('GET', `/api/releases/${seg(project)}/deployments/${seg(id)}`, Deployment);
  }
  deploy(project: string, environment: string, body: CreateDeploymentBody): Promise<Deployment> {
    return this.request('POST', `/api/releases/${seg(project)}/environments/${seg(environment)}/deployments`, Deployment, body);
  }
  promote(project: string, environment: string, body: PromoteBody): Promise<Deployment> {
    return this.request('POST', `/api/releases/${seg(project)}/environments/${seg(environment)}/promote`, Deployment, body);
  }
  rollback(project: string, environment: string, body: RollbackBody): Promise<Deployment> {
    return this.request('POST', `/api/releases/${seg(project)}/environments/${seg(environment)}/rollback`, Deployment, body);
  }
  /** Endpoint 1: creates the candidate (and its release when new); the same commit again is a no-op. */
  createCandidate(project: string, candidate: string, body: CreateCandidateBody): Promise<Release> {
    return this.request('POST', `/api/releases/${seg(project)}/releases/${seg(candidate)}`, Release, body);
  }
  /** Endpoint 3: what a pipeline reports (runs no executor). */
  reportStatus(project: string, environment: string, body: PatchDeploymentBody): Promise<Deployment> {
    return this.request('PATCH', `/api/releases/${seg(project)}/environments/${seg(environment)}/deployments`, Deployment, body);
  }
  /** Endpoint 17 (admin): a new token, shown this once. */
  createToken(body: TokenCreateBody): Promise<TokenCreated> {
    return this.request('POST', '/api/tokens', TokenCreated, body);
  }
  patchEnvironment(project: string, environment: string, body: EnvironmentPatchBody): Promise<Environment> {
    return this.request('PATCH', `/api/releases/${seg(project)}/environments/${seg(environment)}`, Environment, body);
  }
  pause(project: string, deploymentId: string): Promise<Deployment> {
    return this.request('POST', `/api/releases/${seg(project)}/deployments/${seg(deploymentId)}/pause`, Deployment, {});
  }
  resume(project: string, deploymentId: string): Promise<Deployment> {
    return this.request('POST', `/api/releases/${seg(project)}/deployments/${seg(deploymentId)}/resume`, Deployment, {});
  }
  abort(project: string, deploymentId: string): Promise<Deployment> {
    return this.request('POST', `/api/releases/${seg(project)}/deployments/${seg(deploymentId)}/abort`, Deployment, {});
  }

  listApprovals(project?: string): Promise<Deployment[]> {
    return this.request('GET', `/api/approvals${project === undefined ? '' : `?project=${seg(project)}`}`, z.array(Deployment));
  }
  approve(project: string, deploymentId: string, body: ApprovalBody): Promise<Deployment> {
    return this.request('POST', `/api/releases/${seg(project)}/deployments/${seg(deploymentId)}/approve`, Deployment, body);
  }
  reject(project: string, deploymentId: string, body: ApprovalBody): Promise<Deployment> {
    return this.request('POST', `/api/releases/${seg(project)}/deployments/${seg(deploymentId)}/reject`, Deployment, body);
  }
  blockCandidate(project: string, candidate: string, body: BlockBody): Promise<Release> {
    return this.request('POST', `/api/releases/${seg(project)}/releases/${seg(candidate)}/block`, Release, body);
  }
  unblockCandidate(project: string, candidate: string): Promise<Release> {
    return this.request('DELETE', `/api/releases/${seg(project)}/releases/${seg(candidate)}/block`, Release);
  }

  private async request<S extends z.ZodType>(method: string, url: string, schema: S, body?: unknown): Promise<z.output<S>> {
    let response: AxiosResponse<string>;
    try {
      response = await this.http.request<string>({ method, url, data: body });
    } catch (error) {
      throw new BackendError('network', `Cannot reach the release server at ${this.baseUrl}: ${networkReason(error)}`);
    }
    const json = parseJson(response.data);
    if (response.status >= 400) {
      const parsed = ErrorBody.safeParse(json);
      const message = parsed.success ? parsed.data.error : `The release server answered ${response.status} ${response.statusText}`.trim();
      throw new BackendError(kindForStatus(response.status), message, response.status, parsed.success ? parsed.data.current : undefined);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues[0];
      const path = where ? where.path.join('.') : '';
      throw new BackendError('malformed', `The release server sent a malformed answer to ${method} ${url.split('?')[0]}${path ? ` (at ${path}: ${where?.message})` : ''}`);
    }
    return parsed.data;
  }
}

/** The body as JSON, or undefined when it is empty or not JSON (the caller says what was expected). */
export function parseJson(text: unknown): unknown {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Why nothing answered, in a few words (shared by every HTTP backend). */
export function networkReason(error: unknown): string {
  // The fetch adapter reports ERR_NETWORK; the socket's own code (ECONNREFUSED …) is in the cause chain.
  let code: string | undefined;
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string' && c !== 'ERR_NETWORK') code = c;
  }
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timed out';
  if (code === 'ENOTFOUND') return 'unknown host';
  if (code) return code;
  if (axios.isAxiosError(error)) return error.message;
  return describeError(error);
}
