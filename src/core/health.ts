// What the engine's health checks say about an environment right now, in words shared by the tree, the
// status bar and the stage: "health check failing 2/3 · last check 12 s ago". Built from the health record
// the engine keeps on the deployment it watches (the active one, else the current one). Pure: the clock
// is a parameter, so the webview bundle can import it too.
import type { Deployment, Environment } from '../api/schemas';

export type HealthTone = 'healthy' | 'failing' | 'unchecked' | 'none';

export interface HealthSummary {
  tone: HealthTone;
  /** "health check failing 2/3", "healthy", "not checked yet"; empty when the environment has no check. */
  text: string;
  /** "last check 12 s ago"; empty before the first check. */
  lastCheck: string;
  /** The newest failure's message, when failing. */
  error: string | null;
  /** Consecutive failures and the threshold that rolls back, when failing. */
  failures: number;
  threshold: number;
  /** The deployment the health belongs to. */
  deploymentId: string | null;
}

/** The deployment whose health decides what the environment shows: the one deploying, else the live one. */
export function watchedDeployment(environment: Pick<Environment, 'active' | 'current'>): Deployment | null {
  return environment.active ?? environment.current ?? null;
}

export function summarizeHealth(environment: Pick<Environment, 'active' | 'current' | 'health_check'>, now: number): HealthSummary {
  const check = environment.health_check;
  const deployment = watchedDeployment(environment);
  const threshold = check?.failure_threshold ?? 0;
  const none: HealthSummary = { tone: 'none', text: '', lastCheck: '', error: null, failures: 0, threshold, deploymentId: deployment?.id ?? null };
  if (!check || !deployment) return none;
  const health = deployment.health;
  const lastCheck = health?.last_checked_at ? `last check ${secondsAgo(health.last_checked_at, now)}` : '';
  if (!health || health.healthy === null) {
    return { ...none, tone: 'unchecked', text: 'health not checked yet', lastCheck };
  }
  if (health.healthy) return { ...none, tone: 'healthy', text: 'healthy', lastCheck };
  return {
    ...none,
    tone: 'failing',
    text: `health check failing ${health.consecutive_failures}/${threshold}`,
    lastCheck,
    error: health.last_error,
    failures: health.consecutive_failures,
  };
}

/** "health check failing 2/3 · last check 12 s ago". */
export function healthLine(summary: HealthSummary): string {
  return [summary.text, summary.lastCheck].filter(Boolean).join(' · ');
}

/** "12 s ago", "4 min ago": exact enough for a check that runs every few seconds. */
export function secondsAgo(iso: string, now: number): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.floor(minutes / 60)} h ago`;
}

/** What makes an environment alarming to someone glancing at the status bar. */
export type EnvironmentAlarm = 'rolling_back' | 'failing';

/**
 * `rolling_back` while a rollback (manual or automatic) is deploying; `failing` while the watched
 * deployment's health checks fail (before the threshold rolls it back).
 */
export function environmentAlarm(environment: Pick<Environment, 'active' | 'current' | 'health_check'>): EnvironmentAlarm | undefined {
  const active = environment.active;
  if (active && (active.kind === 'rollback' || active.kind === 'auto_rollback')) return 'rolling_back';
  const watched = watchedDeployment(environment);
  if (environment.health_check && watched?.health?.healthy === false) return 'failing';
  return undefined;
}
