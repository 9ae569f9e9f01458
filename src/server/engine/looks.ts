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
  /** The look must include a sweep. */
  sweep?: boolean;
}

interface Waiter {
  notBefore: number;
  sweep: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class QuietLookWaiters {
  private waiters: Waiter[] = [];

  wait(options: QuietLookWait = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ notBefore: options.notBefore ?? Date.now(), sweep: options.sweep ?? false, resolve, reject });
    });
  }

  looked(look: Look): void {
    if (!look.quiet || this.waiters.length === 0) return;
    const served = this.waiters.filter((w) => look.startedAt >= w.notBefore && (look.swept || !w.sweep));
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
