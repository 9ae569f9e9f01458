// The progressive-delivery engine: one loop that claims due tasks from the database (engine_tasks) and
// runs them — rollout steps and their executors, health checks, auto-promotions — plus sweeps for work
// nobody scheduled (pipeline-reported deployments) and for stuck deployments. All timers live in the
// database, so a restarted server resumes every rollout where it stopped. With PostgreSQL, only the
// server holding the engine's advisory lock runs it; with PGlite, the one process is the engine.
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { ServerSecrets } from '../secrets';
import type { ReleaseService } from '../service/release-service';
import { isTerminal } from '../service/status-machine';
import { tryEngineLock, type EngineLock, type EngineTask, type StoreWriter } from '../store';
import { runStep, type StepOutcome } from './executors';
import type { HostLookup } from './outbound';
import { failAndRollBack, rollBackAfter, afterSuccess, stepsOf, updateAndAnnounce, watchedUntil } from './operations';
import { ENGINE_CLAIM_VARIABLE, processesWithEnvironment, stopProcesses } from './orphans';
import type { EngineLog } from './log';
import { QuietLookWaiters, type QuietLookWait } from './looks';
import { runApprovalTask } from './approvals';
import { runHealthTask, runPromoteTask, type TaskRun } from './runners';
import { applyStepsInBatch, beginStep, finishStep, type BeginResult } from './steps';
import { describeError } from '../../core/errors';


/** What the engine reports to the operator's metrics. */
export interface EngineObserver {
  /** A due task was claimed, `lagSeconds` after it was due. */
  taskClaimed(kind: EngineTask['kind'], lagSeconds: number): void;
  /** A deploy executor run ended: `applied`, `failure`, `error`, `retry` or `interrupted`. */
  executorFinished(outcome: string): void;
}

export interface EngineOptions {
  /** PostgreSQL: the engine runs only while it holds the advisory lock, taken on its own connection. */
  databaseUrl?: string | undefined;
  /** Longest sleep between two looks at the database (other servers' changes wake nobody here). */
  pollMs?: number;
  /** How often to look for unscheduled work (pipeline-reported deployments). */
  sweepMs?: number;
  /** Non-terminal this long without progress → error (API.md: 60 minutes). */
  stuckAfterMs?: number;
  /** How often a server without the engine lock tries to take it. */
  lockRetryMs?: number;
  /** How long a shutdown lets running executors finish before stopping them. */
  stopGraceMs?: number;
  /** Tasks claimed per look. */
  batchSize?: number;
  /** Shortest time between two looks: what is due within it is applied in one transaction. */
  minGapMs?: number;
  log?: EngineLog;
  observer?: EngineObserver;
  /** Kept out of commands' environments and redacted from their output (default: none known). */
  secrets?: ServerSecrets;
  /** How webhook and health-check host names resolve (default dns.lookup); tests give their own. */
  hostLookup?: HostLookup;
}

/** A step claimed this many times without finishing (the server died each time) is given up. */
export const MAX_STEP_ATTEMPTS = 2;
/** How long a previous server's still-running step command gets to stop after SIGTERM. */
const ORPHAN_GRACE_MS = 3_000;
const STUCK_SWEEP_EVERY_MS = 30_000;

