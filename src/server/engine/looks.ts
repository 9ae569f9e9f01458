// Waiting for a quiet look: the engine looked at the database and found nothing to do, with nothing of
// its own still running. Whatever was due before that look began has happened by then, so a check that
// something did NOT happen (a paused rollout that stays put, a promotion that runs once) waits for a
// quiet look instead of for a guessed number of seconds.

/** One look at the database (a tick of the engine's loop). */
export interface Look {
  startedAt: number;
  /** It also swept for unscheduled work (pipeline-reported deployments, missing follow-up tasks). */
  swept: boolean;
  /** It claimed nothing, and no executor, health check or promotion of this engine was running after it. */
  quiet: boolean;
}

export interface QuietLookWait {
  /** The look must begin at or after this time (ms since the epoch); default: now. */
  notBefore?: number;
  /** A sweep must have begun (at or after `notBefore`) before the quiet look, or in it. */
  sweep?: boolean;
}

interface Waiter {
  notBefore: number;
  /** Still waiting for a sweep (a sweep and a quiet look need not be the same look: they may keep missing each other). */
  needsSweep: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class QuietLookWaiters {
  private waiters: Waiter[] = [];

  wait(options: QuietLookWait = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ notBefore: options.notBefore ?? Date.now(), needsSweep: options.sweep ?? false, resolve, reject });
    });
  }

  looked(look: Look): void {
    const due = this.waiters.filter((w) => look.startedAt >= w.notBefore);
    if (look.swept) for (const waiter of due) waiter.needsSweep = false;
    if (!look.quiet) return;
    const served = due.filter((w) => !w.needsSweep);
    this.waiters = this.waiters.filter((w) => !served.includes(w));
    for (const waiter of served) waiter.resolve();
  }

  /** The engine stopped: no look will come. */
  stopped(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) waiter.reject(new Error('The engine stopped before a quiet look'));
  }
}
