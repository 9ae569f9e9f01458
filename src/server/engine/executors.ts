// The deploy executors (API.md "Deploy executors"): `command` runs an executable without a shell,
// `webhook` POSTs the deployment JSON to a URL, `none` does nothing (the pipeline reports). One call
// applies one rollout step (FLIGHTDECK_PERCENT), or the whole deployment for other strategies (100).
import * as path from 'node:path';
import type { Deployment, DeploySpec, HealthCheckSpec } from '../../api/schemas';
import { fetchableUrlProblem, redactUrl } from '../../api/urls';
import type { ServerSecrets } from '../secrets';
import type { EnvironmentRecord } from '../store';
import { ENGINE_CLAIM_VARIABLE } from './orphans';
import { isRedirect, sendOnce, type HostLookup } from './outbound';
import { lastLines, runProcess } from './process';

export const DEFAULT_DEPLOY_TIMEOUT_SECONDS = 900;
export const DEFAULT_HEALTH_TIMEOUT_SECONDS = 10;
/** A webhook is tried this many times (with backoff between) before the step fails. */
export const WEBHOOK_DELIVERIES = 5;
const WEBHOOK_ATTEMPT_TIMEOUT_MS = 10_000;
const WEBHOOK_BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 16_000];

export interface StepCall {
  env: EnvironmentRecord;
  deployment: Deployment;
  /** The rollout step's percent, else 100. */
  percent: number;
  /** 1, or 2 when a crash interrupted the first call of this step (FLIGHTDECK_ATTEMPT, beyond API.md's list). */
  attempt: number;
  /** Which delivery of a webhook this is (1-based). */
  delivery: number;
  signal: AbortSignal;
  /** The engine run that starts the command (ENGINE_CLAIM_VARIABLE): how a later run finds it if we die. */
  engineClaim: string;
  /** Kept out of the command's environment and out of what its failure says. */
  secrets: ServerSecrets;
  /** How a webhook's host name is resolved (default dns.lookup); its addresses are checked either way. */
  hostLookup?: HostLookup | undefined;
}

export type StepOutcome =
  | { kind: 'applied' }
  | { kind: 'failed'; status: 'failure' | 'error'; message: string }
  /** The webhook did not answer: deliver again after `afterMs`. */
  | { kind: 'retry'; afterMs: number; message: string }
  /** The server is shutting down: the step stays to be run again. */
  | { kind: 'interrupted' };

/** `cwd` of a command: the spec's (relative to the config file's directory), else that directory, else ours. */
export function workingDirectory(spec: { cwd?: string | null | undefined }, env: EnvironmentRecord): string {
  const base = env.configDir ?? process.cwd();
  return spec.cwd ? path.resolve(base, spec.cwd) : base;
}

/** The variables every command of the engine sees, on top of the server's own environment minus its secrets. */
export function commandEnvironment(
  secrets: ServerSecrets, env: EnvironmentRecord, deployment: Deployment, percent: number, attempt: number, engineClaim?: string,
): NodeJS.ProcessEnv {
  return {
    ...secrets.scrubEnvironment(process.env),
    ...(engineClaim !== undefined ? { [ENGINE_CLAIM_VARIABLE]: engineClaim } : {}),
    FLIGHTDECK_PROJECT: env.project,
    FLIGHTDECK_ENVIRONMENT: env.spec.name,
    FLIGHTDECK_VERSION: deployment.release_candidate_version,
    FLIGHTDECK_COMMIT: deployment.commit,
    FLIGHTDECK_DEPLOYMENT_ID: deployment.id,
    FLIGHTDECK_PERCENT: String(percent),
    FLIGHTDECK_ATTEMPT: String(attempt),
    // Beyond API.md's list: deploy | promote | rollback | auto_rollback.
    FLIGHTDECK_KIND: deployment.kind,
  };
}

