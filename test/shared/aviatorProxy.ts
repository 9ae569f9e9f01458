// A recording proxy in front of our real server, for the Aviator-backend tests of the unit and VS Code
// tiers: it records method, path, query and body of each request, forwards it untouched and pipes the
// answer back, answering nothing itself. With AVIATOR_ENDPOINTS the tests show that the Aviator backend
// calls Aviator's five documented endpoints and nothing else.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export interface RecordingProxy {
  url: string;
  log: RecordedRequest[];
  /** Entries from index `mark` on (take `log.length` as the mark before acting). */
  since(mark: number): RecordedRequest[];
  close(): Promise<void>;
}

/** Aviator's five documented calls (API.md endpoints 1–5). */
export const AVIATOR_ENDPOINTS: ReadonlyArray<readonly [string, RegExp]> = [
  ['POST', /^\/api\/releases\/[^/]+\/releases\/[^/]+$/],
  ['POST', /^\/api\/releases\/[^/]+\/environments\/[^/]+\/deployments$/],
  ['PATCH', /^\/api\/releases\/[^/]+\/environments\/[^/]+\/deployments$/],
  ['GET', /^\/api\/releases\/[^/]+\/environments\/[^/]+\/deployments$/],
  ['POST', /^\/api\/releases\/[^/]+\/environments\/[^/]+\/rollback$/],
];

/** Which of AVIATOR_ENDPOINTS a request is, or -1. */
export function aviatorEndpointIndex(request: Pick<RecordedRequest, 'method' | 'path'>): number {
  return AVIATOR_ENDPOINTS.findIndex(([method, path]) => request.method === method && path.test(request.path));
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const log: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://proxy');
      let body: unknown;
      try {
        body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        body = raw.toString('utf8');
      }
      log.push({ method: req.method ?? '?', path: url.pathname, query: url.searchParams, body });
      const upstream = http.request(target + (req.url ?? '/'), { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      upstream.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    since: (mark) => log.slice(mark),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
