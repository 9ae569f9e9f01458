// PATCH → SSE arrival latency, shared by the server benches: `watchers` streams on `watchUrl`, then
// `rounds` PATCHes to `patchUrl` (alternating in_progress / success of one candidate), each timed until
// its event reached every watcher. The first rounds warm up and are not counted.
//
// Every arrival is matched to its round and its watcher: a round's event is the one whose deployment has
// the id and status the PATCH answered. Each watcher must hear each round's event exactly once; a round's
// event missing at any watcher (within 2 s), heard twice, or any other event of that environment (a late
// duplicate of an earlier round) fails the bench. One more round after the last counted one makes sure a
// duplicate of the last one would be seen too (a stream delivers in order). The watchers read every event
// and keep those of the PATCHed project and environment.
import { performance } from 'node:perf_hooks';
import { percentile } from './report';

export { percentile };

export interface EventLatencyOptions {
  /** The server whose /api/events the watchers read. */
  watchUrl: string;
  /** The deployments URL of one environment, on whichever server takes the PATCH. */
  patchUrl: string;
  candidate: string;
  token: string;
  watchers: number;
  rounds: number;
}

export interface EventLatency {
  p50: number;
  p99: number;
  samples: number;
}

const WARM_UP_ROUNDS = 10;
const ROUND_TIMEOUT_MS = 2000;

interface Arrival {
  /** `<deployment id>/<status>`, or the event type for an event without a deployment. */
  key: string;
  at: number;
}

/** project and environment of `…/api/releases/{project}/environments/{environment}/deployments`. */
function patchTarget(patchUrl: string): { project: string; environment: string } {
  const match = /\/api\/releases\/([^/]+)\/environments\/([^/]+)\/deployments$/.exec(new URL(patchUrl).pathname);
  if (!match?.[1] || !match[2]) throw new Error(`not a deployments URL: ${patchUrl}`);
  return { project: decodeURIComponent(match[1]), environment: decodeURIComponent(match[2]) };
}

export async function measureEventLatency(options: EventLatencyOptions): Promise<EventLatency> {
  const headers = { authorization: `Bearer ${options.token}` };
  const target = patchTarget(options.patchUrl);
  const heard: Arrival[][] = Array.from({ length: options.watchers }, () => []);
  let changed: (() => void) | undefined;
  let streamError: Error | undefined;
  const latencies: number[] = [];
  const controllers: AbortController[] = [];
  await Promise.all(heard.map(async (arrivals) => {
    const controller = new AbortController();
    controllers.push(controller);
    const response = await fetch(`${options.watchUrl}/api/events`, { headers, signal: controller.signal });
    const reader = response.body?.getReader();
    if (!reader) throw new Error('no event stream');
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const at = performance.now();
            const field = (name: string): string | undefined => block.split('\n').find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1).trim();
            const data = field('data');
            if (data === undefined) continue; // a keep-alive comment
            const event = JSON.parse(data) as { project?: string; environment?: string | null; deployment?: { id: string; status: string } };
            if (event.project !== target.project || event.environment !== target.environment) continue;
            arrivals.push({ key: event.deployment ? `${event.deployment.id}/${event.deployment.status}` : field('event') ?? '?', at });
            changed?.();
          }
        }
      } catch (error) {
        // Aborted at the end; anything else fails the round that waits for this watcher.
        if (!controller.signal.aborted) streamError ??= error instanceof Error ? error : new Error(String(error));
        changed?.();
      }
    })();
  }));

  try {
    return await measureRounds(options, heard, latencies, (listener) => { changed = listener; }, () => streamError);
  } finally {
    // Also when a round failed: open streams would keep the server from closing.
    for (const controller of controllers) controller.abort();
  }
}

async function measureRounds(
  options: EventLatencyOptions, heard: Arrival[][], latencies: number[],
  onChange: (listener: (() => void) | undefined) => void, streamFailure: () => Error | undefined,
): Promise<EventLatency> {
  const headers = { authorization: `Bearer ${options.token}` };
  const usedKeys = new Set<string>();
  // At least one round after the counted ones, and an even count: the environment is left with a finished
  // deployment, so that the next measurement's first in_progress starts a new one (and has an event).
  const totalRounds = 2 * Math.ceil((WARM_UP_ROUNDS + options.rounds + 1) / 2);
  for (let round = 0; round < totalRounds; round++) {
    const roundStart = performance.now();
    const response = await fetch(options.patchUrl, {
      method: 'PATCH',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ release_candidate_version: options.candidate, status: round % 2 === 0 ? 'in_progress' : 'success' }),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`PATCH failed: ${response.status} ${text}`);
    const deployment = JSON.parse(text) as { id: string; status: string };
    const key = `${deployment.id}/${deployment.status}`;
    if (usedKeys.has(key)) throw new Error(`round ${round}: the PATCH answered ${key} again, so its event could not be told from an earlier round's`);
    usedKeys.add(key);

    const everyoneHeard = (): boolean => heard.every((arrivals) => arrivals.some((a) => a.key === key));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        onChange(undefined);
        const missing = heard.filter((arrivals) => !arrivals.some((a) => a.key === key)).length;
        reject(new Error(`round ${round}: ${missing} of ${options.watchers} watchers did not hear ${key} within ${ROUND_TIMEOUT_MS} ms (the first heard: ${heard[0]?.map((a) => a.key).join(", ") || "nothing"})`));
      }, ROUND_TIMEOUT_MS);
      const listener = (): void => {
        const failure = streamFailure();
        if (failure) {
          clearTimeout(timer);
          onChange(undefined);
          reject(new Error(`round ${round}: a watcher's stream failed: ${failure.message}`));
          return;
        }
        if (!everyoneHeard()) return;
        clearTimeout(timer);
        onChange(undefined);
        resolve();
      };
      onChange(listener);
      listener();
    });
    for (const [watcher, arrivals] of heard.entries()) {
      const mine = arrivals.filter((a) => a.key === key);
      const others = arrivals.filter((a) => a.key !== key);
      if (mine.length !== 1) throw new Error(`round ${round}: watcher ${watcher} heard ${key} ${mine.length} times`);
      if (others.length > 0) throw new Error(`round ${round}: watcher ${watcher} heard ${others.map((a) => a.key).join(', ')} besides ${key} (a duplicate or a stray event)`);
      const counted = round >= WARM_UP_ROUNDS && round < WARM_UP_ROUNDS + options.rounds;
      if (counted) latencies.push((mine[0] as Arrival).at - roundStart);
      arrivals.length = 0;
    }
  }
  latencies.sort((a, b) => a - b);
  if (latencies.length !== options.rounds * options.watchers) throw new Error(`${latencies.length} arrivals counted, ${options.rounds * options.watchers} expected`);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples: latencies.length };
}
