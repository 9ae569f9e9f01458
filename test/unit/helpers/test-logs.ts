// The logs of a whole test run, for scripts/test-logs.mjs to search for tokens: when the runner sets
// FLIGHTDECK_TEST_LOG_DIR, test servers log there (at debug, more than an operator's default) and the
// literal secrets they were given (admin tokens have no fixed shape) are listed beside the logs.
import * as fs from 'node:fs';
import * as path from 'node:path';

let files = 0;
const recorded = new Set<string>();

export function testLogDir(): string | undefined {
  return process.env.FLIGHTDECK_TEST_LOG_DIR || undefined;
}

/** Lists a secret that must never appear in a log of the run (no-op outside the runner). */
export function recordSecret(value: string | undefined): void {
  const dir = testLogDir();
  if (!dir || !value || recorded.has(value)) return;
  recorded.add(value);
  fs.appendFileSync(path.join(dir, `secrets-${process.pid}.txt`), `${value}\n`);
}

/** A new log file of this process in the run's log directory, or undefined outside the runner. */
export function testLogPath(kind: string): string | undefined {
  const dir = testLogDir();
  return dir ? path.join(dir, `${kind}-${process.pid}-${++files}.log`) : undefined;
}

/**
 * A stream for a server's logger that appends to a new log file of the run: written synchronously, so
 * a test process that ends (or crashes) loses no line.
 */
export function testLogStream(kind: string): NodeJS.WritableStream | undefined {
  const file = testLogPath(kind);
  if (!file) return undefined;
  const write = (chunk: string | Uint8Array): boolean => {
    fs.appendFileSync(file, chunk);
    return true;
  };
  return { write } as unknown as NodeJS.WritableStream;
}
