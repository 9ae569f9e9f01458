// The embedded server's output (fastify's pino JSON lines on stderr) turned into lines for people: one
// line per message at its own level, and the per-request logs marked as debug, so the output channel
// shows them only when asked (`flightdeck.log.level: debug`).

export type ServerLineLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ServerLine {
  level: ServerLineLevel;
  text: string;
}

interface PinoLine {
  level?: unknown;
  msg?: unknown;
  req?: { method?: unknown; url?: unknown };
  res?: { statusCode?: unknown };
  responseTime?: unknown;
  reqId?: unknown;
  err?: { message?: unknown };
}

export function parseServerLine(line: string): ServerLine {
  const trimmed = line.trim();
  let parsed: PinoLine | undefined;
  if (trimmed.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(trimmed);
      if (typeof value === 'object' && value !== null) parsed = value as PinoLine;
    } catch {
      parsed = undefined;
    }
  }
  if (!parsed) return { level: /^flightdeck: /.test(trimmed) ? 'error' : 'info', text: trimmed };
  const numeric = typeof parsed.level === 'number' ? parsed.level : 30;
  const level: ServerLineLevel = numeric >= 50 ? 'error' : numeric >= 40 ? 'warn' : numeric >= 30 ? 'info' : 'debug';
  const msg = typeof parsed.msg === 'string' ? parsed.msg : '';
  const error = typeof parsed.err?.message === 'string' && !msg.includes(parsed.err.message) ? `: ${parsed.err.message}` : '';
  if (parsed.reqId !== undefined || parsed.req !== undefined || parsed.res !== undefined) {
    // A request's own log line: for debugging only, unless the request went wrong.
    const method = typeof parsed.req?.method === 'string' ? `${parsed.req.method} ` : '';
    const url = typeof parsed.req?.url === 'string' ? parsed.req.url : '';
    const status = typeof parsed.res?.statusCode === 'number' ? ` → ${parsed.res.statusCode}` : '';
    const took = typeof parsed.responseTime === 'number' ? ` (${parsed.responseTime.toFixed(1)} ms)` : '';
    const id = typeof parsed.reqId === 'string' || typeof parsed.reqId === 'number' ? `[${parsed.reqId}] ` : '';
    const text = `${id}${msg}${method || url ? ` ${method}${url}` : ''}${status}${took}${error}`.trim();
    return { level: level === 'info' ? 'debug' : level, text };
  }
  return { level, text: `${msg}${error}` || trimmed };
}

/** The reason a server process gave for exiting, from its last lines: `flightdeck: <reason>`. */
export function exitReason(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const match = /^flightdeck: (.+)$/.exec(lines[i]?.trim() ?? '');
    if (match?.[1]) return match[1];
  }
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = parseServerLine(lines[i] ?? '');
    if (line.level === 'error' && line.text) return line.text;
  }
  return undefined;
}
