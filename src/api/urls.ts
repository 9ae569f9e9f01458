// The URLs the server fetches (webhook deploys, health checks): http(s) only, never a link-local or
// cloud-metadata address; and how such a URL is shown to someone who may not see its secrets.
// Pure (no Node API): the webview imports the schemas that use it.

/** Hosts that answer with a cloud machine's credentials. IPv4 forms arrive normalised by the URL parser. */
const METADATA_HOSTS: ReadonlySet<string> = new Set(['metadata.google.internal', 'metadata', 'instance-data']);

/** Why the server refuses to fetch `text`, or undefined when it may. */
export function fetchableUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'Invalid URL: expected an absolute http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `Invalid URL: only http:// and https:// URLs are accepted (got ${url.protocol})`;
  }
  if (isLinkLocalOrMetadata(url.hostname.toLowerCase())) {
    return 'Invalid URL: link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) are refused';
  }
  return undefined;
}

function isLinkLocalOrMetadata(hostname: string): boolean {
  if (METADATA_HOSTS.has(hostname.replace(/\.$/, ''))) return true;
  // The parser prints IPv6 compressed and lower-case, in brackets: [fe80::1], [fd00:ec2::254], [::ffff:a9fe:a9fe].
  return isRefusedAddress(hostname.startsWith('[') ? hostname.slice(1, -1) : hostname);
}

/**
 * Whether the server refuses to connect to this IP address (as a URL's host, or as what a host name
 * resolves to at connect time): link-local and cloud metadata addresses. Anything else (a hostname,
 * a public or loopback address) is allowed.
 */
export function isRefusedAddress(address: string): boolean {
  const text = address.toLowerCase();
  if (/^169\.254\.\d{1,3}\.\d{1,3}$/.test(text)) return true;
  if (!text.includes(':')) return false;
  // IPv4-mapped, compressed by a URL parser ([::ffff:a9fe:a9fe]) or dotted as a resolver may give it.
  if (/^::ffff:a9fe:[0-9a-f]{1,4}$/.test(text) || /^::ffff:169\.254\.\d{1,3}\.\d{1,3}$/.test(text)) return true;
  return /^fe[89ab][0-9a-f]:/.test(text) || text === 'fd00:ec2::254';
}

/**
 * The URL without what may carry a credential: the user and password, the query (a bare `?key` is a
 * secret as much as `?token=key`) and the fragment. Text that is no URL is hidden whole.
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'redacted';
  }
  url.username = '';
  url.password = '';
  url.hash = '';
  if (url.search !== '') url.search = '?redacted';
  return url.toString();
}
