// The real clock and timers that the core's refresh schedule (core/freshness PollSchedule) is given here;
// the unit tests give it fake ones.
import type { Clock, Timers } from '../core/freshness';

export const wallClock: Clock = { now: () => Date.now() };

export const nodeTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
