// One error type for everything a release backend can answer badly, so every caller (tree, commands,
// CLI) can say why in one sentence without knowing whether it was the network, the server or the data.
export type BackendErrorKind =
  | 'network' // nothing answered: refused, reset, DNS, timeout
  | 'unauthorized' // 401: no token or an unknown one
  | 'forbidden' // 403: the token lacks the role
  | 'not_found' // 404
  | 'conflict' // 409: a precondition failed or a deployment is already active
  | 'invalid' // other 4xx
  | 'server' // 5xx
  | 'malformed'; // the answer did not match the contract

export class BackendError extends Error {
  constructor(
    readonly kind: BackendErrorKind,
    message: string,
    readonly status?: number,
    /** For 409 on `expected_current`: what the environment runs now (null: nothing). */
    readonly current?: string | null,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

export function isBackendError(error: unknown): error is BackendError {
  return error instanceof BackendError;
}

export function kindForStatus(status: number): BackendErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status >= 500) return 'server';
  return 'invalid';
}

/** A readable sentence for any thrown value: core/errors, re-exported for the client's callers. */
export { describeError } from '../core/errors';