export async function runStep(call: StepCall): Promise<StepOutcome> {
  const outcome = await runStepAsIs(call);
  // The message becomes the deployment's error_message, which every viewer reads.
  return 'message' in outcome ? { ...outcome, message: call.secrets.redact(outcome.message) } : outcome;
}

async function runStepAsIs(call: StepCall): Promise<StepOutcome> {
  const spec = call.env.spec.deploy;
  switch (spec.type) {
    case 'none':
      return { kind: 'applied' };
    case 'command':
      return runCommandStep(spec, call);
    case 'webhook':
      return deliverWebhook(spec, call);
  }
}

async function runCommandStep(spec: DeploySpec, call: StepCall): Promise<StepOutcome> {
  const command = spec.command ?? '';
  const timeoutSeconds = spec.timeout_seconds ?? DEFAULT_DEPLOY_TIMEOUT_SECONDS;
  const result = await runProcess({
    command,
    args: spec.args ?? [],
    cwd: workingDirectory(spec, call.env),
    env: commandEnvironment(call.secrets, call.env, call.deployment, call.percent, call.attempt, call.engineClaim),
    timeoutMs: timeoutSeconds * 1000,
    signal: call.signal,
  });
  switch (result.kind) {
    case 'aborted':
      return { kind: 'interrupted' };
    case 'spawn-error':
      return { kind: 'failed', status: 'failure', message: result.message };
    case 'timeout': {
      const tail = lastLines(result.stderr || result.stdout, 5);
      return { kind: 'failed', status: 'error', message: `${command} timed out after ${timeoutSeconds} s${tail ? `:\n${tail}` : ''}` };
    }
    case 'exit': {
      if (result.code === 0) return { kind: 'applied' };
      const how = result.code === null ? `was killed by ${result.signal ?? 'a signal'}` : `exited with code ${result.code}`;
      const tail = lastLines(result.stderr) || lastLines(result.stdout);
      return { kind: 'failed', status: 'failure', message: `${command} ${how}${tail ? `:\n${tail}` : ''}` };
    }
  }
}

async function deliverWebhook(spec: DeploySpec, call: StepCall): Promise<StepOutcome> {
  const url = spec.url ?? '';
  // Stored before the API refused such URLs: still never fetched.
  const refused = fetchableUrlProblem(url);
  if (refused !== undefined) return { kind: 'failed', status: 'failure', message: refused };
  // What the messages (error_message, read by every viewer) say about the URL.
  const shown = redactUrl(url);
  const target = withoutUserinfo(url);
  const result = await sendOnce({
    method: 'POST',
    url: target.url,
    headers: {
      ...target.headers,
      'content-type': 'application/json',
      'user-agent': 'flightdeck-engine',
      // Receivers deduplicate on this: a delivery interrupted by a crash is sent again.
      'x-flightdeck-delivery': `${call.deployment.id}.${call.deployment.rollout?.step ?? 0}.${call.attempt}`,
      'x-flightdeck-percent': String(call.percent),
    },
    body: JSON.stringify(call.deployment),
    signal: call.signal,
    timeoutMs: WEBHOOK_ATTEMPT_TIMEOUT_MS,
    lookup: call.hostLookup,
  });
  let problem: string;
  if (result.kind === 'answered') {
    if (result.status >= 200 && result.status < 300) return { kind: 'applied' };
    problem = `POST ${shown} answered ${result.status}${result.statusText ? ` ${result.statusText}` : ''}`;
    // A redirect is not followed (its target passed no check), and asking again gets the same one.
    if (isRedirect(result.status)) return { kind: 'failed', status: 'failure', message: `${problem} (redirects are not followed)` };
    // The receiver refuses the request itself: sending it again would not help.
    if (result.status >= 400 && result.status < 500 && result.status !== 408 && result.status !== 429) {
      return { kind: 'failed', status: 'failure', message: problem };
    }
  } else {
    if (result.aborted) return { kind: 'interrupted' };
    problem = `POST ${shown} failed: ${result.problem.split(target.url).join(shown)}`;
    // Refused by our own rule: no later delivery would be allowed either.
    if (result.refused) return { kind: 'failed', status: 'failure', message: problem };
  }
  if (call.delivery >= WEBHOOK_DELIVERIES) {
    return { kind: 'failed', status: 'failure', message: `${problem} (${call.delivery} deliveries)` };
  }
  return { kind: 'retry', afterMs: WEBHOOK_BACKOFF_MS[call.delivery - 1] ?? 16_000, message: problem };
}

