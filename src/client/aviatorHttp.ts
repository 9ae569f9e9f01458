// The HTTP side of the Aviator backend: Aviator's five documented REST calls, and nothing else
// (test/unit/client/aviator.test.ts checks that from a request log):
//   1. POST  /api/releases/{project}/releases/{rc}                  create a release candidate
//   2. POST  /api/releases/{project}/environments/{env}/deployments  create a deployment
//   3. PATCH /api/releases/{project}/environments/{env}/deployments  report a deployment's status
//   4. GET   /api/releases/{project}/environments/{env}/deployments  an environment's deployments, newest first
//   5. POST  /api/releases/{project}/environments/{env}/rollback     roll back
// Answers are read into the contract's Deployment by aviatorWire.ts; errors become BackendErrors in
// Aviator's words. It remembers which environment each deployment was seen in, because Aviator has no call
// for one deployment.
import type { AxiosInstance, AxiosResponse } from 'axios';
import { ErrorBody, type Deployment, type PatchDeploymentBody } from '../api/schemas';
import type { BackendConnection } from './backend';
import { readDeployment, readDeploymentList, type WireContext } from './aviatorWire';
import { networkReason, parseJson, textClient } from './http';
import { BackendError, kindForStatus } from './errors';

const seg = encodeURIComponent;

/** What endpoint 5 accepts: only what Aviator documents. */
export interface AviatorRollbackBody {
  force?: boolean;
  to_release_candidate_version?: string;
}

export class AviatorHttp {
  readonly baseUrl: string;
  private readonly http: AxiosInstance;
  /** Which environment each deployment id was seen in (there is no call for one deployment). */
  private readonly seenIn = new Map<string, string>();
  private readonly firstSeenAt = new Map<string, string>();

  constructor(connection: BackendConnection, private readonly now: () => number) {
    this.baseUrl = connection.baseUrl.replace(/\/+$/, '');
    this.http = textClient(this.baseUrl, connection);
  }

  /** The environment a deployment was last seen in, if any answer so far listed it. */
  environmentOf(project: string, id: string): string | undefined {
    return this.seenIn.get(key(project, id));
  }

  /** Endpoint 1. */
  async createCandidate(project: string, candidate: string, body: { commit: string; repo?: string; trigger_build_workflow?: boolean }): Promise<void> {
    await this.request('POST', `/api/releases/${seg(project)}/releases/${seg(candidate)}`, body);
  }

  /** Endpoint 2; undefined when Aviator answers with an empty 201 (as it documents). */
  async createDeployment(project: string, environment: string, candidate: string): Promise<Deployment | undefined> {
    const json = await this.request('POST', deploymentsPath(project, environment), { release_candidate_version: candidate });
    return readDeployment(json, this.context(project, environment));
  }

  /** Endpoint 3; undefined when the answer holds no deployment. */
  async reportStatus(project: string, environment: string, body: PatchDeploymentBody): Promise<Deployment | undefined> {
    const json = await this.request('PATCH', deploymentsPath(project, environment), body);
    return readDeployment(json, this.context(project, environment));
  }

  /** Endpoint 4: one page of an environment's deployments, newest first. */
  async listDeployments(project: string, environment: string, page: number, perPage: number): Promise<Deployment[]> {
    const url = `${deploymentsPath(project, environment)}?page=${Math.max(1, Math.floor(page))}&per_page=${perPage}`;
    const json = await this.request('GET', url);
    const read = readDeploymentList(json, this.context(project, environment));
    if ('problem' in read) throw new BackendError('malformed', `Aviator sent a malformed answer to GET ${url.split('?')[0]} (${read.problem})`);
    return read.deployments;
  }

  /** Endpoint 5; undefined when the answer holds no deployment. */
  async rollback(project: string, environment: string, body: AviatorRollbackBody): Promise<Deployment | undefined> {
    const json = await this.request('POST', `/api/releases/${seg(project)}/environments/${seg(environment)}/rollback`, body);
    return readDeployment(json, this.context(project, environment));
  }

  private context(project: string, environment: string): WireContext {
    return {
      project,
      environment,
      firstSeen: (id) => {
        const k = key(project, id);
        let at = this.firstSeenAt.get(k);
        if (!at) {
          at = new Date(this.now()).toISOString();
          this.firstSeenAt.set(k, at);
        }
        this.seenIn.set(k, environment);
        return at;
      },
    };
  }

  /** Sends one request; answers below 400 come back as parsed JSON (undefined when empty or not JSON). */
  private async request(method: string, url: string, body?: unknown): Promise<unknown> {
    let response: AxiosResponse<string>;
    try {
      response = await this.http.request<string>({ method, url, data: body });
    } catch (error) {
      throw new BackendError('network', `Cannot reach Aviator at ${this.baseUrl}: ${networkReason(error)}`);
    }
    const json = parseJson(response.data);
    if (response.status >= 400) {
      const parsed = ErrorBody.safeParse(json);
      const kind = kindForStatus(response.status);
      const message = parsed.success
        ? parsed.data.error
        : kind === 'unauthorized'
          ? `Aviator did not accept the token (${response.status}): sign in with an Aviator API token (av_uat_…)`
          : `Aviator answered ${response.status} ${response.statusText}`.trim();
      throw new BackendError(kind, message, response.status, parsed.success ? parsed.data.current : undefined);
    }
    this.remember(json, url);
    return json;
  }

  /** Notes where every deployment in an answer lives, for environmentOf. */
  private remember(json: unknown, url: string): void {
    const match = /^\/api\/releases\/([^/]+)\/environments\/([^/?]+)\//.exec(url);
    if (!match?.[1] || !match[2]) return;
    const project = decodeURIComponent(match[1]);
    const environment = decodeURIComponent(match[2]);
    for (const entry of Array.isArray(json) ? json : [json]) {
      const id = (entry as { id?: unknown } | null)?.id;
      if (typeof id === 'string' || typeof id === 'number') this.seenIn.set(key(project, String(id)), environment);
    }
  }
}

function deploymentsPath(project: string, environment: string): string {
  return `/api/releases/${seg(project)}/environments/${seg(environment)}/deployments`;
}

function key(project: string, id: string): string {
  return `${project}\n${id}`;
}
