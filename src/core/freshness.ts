// How fresh the data on screen is, and when to fetch next. One policy for the tree, the status bar and
// the stage panel (DESIGN.md: stream while visible, poll with jitter while focused, back off when hidden,
// burst after the user acts). The clock and the random source are injected so it is testable.
import { formatClock } from './format';

export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

export type Freshness =
  | { kind: 'never' }
  | { kind: 'fresh'; at: number; live: boolean }
  | { kind: 'offline'; lastGoodAt: number | undefined; reason: string };

/** The view's message line: "Live", "Updated 12 s ago", "Offline — showing data from 10:42". */
export function describeFreshness(freshness: Freshness, now: number): string {
  switch (freshness.kind) {
    case 'never':
      return 'connecting…';
    case 'fresh': {
      if (freshness.live) return 'Live';
      const seconds = Math.max(0, Math.round((now - freshness.at) / 1000));
      if (seconds < 60) return `Updated ${seconds} s ago`;
      return `Updated ${Math.round(seconds / 60)} min ago`;
    }
    case 'offline':
      return freshness.lastGoodAt === undefined
        ? `Offline — ${freshness.reason}`
        : `Offline — showing data from ${formatClock(freshness.lastGoodAt)}`;
  }
}

export interface PollContext {
  /** The window has focus. */
  focused: boolean;
  /** A live event stream is delivering changes; polling is only a safety net then. */
  streaming: boolean;
  /** Consecutive failed fetches. */
  failures: number;
  /** When the user last acted (promote, rollback …), for a burst of quick refreshes after it. */
  lastActionAt: number | undefined;
}

export interface PollPolicy {
  baseSeconds: number;
  burstSeconds: number;
  burstWindowSeconds: number;
  hiddenFactor: number;
  streamingFactor: number;
  maxSeconds: number;
  jitter: number;
}

export const defaultPollPolicy: PollPolicy = {
  baseSeconds: 30,
  burstSeconds: 2,
  burstWindowSeconds: 30,
  hiddenFactor: 10,
  streamingFactor: 10,
  maxSeconds: 600,
  jitter: 0.2,
};

/** Milliseconds until the next fetch. */
export function nextPollDelay(ctx: PollContext, now: number, policy: PollPolicy = defaultPollPolicy, random: () => number = Math.random): number {
  let seconds: number;
  if (ctx.lastActionAt !== undefined && now - ctx.lastActionAt < policy.burstWindowSeconds * 1000) {
    seconds = policy.burstSeconds;
  } else {
    seconds = policy.baseSeconds;
    if (ctx.streaming) seconds *= policy.streamingFactor;
    if (!ctx.focused) seconds *= policy.hiddenFactor;
  }
  if (ctx.failures > 0) seconds = Math.max(seconds, Math.min(policy.maxSeconds, 2 ** Math.min(ctx.failures, 10)));
  seconds = Math.min(seconds, policy.maxSeconds);
  const spread = 1 + policy.jitter * (random() * 2 - 1);
  return Math.round(seconds * spread * 1000);
}
