// What a deployment's status and kind mean, for every room: the server's state machine, the clients, the
// tree, the follower and the stage webview (pure and platform-free, so the webview bundle imports it).
// The list of terminal statuses itself is part of the contract (src/api/schemas, TERMINAL_STATUSES).
import { TERMINAL_STATUSES, type Deployment, type DeploymentStatus } from '../api/schemas';

/** A terminal status never changes again: success, failure, canceled, error. */
export function isTerminalStatus(status: DeploymentStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export function isTerminal(deployment: Pick<Deployment, 'status'>): boolean {
  return isTerminalStatus(deployment.status);
}

/** A deployment that put an earlier candidate back (asked for, or the engine's automatic one). */
export function isRollbackKind(deployment: Pick<Deployment, 'kind'>): boolean {
  return deployment.kind === 'rollback' || deployment.kind === 'auto_rollback';
}
