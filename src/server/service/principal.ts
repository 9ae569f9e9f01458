// Who is calling: the name of their token (the `actor` of what they cause) and its role.
import type { Role } from '../../api/schemas';

export interface Principal {
  name: string;
  role: Role;
}

const RANK: Readonly<Record<Role, number>> = { viewer: 0, deployer: 1, admin: 2 };

/** Roles are ordered: viewer < deployer < admin, each allowed everything the lower ones are. */
export function hasRole(principal: Principal, needed: Role): boolean {
  return RANK[principal.role] >= RANK[needed];
}

/** The actor of the server's own actions (the engine's rollouts, auto-promotions, auto-rollbacks). */
export const SERVER_PRINCIPAL: Principal = { name: 'flightdeck', role: 'admin' };
