// What every bench prints for `npm run bench` (bench/run.ts) to collect: one `BENCH-RESULT {json}` line per
// figure, with the goal it is held to and whether it was met, and the machine it was measured on (core
// count and load average), which each bench also prints beside its figures.
import * as os from 'node:os';

export interface BenchResult {
  /** Which bench measured it (its npm script's name after `bench:`). */
  bench: string;
  /** What was measured, in words. */
  what: string;
  /** The figure, with its unit. */
  figure: string;
  /** The goal, or '' when the figure is only reported. */
  goal: string;
  /** Whether the goal was met; null when there is no goal. */
  met: boolean | null;
  machine?: string;
}

export const RESULT_PREFIX = 'BENCH-RESULT ';

/** "2 cores, load average 3.10 2.05 1.20" (1, 5 and 15 minutes). */
export function machine(): string {
  return `${os.availableParallelism()} cores, load average ${os.loadavg().map((load) => load.toFixed(2)).join(' ')}`;
}

export function reportResult(result: BenchResult): void {
  console.log(`${RESULT_PREFIX}${JSON.stringify({ ...result, machine: result.machine ?? machine() })}`);
}

export function parseResultLine(line: string): BenchResult | undefined {
  const at = line.indexOf(RESULT_PREFIX);
  if (at < 0) return undefined;
  return JSON.parse(line.slice(at + RESULT_PREFIX.length)) as BenchResult;
}

/** p-th percentile of ascending samples (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}
