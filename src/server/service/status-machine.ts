// The deployment status state machine of API.md: which reported moves are legal.
import { DEPLOYMENT_STATUSES, TERMINAL_STATUSES, type DeploymentStatus } from '../../api/schemas';

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

export function isTerminal(status: DeploymentStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}