const QUIET: EngineLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export class Engine {
  private readonly claim = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly pollMs: number;
  private readonly sweepMs: number;
  private readonly stuckAfterMs: number;
  private readonly lockRetryMs: number;
  private readonly stopGraceMs: number;
  private readonly batchSize: number;
  private readonly minGapMs: number;
  private readonly log: EngineLog;
  private readonly secrets: ServerSecrets;
  private running = false;
  private leader = false;
  private lock: EngineLock | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private lastTickAt = 0;
  private ticking = false;
  private wakeRequested = false;
  private lastSweep = 0;
  private lastStuckSweep = 0;
  private readonly inflight = new Set<Promise<void>>();
  /** Environments with a deploy task in hand: their next deploy task waits (one executor per environment). */
  private readonly busy = new Map<string, Promise<void>>();
  private executors = new AbortController();
  /** The running executor of each deployment: stopped when the deployment ends under it (abort, rollback). */
  private readonly executorOf = new Map<string, AbortController>();
  private checks = new AbortController();
  private unsubscribe: (() => void) | undefined;
  private unsubscribeEvents: (() => void) | undefined;
  private leadership: Promise<void> | undefined;
  private readonly quietLooks = new QuietLookWaiters();

  constructor(private readonly service: ReleaseService, private readonly options: EngineOptions = {}) {
    this.pollMs = options.pollMs ?? 200;
    this.sweepMs = options.sweepMs ?? 1_000;
    this.stuckAfterMs = options.stuckAfterMs ?? 60 * 60_000;
    this.lockRetryMs = options.lockRetryMs ?? 2_000;
    this.stopGraceMs = options.stopGraceMs ?? 5_000;
    this.batchSize = options.batchSize ?? 200;
    this.minGapMs = options.minGapMs ?? 50;
    this.log = options.log ?? QUIET;
    this.secrets = options.secrets ?? new ServerSecrets();
  }

  /** Whether this server runs the engine now (holds the lock). */
  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // A new deployment (deploy, promote, rollback; auto-promotions and auto-rollbacks too) has its first
    // step due now: look at once. The event bus carries every server's commits on a shared database, this
    // process's included. Other changes (a resume, a report) are seen within pollMs; the engine's own
    // step updates need no look.
    this.unsubscribeEvents = this.service.events.subscribe((events) => {
      if (events.some((event) => event.type === 'deployment.created')) this.wake();
    });
    // An aborted (or otherwise ended) deployment's deploy command must not run on: its result would be
    // thrown away, and the rollback it started waits for the environment's executor to be free. (Ends
    // committed by other servers are found by the sweep.)
    this.unsubscribe = this.service.onDeploymentChanged((change) => {
      if (change.type === 'updated' && isTerminal(change.deployment.status)) this.executorOf.get(change.deployment.id)?.abort();
    });
    this.leadership = this.lead();
  }

  /** Looks for due work now (after a change was committed). */
  wake(): void {
    if (!this.running || !this.leader) return;
    if (this.ticking) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  /**
   * Resolves after the next quiet look (looks.ts) that begins no earlier than `notBefore`: by then, all
   * that was due has happened. Lets a caller show that nothing more happens without waiting by the clock.
   */
  nextQuietLook(options?: QuietLookWait): Promise<void> {
    if (!this.running) return Promise.reject(new Error('The engine is not running'));
    return this.quietLooks.wait(options);
  }

  /** Stops claiming; lets executors finish for a grace period, then stops them (their steps stay resumable). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribeEvents?.();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.checks.abort();
    const grace = setTimeout(() => this.executors.abort(), this.stopGraceMs);
    try {
      await this.leadership;
      await this.drain();
    } finally {
      clearTimeout(grace);
      this.leader = false;
      await this.lock?.release();
      this.lock = undefined;
      this.quietLooks.stopped();
    }
  }

  private async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    while (this.ticking) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  // ── leadership ─────────────────────────────────────────────────────────────────────────────────

  private async lead(): Promise<void> {
    if (this.service.store.dialect === 'postgres') {
      const url = this.options.databaseUrl;
      if (!url) throw new Error('The engine needs the database URL to take its lock');
      while (this.running && !this.lock) {
        try {
          this.lock = await tryEngineLock(url);
        } catch (error) {
          this.log.warn({ err: error }, 'engine: could not try the engine lock');
        }
        if (!this.lock && this.running) await new Promise((resolve) => setTimeout(resolve, this.lockRetryMs));
      }
      if (!this.lock) return;
      if (!this.running) {
        await this.lock.release();
        this.lock = undefined;
        return;
      }
      void this.lock.lost.then((error) => this.demote(error));
    }
    this.leader = true;
    this.log.info({ claim: this.claim }, 'engine: running');
    await this.reconcile();
    this.schedule(0);
  }

  /** The lock's connection broke: another server may take over, so stop everything at once. */
  private demote(error: Error): void {
    if (!this.leader || !this.running) return;
    this.log.warn({ err: error }, 'engine: lost the engine lock; stopping');
    this.leader = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.executors.abort();
    this.checks.abort();
    this.lock = undefined;
    void this.drain().then(() => {
      if (!this.running) return;
      this.executors = new AbortController();
      this.checks = new AbortController();
      this.leadership = this.lead();
    });
  }

  /**
   * Tasks a previous engine left running. Health checks and promotions run again (harmless: a
   * promotion commits with its task). A step's executor call was recorded as started but not as
   * finished: it is run again once (FLIGHTDECK_ATTEMPT=2: deploy commands must be idempotent, as
   * "set traffic to P %" is); interrupted a second time, the deployment errors and rolls back.
   */
  private async reconcile(): Promise<void> {
    const left = await this.service.store.write((w) => w.engine.runningTasks());
    // Before a step runs again, what is left of its first attempt stops (see orphans.ts).
    for (const task of left) if (task.kind === 'deploy' && task.claim) await this.stopOrphanedCommands(task.deploymentId, task.claim);
    for (const task of left) {
      await this.service.store.write(async (w) => {
        const at = new Date();
        const env = await w.engine.lockEnvironmentById(task.environmentId);
        const locked = await w.engine.lockTask(task.deploymentId, task.kind);
        if (!env || !locked || locked.state !== 'running' || locked.claim !== task.claim) return;
        const deployment = (await w.engine.deploymentById(task.deploymentId))?.deployment;
        if (task.kind !== 'deploy' || !deployment || isTerminal(deployment.status) || locked.attempts < MAX_STEP_ATTEMPTS) {
          await w.engine.updateTask(locked.id, { state: 'scheduled', dueAt: at, claim: null, note: `reclaimed after ${locked.claim ?? 'a stopped engine'}` }, at);
          if (task.kind === 'deploy') this.log.warn({ deployment: task.deploymentId, step: locked.step, attempt: locked.attempts + 1 }, 'engine: re-running an interrupted step');
          return;
        }
        const step = stepsOf(deployment)[locked.step];
        await failAndRollBack(w, env, deployment, 'error',
          `The server stopped ${locked.attempts} times while applying step ${locked.step + 1} (${step?.percent ?? 100}%); its outcome is unknown`, at);
        this.log.error({ deployment: deployment.id }, 'engine: a step was interrupted twice; the deployment errors');
      });
    }
  }

  private async stopOrphanedCommands(deploymentId: string, claim: string): Promise<void> {
    const pids = await processesWithEnvironment({ [ENGINE_CLAIM_VARIABLE]: claim, FLIGHTDECK_DEPLOYMENT_ID: deploymentId });
    if (pids.length === 0) return;
    this.log.warn({ deployment: deploymentId, pids, claim }, 'engine: stopping the interrupted step\'s command, still running from the previous server');
    await stopProcesses(pids, ORPHAN_GRACE_MS);
  }

  // ── the loop ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Arms the next look, unless one is armed for earlier (a stream of commits must not postpone it),
   * and never sooner than minGapMs after the last one began: steps due close together share a batch.
   */
  private schedule(delayMs: number): void {
    if (!this.running || !this.leader) return;
    const now = Date.now();
    const at = Math.max(now + Math.max(0, delayMs), this.lastTickAt + this.minGapMs);
    delayMs = at - now;
    if (this.timer !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, Math.max(0, delayMs));
  }

  private async tick(): Promise<void> {
    if (!this.running || !this.leader || this.ticking) return;
    this.ticking = true;
    this.wakeRequested = false;
    this.lastTickAt = Date.now();
    let delay = this.pollMs;
    const look = { startedAt: this.lastTickAt, swept: false, quiet: false };
    try {
      const now = Date.now();
      if (now - this.lastSweep >= this.sweepMs) {
        this.lastSweep = now;
        await this.sweep(new Date(now));
        look.swept = true;
      }
      const { tasks, executors, nextDue, claimedAny } = await this.service.store.write(async (w) => {
        const at = new Date();
        const busy = [...this.busy.keys()];
        // Environments first, then tasks: the order every other transaction locks them in.
        await w.engine.lockEnvironmentsById(await w.engine.dueDeployEnvironments(at, this.batchSize, busy));
        const claimed = await w.engine.claimDue(at, this.batchSize, this.claim, busy);
        for (const task of claimed) {
          if (task.dueAt) this.options.observer?.taskClaimed(task.kind, (at.getTime() - task.dueAt.getTime()) / 1000);
        }
        // Deploy steps begin in this same transaction (one commit for the whole batch): a step without
        // an executor is applied right here; a step with one is recorded as started, and its executor
        // runs once this commits. One step per environment per batch; a second one waits its turn.
        const run: Array<{ task: EngineTask; begun: Extract<BeginResult, { action: 'run' }> }> = [];
        const others: EngineTask[] = [];
        const steps: EngineTask[] = [];
        const environments = new Set<string>();
        for (const task of claimed) {
          if (task.kind !== 'deploy') {
            others.push(task);
          } else if (environments.has(task.environmentId)) {
            await w.engine.updateTask(task.id, { state: 'scheduled', claim: null, dueAt: at, attempts: Math.max(0, task.attempts - 1) }, at);
          } else {
            environments.add(task.environmentId);
            steps.push(task);
          }
        }
        for (const task of await applyStepsInBatch(w, steps, at)) {
          const begun = await beginStep(w, task, this.claim, at);
          if (begun.action === 'run') run.push({ task, begun });
        }
        return { tasks: others, executors: run, nextDue: await w.engine.nextDueAt(), claimedAny: claimed.length > 0 };
      });
      look.quiet = !claimedAny && this.inflight.size === 0;
      for (const { task, begun } of executors) this.dispatchExecutor(task, begun);
      for (const task of tasks) this.dispatch(task);
      if (tasks.length + executors.length >= this.batchSize) delay = 0;
      else if (nextDue) delay = Math.min(this.pollMs, nextDue.getTime() - Date.now());
    } catch (error) {
      if (this.running) this.log.error({ err: error }, 'engine: a look at the database failed');
    } finally {
      this.ticking = false;
    }
    this.quietLooks.looked({ ...look, quiet: look.quiet && !this.wakeRequested });
    if (this.wakeRequested) delay = 0;
    this.schedule(delay);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      if (this.running) this.log.error({ err: error }, 'engine: a task failed');
    }).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  /** Runs a begun step's executor; its environment takes no other deploy task meanwhile. */
  private dispatchExecutor(task: EngineTask, begun: Extract<BeginResult, { action: 'run' }>): void {
    const run = this.runExecutor(task, begun);
    const settled: Promise<void> = run.then(() => undefined, () => undefined).finally(() => {
      if (this.busy.get(task.environmentId) === settled) this.busy.delete(task.environmentId);
      this.wake();
    });
    this.busy.set(task.environmentId, settled);
    this.track(run);
  }

  private dispatch(task: EngineTask): void {
    switch (task.kind) {
      case 'deploy':
        return; // begun in the claiming transaction (tick)
      case 'health':
        this.track(runHealthTask(this.taskRun(), task));
        return;
      case 'promote':
        this.track(runPromoteTask(this.taskRun(), task));
        return;
      case 'approval':
        this.track(runApprovalTask(this.taskRun(), task));
        return;
    }
  }

  // ── deploy steps ───────────────────────────────────────────────────────────────────────────────

  private async runExecutor(task: EngineTask, begun: Extract<BeginResult, { action: 'run' }>): Promise<void> {
    let outcome: StepOutcome;
    const ended = new AbortController();
    this.executorOf.set(begun.deployment.id, ended);
    try {
      outcome = await runStep({
        env: begun.env, deployment: begun.deployment, percent: begun.percent, attempt: begun.attempt, delivery: begun.delivery,
        signal: AbortSignal.any([this.executors.signal, ended.signal]), engineClaim: this.claim, secrets: this.secrets,
        hostLookup: this.options.hostLookup,
      });
    } catch (error) {
      outcome = { kind: 'failed', status: 'error', message: `The executor failed: ${describeError(error)}` };
    } finally {
      if (this.executorOf.get(begun.deployment.id) === ended) this.executorOf.delete(begun.deployment.id);
    }
    this.options.observer?.executorFinished(outcome.kind === 'failed' ? outcome.status : outcome.kind);
    // Stopped because its deployment ended: finishStep sees the terminal status and closes the task.
    if (outcome.kind === 'interrupted' && !this.leader) return; // the next engine reconciles it
    await this.service.store.write((w) => finishStep(w, task, this.claim, outcome, new Date()));
  }

  private taskRun(): TaskRun {
    return { service: this.service, claim: this.claim, checks: this.checks.signal, log: this.log, secrets: this.secrets,
      hostLookup: this.options.hostLookup };
  }

  // ── sweeps ─────────────────────────────────────────────────────────────────────────────────────

  /** Work nobody scheduled: deployments a pipeline reports (endpoint 3), and stuck ones. */
  private async sweep(now: Date): Promise<void> {
    const store = this.service.store;
    const running = [...this.executorOf.keys()];
    const found = await store.write(async (w) => ({
      endedUnderExecutor: await endedAmong(w, running),
      active: await w.engine.unwatchedActiveDeployments(100),
      // Current deployments that ended within the longest watch an environment may ask for.
      recent: await w.engine.recentCurrentDeployments(new Date(now.getTime() - 31 * 24 * 3600_000)),
      ended: await w.engine.openTasksOfEndedDeployments(100),
    }));
    for (const id of found.endedUnderExecutor) this.executorOf.get(id)?.abort();
    for (const id of found.active) {
      await store.write((w) => w.engine.insertTask(id, 'health', { state: 'scheduled', dueAt: now }, now));
    }
    for (const recent of found.recent) {
      if (now >= watchedUntil(recent.environment, recent.endedAt)) continue;
      if ((recent.environment.spec.health_check && !recent.hasHealth) || (recent.environment.spec.auto_promote && !recent.hasPromote)) {
        await store.write(async (w) => {
          const deployment = (await w.engine.deploymentById(recent.deploymentId))?.deployment;
          if (deployment?.status === 'success') await afterSuccess(w, recent.environment, deployment, now);
        });
      }
    }
    for (const { task } of found.ended) await this.settleEnded(task);
    if (now.getTime() - this.lastStuckSweep >= STUCK_SWEEP_EVERY_MS) {
      this.lastStuckSweep = now.getTime();
      await this.sweepStuck(now);
    }
  }

  /** A waiting (webhook) or paused deploy task whose deployment ended: a reported failure rolls back. */
  private async settleEnded(task: EngineTask): Promise<void> {
    await this.service.store.write(async (w) => {
      const at = new Date();
      const env = await w.engine.lockEnvironmentById(task.environmentId);
      const locked = await w.engine.lockTask(task.deploymentId, 'deploy');
      const deployment = (await w.engine.deploymentById(task.deploymentId))?.deployment;
      if (!env || !locked || !deployment || (locked.state !== 'waiting' && locked.state !== 'paused') || !isTerminal(deployment.status)) return;
      await w.engine.updateTask(locked.id, { state: 'done', claim: null, dueAt: null, note: `deployment ended ${deployment.status}` }, at);
      if (locked.state !== 'waiting') return;
      if (deployment.status === 'success') await afterSuccess(w, env, deployment, at);
      else if (deployment.status === 'failure' || deployment.status === 'error') {
        await w.engine.finishTasks(deployment.id, ['health', 'promote'], `deployment ended ${deployment.status}`, at);
        await rollBackAfter(w, env, deployment, at);
      }
    });
  }

  /** Non-terminal for `stuckAfterMs` without progress (and not held by the engine) → error, in one transaction. */
  async sweepStuck(now: Date): Promise<string[]> {
    const cutoff = new Date(now.getTime() - this.stuckAfterMs);
    const minutes = Math.round(this.stuckAfterMs / 60_000);
    return this.service.store.write(async (w: StoreWriter) => {
      const ids = await w.engine.stuckDeployments(cutoff, 100);
      if (ids.length === 0) return [];
      const found = await w.engine.deploymentsById(ids);
      const byEnvironment = new Map<string, string>();
      for (const id of ids) {
        const located = await w.engine.deploymentById(id);
        if (located) byEnvironment.set(id, located.environmentId);
      }
      const envs = await w.engine.lockEnvironmentsById([...new Set(byEnvironment.values())]);
      const after = await w.engine.deploymentsById(ids);
      const errored: string[] = [];
      const at = new Date();
      for (const id of ids) {
        const env = envs.get(byEnvironment.get(id) ?? '');
        const deployment = after.get(id) ?? found.get(id);
        if (!env || !deployment || isTerminal(deployment.status) || new Date(deployment.updated_at) >= cutoff) continue;
        await updateAndAnnounce(w, env, id, {
          status: 'error', endAt: at, errorMessage: `No progress for ${minutes} minutes: the deployment was marked as errored`,
        }, at);
        await w.engine.finishTasks(id, ['deploy', 'health', 'promote'], 'stuck', at);
        errored.push(id);
      }
      return errored;
    });
  }
}

/**
 * Which of these deployments have ended (one a step's executor still runs for here). An end through
 * another server on the same database fires no change event in this process: the sweep finds it.
 */
async function endedAmong(w: StoreWriter, deploymentIds: readonly string[]): Promise<string[]> {
  const ended: string[] = [];
  for (const id of deploymentIds) {
    const status = (await w.engine.deploymentById(id))?.deployment.status;
    if (status !== undefined && isTerminal(status)) ended.push(id);
  }
  return ended;
}
