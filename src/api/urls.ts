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
  if (/^169\.254\.\d{1,3}\.\d{1,3}$/.test(hostname)) return true;
  if (!hostname.startsWith('[')) return false;
  // The parser prints IPv6 compressed and lower-case: [fe80::1], [fd00:ec2::254], [::ffff:a9fe:a9fe].
  const address = hostname.slice(1, -1);
  return /^fe[89ab][0-9a-f]:/.test(address) || address === 'fd00:ec2::254' || /^::ffff:a9fe:[0-9a-f]{1,4}$/.test(address);
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
