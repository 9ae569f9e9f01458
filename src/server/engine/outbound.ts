// The requests the engine sends out (webhook deploys, health checks), guarded where the spec check
// cannot see: the address a host name resolves to is checked when the connection is made (a name
// that resolves, or is rebound, to a link-local or cloud metadata address is never connected to),
// and a redirect is an answer, never followed (its target was checked by nobody). One request, one
// connection: no pooled socket outlives it.
import * as dns from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isRefusedAddress } from '../../api/urls';

/** How a host name becomes addresses: dns.lookup, or a test's resolver. */
export type HostLookup = LookupFunction;

export interface OutboundRequest {
  method: 'GET' | 'POST';
  /** An http(s) URL that passed `fetchableUrlProblem`, without user info (see `withoutUserinfo`). */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Aborts the request (engine shutdown). */
  signal: AbortSignal;
  timeoutMs: number;
  /** Default dns.lookup. */
  lookup?: HostLookup | undefined;
}

export type OutboundResult =
  | { kind: 'answered'; status: number; statusText: string }
  /** No answer: `problem` says why, without the URL; `refused` when the host resolved to a refused address. */
  | { kind: 'failed'; problem: string; aborted: boolean; refused: boolean };

/** A host name resolved to an address the server refuses. */
class RefusedAddressError extends Error {
  readonly code = 'EREFUSEDADDRESS';
}

/** `base`, refusing every answer that holds a link-local or cloud metadata address. */
export function guardedLookup(base: HostLookup = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    base(hostname, options, (error, address, family) => {
      if (error) {
        callback(error, address, family);
        return;
      }
      const addresses = Array.isArray(address) ? address.map((entry) => entry.address) : [address];
      const refused = addresses.find(isRefusedAddress);
      if (refused !== undefined) {
        callback(new RefusedAddressError(
          `${hostname} resolves to ${refused}, a link-local or cloud metadata address: refused`,
        ), address, family);
        return;
      }
      callback(null, address, family);
    });
  };
}

/** Sends one request and reads its status line; the body is not read. */
export function sendOnce(request: OutboundRequest): Promise<OutboundResult> {
  const url = new URL(request.url);
  const client = url.protocol === 'https:' ? https : http;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = AbortSignal.any([request.signal, timeout]);
  return new Promise((resolve) => {
    let outgoing: http.ClientRequest;
    try {
      outgoing = client.request(url, {
        method: request.method,
        headers: request.body === undefined ? request.headers : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        lookup: guardedLookup(request.lookup),
        agent: false,
        signal,
      }, (response) => {
        // The status is the answer; the body (a redirect's target page, an endless stream) is not wanted.
        response.destroy();
        resolve({ kind: 'answered', status: response.statusCode ?? 0, statusText: response.statusMessage ?? '' });
      });
    } catch (error) {
      resolve({ kind: 'failed', problem: describe(error), aborted: false, refused: false });
      return;
    }
    outgoing.on('error', (error) => {
      const refused = error instanceof RefusedAddressError;
      if (request.signal.aborted) resolve({ kind: 'failed', problem: 'interrupted', aborted: true, refused });
      else if (timeout.aborted) resolve({ kind: 'failed', problem: 'timed out', aborted: false, refused });
      else resolve({ kind: 'failed', problem: describe(error), aborted: false, refused });
    });
    outgoing.end(request.body);
  });
}

/** A redirect is reported, never followed: its target passed no check. */
export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

function describe(error: unknown): string {
  if (error instanceof RefusedAddressError) return error.message;
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}
