// GitHub's REST transport for the GitHub backend: conditional requests (If-None-Match with the last
// ETag, so an unchanged poll is a 304 that costs no rate limit) and GitHub's rate limits
// (x-ratelimit-remaining / x-ratelimit-reset, retry-after): once exhausted, every request fails fast
// with the time it will be retried, and nothing is sent before then. Tokens go only into the
// Authorization header: never into an error, a cache key or a log.
import { BackendError, kindForStatus } from './errors';
import { networkReason, parseJson } from './http';

/** One remembered GET answer: what GitHub sent with its ETag (and its Link header, for pagination). */
export interface CachedResponse {
  etag: string;
  body: string;
  link?: string;
}

/** Where ETags and bodies live between requests: in memory by default, on disk for the CLI. */
export interface ConditionalRequestCache {
  get(key: string): CachedResponse | undefined | Promise<CachedResponse | undefined>;
  set(key: string, value: CachedResponse): void | Promise<void>;
}

export class MemoryConditionalCache implements ConditionalRequestCache {
  private readonly entries = new Map<string, CachedResponse>();
  constructor(private readonly maxEntries = 2000) {}
  get(key: string): CachedResponse | undefined {
    return this.entries.get(key);
  }
  set(key: string, value: CachedResponse): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    // Oldest first out: a long session polls a bounded set of URLs, but repositories come and go.
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}

/** The last rate-limit state GitHub reported, or when it said to retry after a 403/429. */
export interface GitHubRateLimit {
  remaining?: number;
  limit?: number;
  /** When the window resets (ISO time). */
  resetAt?: string;
  /** Set while requests are held back: nothing is sent before this time (ISO). */
  retryAt?: string;
}

export interface GitHubAnswer {
  status: number;
  json: unknown;
  link: string | undefined;
  /** Whether the body came from the cache after a 304. */
  notModified: boolean;
}

export interface GitHubTransportOptions {
  apiUrl: string;
  token: () => Promise<string | undefined> | string | undefined;
  cache: ConditionalRequestCache;
  now: () => number;
  timeoutMs: number;
}

export class GitHubTransport {
  readonly apiUrl: string;
  private limits: GitHubRateLimit | undefined;
  private blockedUntil = 0;

  constructor(private readonly options: GitHubTransportOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
  }

  rateLimit(): GitHubRateLimit | undefined {
    if (!this.limits) return undefined;
    const held = this.blockedUntil > this.options.now();
    const { retryAt: _stale, ...limits } = this.limits;
    return held ? { ...limits, retryAt: new Date(this.blockedUntil).toISOString() } : limits;
  }

  /** `path` is relative to the API root (`/repos/…`) or an absolute URL GitHub sent (a Link). */
  async request(method: string, path: string, body?: unknown): Promise<GitHubAnswer> {
    const now = this.options.now();
    if (this.blockedUntil > now) throw this.rateLimitedError();
    const url = path.startsWith('http://') || path.startsWith('https://') ? path : `${this.apiUrl}${path}`;
    const headers: Record<string, string> = {
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': '2022-11-28',
    };
    let token: string | undefined;
    try {
      token = await this.options.token();
    } catch (error) {
      // A sign-in that failed or was dismissed: say so, as a refused token would.
      throw new BackendError('unauthorized', `No GitHub token: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    const cached = method === 'GET' ? await this.options.cache.get(url) : undefined;
    if (cached) headers['If-None-Match'] = cached.etag;
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method, headers, body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new BackendError('network', `Cannot reach GitHub at ${this.apiUrl}: ${networkReason(error)}`);
    }
    this.noteLimits(response);
    const link = response.headers.get('link') ?? undefined;
    if (response.status === 304 && cached) {
      return { status: 200, json: parseJson(cached.body), link: cached.link, notModified: true };
    }
    if (response.status === 429 || (response.status === 403 && this.isRateLimit(response))) {
      const retryAfter = Number(response.headers.get('retry-after'));
      const resetMs = (this.limits?.resetAt ? Date.parse(this.limits.resetAt) : NaN);
      this.blockedUntil = Number.isFinite(retryAfter) && retryAfter > 0
        ? this.options.now() + retryAfter * 1000
        : Number.isFinite(resetMs) ? resetMs : this.options.now() + 60_000;
      throw this.rateLimitedError(response.status);
    }
    const json = parseJson(text);
    if (response.status >= 400) {
      const said = (json as { message?: unknown } | undefined)?.message;
      throw new BackendError(kindForStatus(response.status), describeStatus(response.status, typeof said === 'string' ? said : undefined), response.status);
    }
    const etag = response.headers.get('etag');
    if (method === 'GET' && etag) await this.options.cache.set(url, { etag, body: text, ...(link ? { link } : {}) });
    return { status: response.status, json, link, notModified: false };
  }

  private isRateLimit(response: Response): boolean {
    return response.headers.get('x-ratelimit-remaining') === '0' || response.headers.has('retry-after');
  }

  private noteLimits(response: Response): void {
    const remaining = Number(response.headers.get('x-ratelimit-remaining') ?? NaN);
    const limit = Number(response.headers.get('x-ratelimit-limit') ?? NaN);
    const reset = Number(response.headers.get('x-ratelimit-reset') ?? NaN);
    if (!Number.isFinite(remaining) && !Number.isFinite(reset)) return;
    this.limits = {
      ...(Number.isFinite(remaining) ? { remaining } : {}),
      ...(Number.isFinite(limit) ? { limit } : {}),
      ...(Number.isFinite(reset) ? { resetAt: new Date(reset * 1000).toISOString() } : {}),
    };
    // Exhausted: hold every request until the window resets rather than spend 403s.
    if (remaining === 0 && Number.isFinite(reset)) this.blockedUntil = Math.max(this.blockedUntil, reset * 1000);
  }

  private rateLimitedError(status = 429): BackendError {
    const at = new Date(this.blockedUntil);
    const seconds = Math.max(1, Math.ceil((this.blockedUntil - this.options.now()) / 1000));
    const wait = seconds >= 120 ? `${Math.round(seconds / 60)} minutes` : `${seconds} s`;
    return new BackendError('forbidden', `GitHub's rate limit is used up: Flightdeck retries at ${at.toISOString().slice(11, 19)} UTC (in ${wait}) and sends nothing before then`, status);
  }
}

function describeStatus(status: number, said: string | undefined): string {
  if (status === 401) return `GitHub did not accept the token (401${said ? `: ${said}` : ''}): sign in to GitHub or set GITHUB_TOKEN`;
  if (status === 404) return `GitHub answered 404${said ? ` (${said})` : ''}: the repository does not exist or the token cannot see it`;
  if (status === 403) return `GitHub refused (403${said ? `: ${said}` : ''}): the token lacks the permission`;
  return `GitHub answered ${status}${said ? `: ${said}` : ''}`;
}