// ── health checks ────────────────────────────────────────────────────────────────────────────────

export interface HealthResult {
  healthy: boolean;
  error: string | null;
}

/** One health check: the URL answers 2xx, or the command exits 0, within the timeout. */
export async function checkHealth(
  spec: HealthCheckSpec, env: EnvironmentRecord, deployment: Deployment, signal: AbortSignal, secrets: ServerSecrets,
  hostLookup?: HostLookup,
): Promise<HealthResult> {
  const result = await checkHealthAsIs(spec, env, deployment, signal, secrets, hostLookup);
  // The error becomes the deployment's health.last_error (and error_message if it fails it).
  return result.error === null ? result : { ...result, error: secrets.redact(result.error) };
}

async function checkHealthAsIs(
  spec: HealthCheckSpec, env: EnvironmentRecord, deployment: Deployment, signal: AbortSignal, secrets: ServerSecrets,
  hostLookup: HostLookup | undefined,
): Promise<HealthResult> {
  const timeoutSeconds = spec.timeout_seconds ?? DEFAULT_HEALTH_TIMEOUT_SECONDS;
  if (spec.url !== null) {
    const refused = fetchableUrlProblem(spec.url);
    if (refused !== undefined) return { healthy: false, error: refused };
    const shown = redactUrl(spec.url);
    const target = withoutUserinfo(spec.url);
    const result = await sendOnce({
      method: 'GET',
      url: target.url,
      headers: { ...target.headers, 'user-agent': 'flightdeck-health' },
      signal,
      timeoutMs: timeoutSeconds * 1000,
      lookup: hostLookup,
    });
    if (result.kind === 'failed') return { healthy: false, error: `GET ${shown} failed: ${result.problem.split(target.url).join(shown)}` };
    // Healthy on 2xx only: a redirect is an answer, not followed (its target passed no check).
    if (result.status >= 200 && result.status < 300) return { healthy: true, error: null };
    const answered = `GET ${shown} answered ${result.status}${result.statusText ? ` ${result.statusText}` : ''}`;
    return { healthy: false, error: isRedirect(result.status) ? `${answered} (redirects are not followed)` : answered };
  }
  const command = spec.command ?? '';
  const result = await runProcess({
    command,
    args: spec.args ?? [],
    cwd: workingDirectory(spec, env),
    env: commandEnvironment(secrets, env, deployment, deployment.rollout?.percent ?? 100, 1),
    timeoutMs: timeoutSeconds * 1000,
    signal,
  });
  switch (result.kind) {
    case 'exit':
      if (result.code === 0) return { healthy: true, error: null };
      return {
        healthy: false,
        error: `${command} exited with ${result.code ?? result.signal ?? 'nothing'}${lastLines(result.stderr || result.stdout, 3) ? `: ${lastLines(result.stderr || result.stdout, 3)}` : ''}`,
      };
    case 'timeout':
      return { healthy: false, error: `${command} timed out after ${timeoutSeconds} s` };
    case 'aborted':
      return { healthy: false, error: 'interrupted' };
    case 'spawn-error':
      return { healthy: false, error: result.message };
  }
}

/** fetch refuses URLs with a user and password: they travel as HTTP Basic credentials instead. */
function withoutUserinfo(text: string): { url: string; headers: Record<string, string> } {
  const url = new URL(text);
  if (url.username === '' && url.password === '') return { url: text, headers: {} };
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  return { url: url.toString(), headers: { authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}` } };
}
