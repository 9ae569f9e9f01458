// The deployment status state machine of API.md: which reported moves are legal.
import { DEPLOYMENT_STATUSES, type DeploymentStatus } from '../../api/schemas';
import { isTerminalStatus } from '../../core/deploymentStatus';

const LEGAL_MOVES: Readonly<Record<DeploymentStatus, readonly DeploymentStatus[]>> = {
  pending: ['in_progress', 'canceling', 'failure', 'error'],
  in_progress: ['success', 'failure', 'canceling', 'error'],
  canceling: ['canceled'],
  unknown: DEPLOYMENT_STATUSES,
  success: [],
  failure: [],
  canceled: [],
  error: [],
};

export function isLegalMove(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return LEGAL_MOVES[from].includes(to);
}

/** core/deploymentStatus's rule, under the name the server's modules use. */
export const isTerminal = isTerminalStatus;
