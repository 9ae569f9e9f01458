// Who may change an environment, given its `protected` and `frozen` flags: the one rule the server
// enforces and the clients use to offer (or explain) an action. Pure: the server passes what it read
// inside its transaction, a client what its last overview said.
import type { Role } from '../api/schemas';

/**
 * - `deploy`, `promote`, `rollback`: start a deployment (endpoints 2, 10, 5).
 * - `report`: a pipeline's status report (endpoint 3).
 * - `pause`, `resume`: hold or continue a rollout (endpoint 13).
 * - `abort`, `report_unhealthy`: stop a deployment and roll the environment back (endpoints 13 and 14);
 *   one rule, because they have one effect.
 */
export type EnvironmentAction = 'deploy' | 'promote' | 'rollback' | 'report' | 'pause' | 'resume' | 'abort' | 'report_unhealthy';

export interface GuardedEnvironment {
  name: string;
  protected: boolean;
  frozen: boolean;
}

export interface ActionCircumstances {
  /** A rollback with `force: true`: it goes through a freeze. */
  force?: boolean;
  /**
   * A report about the deployment already active in the environment (one that was started there by
   * someone allowed to), rather than one that records a new deployment: a pipeline finishing what was
   * started before the freeze, or what an admin started in a protected environment.
   */
  concernsActiveDeployment?: boolean;
}

export type Permission =
  | { allowed: true }
  /** 403: the role is not enough; 400: the environment refuses the action for anyone (frozen). */
  | { allowed: false; status: 403 | 400; reason: string };

export const ENVIRONMENT_FROZEN = 'Environment is frozen';

const ALLOWED: Permission = { allowed: true };

/** What each action is called in a refusal: "only an admin may …". */
const ADMIN_ONLY_WHAT: Readonly<Record<EnvironmentAction, string>> = {
  deploy: 'deploy, promote or roll back',
  promote: 'deploy, promote or roll back',
  rollback: 'deploy, promote or roll back',
  report: 'report a deployment that is not the active one',
  pause: 'pause or resume a rollout',
  resume: 'pause or resume a rollout',
  abort: 'abort a deployment or report it unhealthy (both roll back)',
  report_unhealthy: 'abort a deployment or report it unhealthy (both roll back)',
};

/** May a token with `role` do `action` to `environment` now? */
export function environmentPermission(
  role: Role, action: EnvironmentAction, environment: GuardedEnvironment, circumstances: ActionCircumstances = {},
): Permission {
  const finishing = action === 'report' && circumstances.concernsActiveDeployment === true;
  if (environment.protected && role !== 'admin' && !finishing) {
    return { allowed: false, status: 403, reason: `Environment ${environment.name} is protected: only an admin may ${ADMIN_ONLY_WHAT[action]}` };
  }
  if (environment.frozen && refusedWhileFrozen(action, circumstances, finishing)) {
    return { allowed: false, status: 400, reason: ENVIRONMENT_FROZEN };
  }
  return ALLOWED;
}

/**
 * A freeze stops anything new from going live. What is already under way may still finish or be
 * stopped: reports about the active deployment, pause / resume, abort and unhealthy verdicts (which
 * return to what was live before).
 */
function refusedWhileFrozen(action: EnvironmentAction, circumstances: ActionCircumstances, finishing: boolean): boolean {
  switch (action) {
    case 'deploy':
    case 'promote':
      return true;
    case 'rollback':
      return circumstances.force !== true;
    case 'report':
      return !finishing;
    case 'pause':
    case 'resume':
    case 'abort':
    case 'report_unhealthy':
      return false;
  }
}
