// Reading Aviator's answers. Flightdeck's server sends the contract's full Deployment on endpoints 1–5;
// Aviator's own documentation promises less (some answers are an empty 201, some fields are not
// documented), so a deployment is read leniently here: the fields that identify it are required, the
// rest take what the request's path or the contract's defaults say, and what comes out is always a
// complete, strict `Deployment` for the rest of the extension.
import * as z from 'zod';
import {
  DEPLOYMENT_STATUSES, DeploymentKind, Rollout, parseCandidateVersion, type Deployment, type DeploymentStatus,
} from '../api/schemas';

/** Where a deployment was asked for: fills what the answer leaves out. */
export interface WireContext {
  project: string;
  environment: string;
  /** Used for timestamps the answer does not carry, so that an age is never invented as "56 years". */
  firstSeen: (id: string) => string;
}

// `.optional()` last: zod 4 treats a key whose schema ends in a transform as required.
const loose = <T>(read: (value: unknown) => T | undefined) => z.unknown().transform(read).optional();

const looseTime = loose((value): string | undefined => {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  // A timestamp without an offset (Python's isoformat) is UTC, as Aviator's servers run.
  const text = typeof value === 'string' && /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value;
  const ms = typeof text === 'number' ? (text < 1e12 ? text * 1000 : text) : Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
});
const looseText = loose((value) => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined));
const statusSet: ReadonlySet<string> = new Set(DEPLOYMENT_STATUSES);

export const WireDeployment = z.object({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  release_candidate_version: z.string().min(1),
  status: z.string().transform((s): DeploymentStatus => (statusSet.has(s) ? (s as DeploymentStatus) : 'unknown')),
  project: looseText,
  environment_name: looseText,
  release_version: looseText,
  commit: looseText,
  from_release_version: looseText,
  from_release_candidate_version: looseText,
  kind: loose((k) => { const parsed = DeploymentKind.safeParse(k); return parsed.success ? parsed.data : undefined; }),
  actor: looseText,
  deploy_start_at: looseTime,
  created_at: looseTime,
  deploy_end_at: looseTime,
  updated_at: looseTime,
  error_message: looseText,
  rollout: loose((r) => { const parsed = Rollout.safeParse(r); return parsed.success ? parsed.data : undefined; }),
});
export type WireDeployment = z.output<typeof WireDeployment>;

/** A complete Deployment from what Aviator sent and where it was asked for. */
export function toDeployment(wire: WireDeployment, context: WireContext): Deployment {
  const start = wire.deploy_start_at ?? wire.created_at ?? wire.updated_at ?? context.firstSeen(wire.id);
  return {
    id: wire.id,
    project: wire.project ?? context.project,
    environment_name: wire.environment_name ?? context.environment,
    release_version: wire.release_version ?? parseCandidateVersion(wire.release_candidate_version)?.release ?? wire.release_candidate_version,
    release_candidate_version: wire.release_candidate_version,
    commit: (wire.commit ?? '').toLowerCase(),
    from_release_version: wire.from_release_version ?? null,
    from_release_candidate_version: wire.from_release_candidate_version ?? null,
    status: wire.status,
    kind: wire.kind ?? 'deploy',
    actor: wire.actor ?? 'aviator',
    deploy_start_at: start,
    deploy_end_at: wire.deploy_end_at ?? null,
    updated_at: wire.updated_at ?? wire.deploy_end_at ?? start,
    error_message: wire.error_message ?? null,
    rollout: wire.rollout ?? null, approval: null, candidate_blocked: null,
  };
}

/** One deployment, or undefined when the answer is not one (an empty 201, as Aviator documents). */
export function readDeployment(json: unknown, context: WireContext): Deployment | undefined {
  const parsed = WireDeployment.safeParse(json);
  return parsed.success ? toDeployment(parsed.data, context) : undefined;
}

/** A list answer (endpoint 4): a bare array. Entries that are not deployments are a malformed answer. */
export function readDeploymentList(json: unknown, context: WireContext): { deployments: Deployment[] } | { problem: string } {
  if (!Array.isArray(json)) return { problem: 'expected a JSON array of deployments' };
  const deployments: Deployment[] = [];
  for (const [index, entry] of json.entries()) {
    const parsed = WireDeployment.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { problem: `at ${[index, ...(issue?.path ?? [])].join('.')}: ${issue?.message ?? 'not a deployment'}` };
    }
    deployments.push(toDeployment(parsed.data, context));
  }
  return { deployments };
}
