// Ordering release candidates by their version, where the version says it: `1.3.1-rc1` is ahead of
// `1.3.0-rc4`, `2026.11.23-rc2` ahead of `2026.11.23-rc1`. Versions whose parts are not all numbers
// (`1.4.0-beta-rc1`, `blue-rc1`) have no order here, and the caller decides without one.
import { parseCandidateVersion } from '../api/schemas';

/** Negative when `a` comes before `b`, positive after, 0 for the same; undefined when they cannot be ordered. */
export function compareCandidateVersions(a: string, b: string): number | undefined {
  const left = parseCandidateVersion(a);
  const right = parseCandidateVersion(b);
  if (!left || !right) return undefined;
  if (left.release === right.release) return Math.sign(left.rc - right.rc);
  const leftParts = numericParts(left.release);
  const rightParts = numericParts(right.release);
  if (!leftParts || !rightParts) return undefined;
  for (let i = 0; i < Math.max(leftParts.length, rightParts.length); i++) {
    const difference = (leftParts[i] ?? 0) - (rightParts[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

function numericParts(release: string): number[] | undefined {
  const parts = release.split('.');
  if (!parts.every((part) => /^[0-9]{1,15}$/.test(part))) return undefined;
  return parts.map(Number);
}
