// What the refresh policy (core/freshness) needs to know about the connected backend: whether it may poll
// while the window is unfocused, and until when a rate limit refuses requests. The tree and each stage
// panel ask the same question here.
import type { ReleaseBackend } from '../client/backend';
import { pollsWhileUnfocused, type PollContext } from '../core/freshness';
import { rateLimitRetryAt, toRateLimitState, type RateLimitState } from '../core/rateLimit';

/** The backend's last-known rate limit, when it has one (GitHub's `rateLimit()`). */
export function backendRateLimit(backend: ReleaseBackend | undefined): RateLimitState | undefined {
  const reader = (backend as { rateLimit?: () => unknown } | undefined)?.rateLimit;
  if (!backend || typeof reader !== 'function') return undefined;
  return toRateLimitState(reader.call(backend));
}

export function backendPollFacts(backend: ReleaseBackend | undefined, now: number): Pick<PollContext, 'pollsWhileUnfocused' | 'notBefore'> {
  if (!backend) return {};
  const notBefore = rateLimitRetryAt(backendRateLimit(backend), now);
  return { pollsWhileUnfocused: pollsWhileUnfocused(backend.kind), ...(notBefore === undefined ? {} : { notBefore }) };
}
