// The watchers of `npm run bench:scale` (bench/scale.bench.ts), one child process holding thousands of
// event streams: it opens them, reconnects the ones that end (to any live replica, with Last-Event-ID, as
// editors do), records each event's arrival and, when asked, checks that every watcher got every event
// once and in order and reports the latencies. Started by the coordinator with fork(), driven by messages.
import { performance } from 'node:perf_hooks';
import { openRawEventStream } from './rawEventStream';

/** Wall-clock milliseconds, comparable across processes (the coordinator times the writes). */
export const now = (): number => performance.timeOrigin + performance.now();


export type ToClient =
  | {
    type: 'start'; watchers: Array<{ token: string; replica: number }>; urls: Array<string | undefined>; since: number;
    project: string; replicas: number;
    /** Arrivals later than this are tallied per event (where the late ones were). */
    lateMs: number;
  }
  | { type: 'urls'; urls: Array<string | undefined> }
  | { type: 'final'; lastId: number }
  | { type: 'report'; writtenAt: Record<number, number> };

export type FromClient =
  | { type: 'connected' }
  | { type: 'done'; reconnects: number }
  | {
    type: 'result'; failures: string[]; ids: number; cpuSeconds: number;
    /** Arrivals on streams open when the event was written, by the replica that sent them. */
    latencyByReplica: number[][];
    /** Arrivals on streams opened after the event was written: caught up on reconnecting (Last-Event-ID). */
    resumed: number[];
    /** From a stream's end to the next one's 200, per reconnect; and the attempts that failed, by why. */
    reconnectGaps: number[];
    failedAttempts: Record<string, number>;
    lateByEvent: Record<number, { late: number; maxMs: number }>;
  };

interface Watcher {
  token: string;
  replica: number;
  ids: number[];
  times: number[];
  /** When the stream that carried each event was opened. */
  openedAt: number[];
  /** When the current stream was opened (its response began). */
  streamOpenedAt: number;
  /** When its last stream ended, until another one answers 200. */
  downSince?: number | undefined;
  /** The replica each event came through. */
  via: number[];
  lastId: number;
  close?: () => void;
}

