// A rate-limited backend's budget (GitHub's `x-ratelimit-*` headers, `retry-after`) in words for the view's
// message line, and when the next request may go: shown only when it matters (low, or spent).
import { formatClock } from './format';

export interface RateLimitState {
  /** Requests left in this window. */
  remaining: number;
  limit: number;
  /** Epoch ms when the window resets. */
  resetAt: number;
  /** Epoch ms before which the API asked not to be called again (`retry-after`, a secondary limit). */
  retryAt?: number;
}

/** Low: a tenth of the window left, and never fewer than ten requests. */
export function isRateLimitLow(state: RateLimitState): boolean {
  return state.remaining <= Math.max(10, Math.floor(state.limit / 10));
}

/** Epoch ms before which a request would be refused; undefined when one may go now. */
export function rateLimitRetryAt(state: RateLimitState | undefined, now: number): number | undefined {
  if (!state) return undefined;
  if (state.retryAt !== undefined && state.retryAt > now) return state.retryAt;
  if (state.remaining <= 0 && state.resetAt > now) return state.resetAt;
  return undefined;
}

/**
 * "GitHub rate limit reached — retrying at 10:42" when spent, "GitHub: 42 of 5000 requests left until 10:42"
 * when low, undefined otherwise (a healthy budget is not news).
 */
export function describeRateLimit(state: RateLimitState | undefined, now: number, service = 'GitHub'): string | undefined {
  if (!state) return undefined;
  const retryAt = rateLimitRetryAt(state, now);
  if (retryAt !== undefined) return `${service} rate limit reached — retrying at ${formatClock(retryAt)}`;
  if (isRateLimitLow(state) && state.resetAt > now) {
    return `${service}: ${state.remaining} of ${state.limit} requests left until ${formatClock(state.resetAt)}`;
  }
  return undefined;
}

/**
 * A backend's rate limit as it reports it (GitHub's client: optional counts, ISO times; epoch ms and Date
 * are taken too); undefined when it says nothing usable.
 */
export function toRateLimitState(value: unknown): RateLimitState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { remaining?: unknown; limit?: unknown; resetAt?: unknown; retryAt?: unknown };
  const retryAt = epochMs(v.retryAt);
  if (typeof v.remaining !== 'number' || typeof v.limit !== 'number') {
    return retryAt === undefined ? undefined : { remaining: 0, limit: 0, resetAt: retryAt, retryAt };
  }
  return { remaining: v.remaining, limit: v.limit, resetAt: epochMs(v.resetAt) ?? 0, ...(retryAt === undefined ? {} : { retryAt }) };
}

function epochMs(value: unknown): number | undefined {
  const ms = typeof value === 'number' ? value : value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}
