// The ladder of a backend that lists environments but not their order (GitHub Deployments): known names
// climb in this order, unknown names sit just before the production rung in alphabetical order. API.md
// "Other backends" documents the list; the GitHub client and every view of it use this one rule.
import type { Strategy, Tier } from '../api/schemas';

/** Bottom rung first. `production` and `prod` are the top: unknown names go just below them. */
export const KNOWN_ENVIRONMENT_LADDER = [
  'dogfood', 'dev', 'development', 'test', 'qa', 'staging', 'canary', 'rollout', 'preprod', 'production', 'prod',
] as const;

const TOP_RUNGS: ReadonlySet<string> = new Set(['production', 'prod']);

/** The rank of a name: its index in the known ladder, matched without regard to case. */
function knownRank(name: string): number {
  return (KNOWN_ENVIRONMENT_LADDER as readonly string[]).indexOf(name.toLowerCase());
}

/**
 * Names in ladder order: known names by the known ladder, unknown ones (alphabetically, case-insensitive)
 * after every known non-production rung and before production. Stable for equal keys; pure.
 */
export function orderByNameLadder(names: readonly string[]): string[] {
  const firstTop = knownRank('production');
  const key = (name: string): [number, string] => {
    const rank = knownRank(name);
    // Unknown names share the slot just before `production`: between preprod and production.
    return [rank >= 0 ? rank * 2 : firstTop * 2 - 1, name.toLowerCase()];
  };
  return [...names].sort((a, b) => {
    const [ra, na] = key(a);
    const [rb, nb] = key(b);
    return ra !== rb ? ra - rb : na < nb ? -1 : na > nb ? 1 : 0;
  });
}

/** The tier a bare name suggests: production for the production rungs, canary and rollout; staging for pre-production. */
export function tierForEnvironmentName(name: string): Tier {
  const lower = name.toLowerCase();
  if (TOP_RUNGS.has(lower) || lower === 'canary' || lower === 'rollout') return 'production';
  if (lower === 'staging' || lower === 'preprod' || lower === 'qa' || lower === 'test') return 'staging';
  return 'development';
}

/** The strategy a bare name suggests (the names Flightdeck's own strategies carry). */
export function strategyForEnvironmentName(name: string): Strategy {
  const lower = name.toLowerCase();
  if (lower === 'dogfood' || lower === 'canary') return lower;
  return 'standard';
}