export function runClient(): void {
  let settings = { project: '', replicas: 0, lateMs: 0 };
  let urls: Array<string | undefined> = [];
  let watchers: Watcher[] = [];
  let finalId: number | undefined;
  let reconnects = 0;
  const reconnectGaps: number[] = [];
  const failedAttempts: Record<string, number> = {};
  let connected = 0;
  let doneSent = false;
  /** The report was asked for: streams closed from here on are not reopened. */
  let stopping = false;
  const send = (message: FromClient): void => { process.send?.(message); };

  const checkDone = (): void => {
    if (doneSent || finalId === undefined) return;
    if (watchers.every((w) => w.lastId >= (finalId as number))) {
      doneSent = true;
      send({ type: 'done', reconnects });
    }
  };

  const open = (watcher: Watcher, first: boolean): void => {
    // A replica that is restarting has no URL for a moment: take any live one.
    // (IPC sends a missing URL as null.)
    const live = urls.map((url, index) => ({ url, index })).filter((entry): entry is { url: string; index: number } => typeof entry.url === 'string');
    const target = first ? live.find((entry) => entry.index === watcher.replica) ?? live[0] : live[Math.floor(Math.random() * live.length)];
    if (!target) {
      setTimeout(() => open(watcher, false), 100);
      return;
    }
    watcher.replica = target.index;
    let status = 0;
    let retryMs = 1000;
    let retried = false;
    const retry = (afterMs = 200): void => {
      if (retried || stopping) return;
      retried = true;
      reconnects++;
      // Jitter, as EventSource clients do, so a replica's watchers do not all land at once.
      setTimeout(() => open(watcher, false), Math.min(afterMs, 1000) * (0.5 + Math.random()));
    };
    watcher.close = openRawEventStream(`${target.url}/api/events?project=${settings.project}`, {
      authorization: `Bearer ${watcher.token}`, 'last-event-id': String(watcher.lastId),
    }, {
      onStatus: (code) => {
        status = code;
        // The stream is open once the server answered (a connection may wait in its accept queue).
        if (code === 200) watcher.streamOpenedAt = now();
        if (code === 200 && watcher.downSince !== undefined) {
          reconnectGaps.push(now() - watcher.downSince);
          watcher.downSince = undefined;
        }
      },
      onComment: (text) => {
        if (text === 'connected' && first && status === 200) {
          first = false;
          connected++;
          if (connected === watchers.length) send({ type: 'connected' });
        }
      },
      onRetry: (ms) => { retryMs = ms; },
      onEvent: (id) => {
        if (status !== 200) return;
        watcher.ids.push(id);
        watcher.times.push(now());
        watcher.via.push(target.index);
        watcher.openedAt.push(watcher.streamOpenedAt);
        if (id > watcher.lastId) {
          watcher.lastId = id;
          if (finalId !== undefined && id >= finalId) checkDone();
        }
      },
      onEnd: (error) => {
        if (stopping) return;
        if (status === 200) watcher.downSince = now();
        else {
          const why = status === 0 ? ((error as NodeJS.ErrnoException | undefined)?.code ?? 'closed before answering') : `HTTP ${status}`;
          failedAttempts[why] = (failedAttempts[why] ?? 0) + 1;
        }
        retry(error || status !== 200 ? 200 : retryMs);
      },
    });
  };

  process.on('message', (message: ToClient) => {
    switch (message.type) {
      case 'start':
        settings = { project: message.project, replicas: message.replicas, lateMs: message.lateMs };
        urls = message.urls;
        watchers = message.watchers.map((w) => ({ ...w, ids: [], times: [], via: [], openedAt: [], streamOpenedAt: 0, lastId: message.since }));
        for (const watcher of watchers) open(watcher, true);
        return;
      case 'urls':
        urls = message.urls;
        return;
      case 'final':
        finalId = message.lastId;
        checkDone();
        return;
      case 'report': {
        stopping = true;
        const failures: string[] = [];
        const latencyByReplica: number[][] = Array.from({ length: settings.replicas }, () => []);
        const lateByEvent: Record<number, { late: number; maxMs: number }> = {};
        const resumed: number[] = [];
        const expected = Object.keys(message.writtenAt).map(Number);
        watchers.forEach((watcher, index) => {
          for (let i = 1; i < watcher.ids.length; i++) {
            if ((watcher.ids[i] as number) <= (watcher.ids[i - 1] as number)) {
              failures.push(`watcher ${index}: event ${watcher.ids[i]} after ${watcher.ids[i - 1]} (duplicate or out of order)`);
              break;
            }
          }
          const got = new Set(watcher.ids);
          const missing = expected.filter((id) => !got.has(id));
          if (missing.length > 0) failures.push(`watcher ${index}: ${missing.length} events missing (first ${missing[0]})`);
          watcher.ids.forEach((id, i) => {
            const writtenAt = message.writtenAt[id];
            if (writtenAt === undefined) return;
            const latency = (watcher.times[i] as number) - writtenAt;
            if ((watcher.openedAt[i] as number) > writtenAt) {
              resumed.push(latency);
              return;
            }
            latencyByReplica[watcher.via[i] as number]?.push(latency);
            if (latency > settings.lateMs) {
              const entry = lateByEvent[id] ?? { late: 0, maxMs: 0 };
              entry.late++;
              entry.maxMs = Math.max(entry.maxMs, latency);
              lateByEvent[id] = entry;
            }
          });
          watcher.close?.();
        });
        const cpu = process.cpuUsage();
        const result: FromClient = { type: 'result', failures: failures.slice(0, 20), latencyByReplica, ids: expected.length, cpuSeconds: (cpu.user + cpu.system) / 1e6, lateByEvent, resumed, reconnectGaps, failedAttempts };
        // Exit once the (large) result is through the channel, so that a profile asked for with
        // BENCH_CLIENT_NODE_ARGS is written; the coordinator would kill us otherwise.
        process.send?.(result, undefined, {}, () => process.exit(0));
        return;
      }
    }
  });
}

if (process.argv.includes('--watch-client')) runClient();
