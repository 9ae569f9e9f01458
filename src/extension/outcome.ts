// What a release command returns, so that a caller (the stage panel, the tests) can tell a dismissed
// confirmation from a refusal by the server from a failure: a leaf module both sides import.
import { BackendError, describeError } from '../client/errors';

export type CommandOutcome<T = unknown> =
  | { kind: 'done'; value: T }
  | { kind: 'cancelled' }
  /** The plan or the server said no, with its reason (a 409, a freeze, a protected environment …). */
  | { kind: 'refused'; reason: string }
  /** It could not be asked or answered (network, server error, malformed answer). */
  | { kind: 'failed'; error: string };

export const cancelled: CommandOutcome<never> = { kind: 'cancelled' };

export function refused(reason: string): CommandOutcome<never> {
  return { kind: 'refused', reason };
}

/** A thrown error as an outcome: the server's refusals are `refused`, the rest `failed`. */
export function outcomeOfError(error: unknown): CommandOutcome<never> {
  if (error instanceof BackendError && ['conflict', 'forbidden', 'invalid', 'not_found', 'unauthorized'].includes(error.kind)) {
    return refused(error.message);
  }
  return { kind: 'failed', error: describeError(error) };
}

export function isCommandOutcome(value: unknown): value is CommandOutcome {
  const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
  return kind === 'done' || kind === 'cancelled' || kind === 'refused' || kind === 'failed';
}
