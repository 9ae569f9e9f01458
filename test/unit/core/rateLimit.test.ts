import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultPollPolicy, nextPollDelay, pollsWhileUnfocused } from '../../../src/core/freshness';
import { describeRateLimit, isRateLimitLow, rateLimitRetryAt, toRateLimitState } from '../../../src/core/rateLimit';

const now = new Date(2026, 11, 5, 10, 0).getTime();
const at1042 = new Date(2026, 11, 5, 10, 42).getTime();

describe('rate limit in the message line', () => {
  it('says nothing while the budget is healthy', () => {
    assert.equal(describeRateLimit({ remaining: 4200, limit: 5000, resetAt: at1042 }, now), undefined);
    assert.equal(describeRateLimit(undefined, now), undefined);
  });

  it('says how many requests are left and until when, once low', () => {
    assert.equal(isRateLimitLow({ remaining: 500, limit: 5000, resetAt: at1042 }), true);
    assert.equal(isRateLimitLow({ remaining: 11, limit: 60, resetAt: at1042 }), false);
    assert.equal(isRateLimitLow({ remaining: 10, limit: 60, resetAt: at1042 }), true, 'never fewer than ten');
    assert.equal(describeRateLimit({ remaining: 42, limit: 5000, resetAt: at1042 }, now), 'GitHub: 42 of 5000 requests left until 10:42');
  });

  it('says when it will retry once spent, or when the API asked to wait (retry-after)', () => {
    assert.equal(describeRateLimit({ remaining: 0, limit: 5000, resetAt: at1042 }, now), 'GitHub rate limit reached — retrying at 10:42');
    assert.equal(rateLimitRetryAt({ remaining: 0, limit: 5000, resetAt: at1042 }, now), at1042);
    assert.equal(rateLimitRetryAt({ remaining: 3000, limit: 5000, resetAt: at1042, retryAt: now + 60_000 }, now), now + 60_000);
    assert.equal(rateLimitRetryAt({ remaining: 0, limit: 5000, resetAt: now - 1 }, now), undefined, 'the window has reset');
  });
});

describe('a rate limit as the GitHub client reports it', () => {
  it('reads ISO times and optional counts', () => {
    const reset = new Date(at1042).toISOString();
    assert.deepEqual(toRateLimitState({ remaining: 42, limit: 5000, resetAt: reset }), { remaining: 42, limit: 5000, resetAt: at1042 });
    assert.deepEqual(toRateLimitState({ remaining: 0, limit: 5000, resetAt: reset, retryAt: reset }), { remaining: 0, limit: 5000, resetAt: at1042, retryAt: at1042 });
    assert.deepEqual(toRateLimitState({ retryAt: reset }), { remaining: 0, limit: 0, resetAt: at1042, retryAt: at1042 }, 'held back by retry-after alone');
    assert.equal(toRateLimitState({}), undefined);
    assert.equal(toRateLimitState(undefined), undefined);
    assert.equal(describeRateLimit(toRateLimitState({ retryAt: reset }), now), 'GitHub rate limit reached — retrying at 10:42');
  });
});

describe('polling a rate-limited backend', () => {
  const mid = (): number => 0.5;
  const base = { focused: true, streaming: false, failures: 0, lastActionAt: undefined };

  it('GitHub polls only while the window is focused; our own servers poll slower', () => {
    assert.equal(pollsWhileUnfocused('github'), false);
    assert.equal(pollsWhileUnfocused('flightdeck'), true);
    assert.equal(pollsWhileUnfocused('aviator'), true);
    assert.equal(nextPollDelay({ ...base, focused: false, pollsWhileUnfocused: false }, now, defaultPollPolicy, mid), undefined);
    assert.equal(nextPollDelay({ ...base, focused: false, pollsWhileUnfocused: false, lastActionAt: now - 1000 }, now, defaultPollPolicy, mid), undefined);
    assert.equal(nextPollDelay({ ...base, pollsWhileUnfocused: false }, now, defaultPollPolicy, mid), 30_000);
    assert.equal(nextPollDelay({ ...base, focused: false }, now, defaultPollPolicy, mid), 300_000);
  });

  it('waits for the reset instead of spending requests on refusals, past the usual cap', () => {
    const resetIn = 45 * 60_000;
    assert.equal(nextPollDelay({ ...base, notBefore: now + resetIn }, now, defaultPollPolicy, mid), resetIn + 1000);
    assert.equal(nextPollDelay({ ...base, notBefore: now - 1000 }, now, defaultPollPolicy, mid), 30_000, 'a past reset changes nothing');
  });
});
