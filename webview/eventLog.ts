// The stage's event log: the events seen live under names people say ("Health check failing", not
// `deployment.updated`), and — so a panel never opens on an empty log — the environment's recent
// deployments from before them. Pure, like state.ts.
import type { Deployment, ReleaseEvent } from '../src/api/schemas';
import { eventTitle } from '../src/core/eventText';
import { formatDateTime, humanize } from '../src/core/format';
import { describeEvent, isTerminal } from './state';

export interface LogEntry {
  key: string;
  /** ISO time of the event (or of the deployment, for history from before the panel opened). */
  at: string;
  /** "Health check failing", "Automatic rollback": never the wire name. */
  title: string;
  text: string;
  tone: 'ok' | 'bad' | 'neutral';
  /** The event's type; undefined for an entry from the deployment history. */
  type: ReleaseEvent['type'] | undefined;
}

/**
 * The event log: the events seen live, newest first, then — so a panel never opens on an empty log — the
 * environment's recent deployments from before the first of them (each once, by its latest state).
 */
export function logEntries(log: readonly ReleaseEvent[], history: readonly Deployment[], limit: number, failureThreshold?: number): LogEntry[] {
  // A deployment's previous state, to tell a health check's verdict from a change of status.
  const before = new Map<number, Deployment>();
  const last = new Map<string, Deployment>();
  for (const event of [...log].sort((a, b) => a.id - b.id)) {
    const d = event.data.deployment;
    if (!d) continue;
    const previous = last.get(d.id);
    if (previous) before.set(event.id, previous);
    last.set(d.id, d);
  }
  const entries: LogEntry[] = log.slice(0, limit).map((event) => {
    const health = healthChange(before.get(event.id), event, failureThreshold);
    return {
      key: `e${event.id}`,
      at: event.data.at,
      title: health?.title ?? eventTitle(event),
      text: health?.text ?? describeEvent(event),
      tone: health?.tone ?? toneOf(event.data.deployment),
      type: event.type,
    };
  });
  const seen = new Set(log.map((e) => e.data.deployment?.id).filter((id): id is string => id !== undefined));
  const oldest = log.length > 0 ? Math.min(...log.map((e) => Date.parse(e.data.at))) : Number.POSITIVE_INFINITY;
  for (const d of history) {
    if (entries.length >= limit) break;
    const at = d.deploy_end_at ?? d.updated_at;
    if (seen.has(d.id) || !(Date.parse(at) < oldest)) continue;
    const type = isTerminal(d) ? 'deployment.updated' : 'deployment.created';
    entries.push({
      key: `d${d.id}`,
      at,
      title: eventTitle({ type, data: { project: d.project, environment: d.environment_name, deployment: d, at } }),
      text: `${humanize(d.kind)} of ${d.release_candidate_version} by ${d.actor}${d.from_release_candidate_version ? ` (replaced ${d.from_release_candidate_version})` : ''}${d.error_message ? ` — ${d.error_message}` : ''}`,
      tone: toneOf(d),
      type: undefined,
    });
  }
  return entries;
}

/** An update that changed only the health record: the check's verdict, in words. */
function healthChange(previous: Deployment | undefined, event: ReleaseEvent, threshold: number | undefined): Pick<LogEntry, 'title' | 'text' | 'tone'> | undefined {
  const d = event.data.deployment;
  if (event.type !== 'deployment.updated' || !d?.health || d.health.healthy === null) return undefined;
  if (previous && (previous.status !== d.status || JSON.stringify(previous.health) === JSON.stringify(d.health))) return undefined;
  // Without the state before, only a failing verdict is sure to be the check's (a status change can carry a passing one).
  if (!previous && d.health.healthy) return undefined;
  if (d.health.healthy) return { title: 'Health check passed', text: `${d.release_candidate_version} in ${d.environment_name} is healthy`, tone: 'ok' };
  const count = `${d.health.consecutive_failures}${threshold ? `/${threshold}` : ''}`;
  return {
    title: 'Health check failing',
    text: `${d.release_candidate_version} in ${d.environment_name}: failing ${count}${d.health.last_error ? ` — ${d.health.last_error}` : ''}`,
    tone: 'bad',
  };
}

function toneOf(d: Deployment | undefined): LogEntry['tone'] {
  if (!d) return 'neutral';
  if (d.status === 'failure' || d.status === 'error' || d.health?.healthy === false) return 'bad';
  return d.status === 'success' ? 'ok' : 'neutral';
}

/** "10:42:07" for today, "11-21 10:42" for older: the log reaches back past today when it shows history. */
export function logClock(iso: string, now: number): string {
  const full = formatDateTime(iso);
  return formatDateTime(new Date(now).toISOString()).slice(0, 10) === full.slice(0, 10) ? full.slice(11) : full.slice(5, 16);
}
