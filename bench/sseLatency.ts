// PATCH → SSE arrival latency, shared by the server benches: `watchers` streams on `watchUrl`, then
// `rounds` PATCHes to `patchUrl` (alternating in_progress / success of one candidate), each timed until
// its event reached every watcher. The first rounds warm up and are not counted.
import { performance } from 'node:perf_hooks';

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

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function measureEventLatency(options: EventLatencyOptions): Promise<EventLatency> {
  const headers = { authorization: `Bearer ${options.token}` };
  let roundStart = 0;
  let arrivals: number[] = [];
  let waiting: (() => void) | undefined;
  const latencies: number[] = [];
  const controllers: AbortController[] = [];
  await Promise.all(Array.from({ length: options.watchers }, async () => {
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
            if (!block.startsWith('id:')) continue;
            arrivals.push(performance.now() - roundStart);
            if (arrivals.length === options.watchers) waiting?.();
          }
        }
      } catch {
        // aborted at the end
      }
    })();
  }));
  for (let round = 0; round < options.rounds + WARM_UP_ROUNDS; round++) {
    arrivals = [];
    const all = new Promise<void>((resolve) => {
      waiting = resolve;
      setTimeout(resolve, 2000);
    });
    roundStart = performance.now();
    const response = await fetch(options.patchUrl, {
      method: 'PATCH',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ release_candidate_version: options.candidate, status: round % 2 === 0 ? 'in_progress' : 'success' }),
    });
    if (response.status !== 200) throw new Error(`PATCH failed: ${response.status} ${await response.text()}`);
    await all;
    if (arrivals.length < options.watchers) throw new Error(`round ${round}: ${arrivals.length} of ${options.watchers} watchers heard the event within 2 s`);
    if (round >= WARM_UP_ROUNDS) latencies.push(...arrivals);
  }
  for (const controller of controllers) controller.abort();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples: latencies.length };
}
