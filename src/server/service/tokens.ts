// API tokens (endpoint 17): random secrets shown once, stored only as SHA-256 hashes. Authentication
// answers from a short-lived in-memory cache so a request costs no database round trip; a delete
// through this server evicts the cache at once.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role, TokenCreated, TokenInfo } from '../../api/schemas';
import { ApiError } from '../errors';
import type { Store, StoreWriter, TokenRecord } from '../store';
import { SERVER_PRINCIPAL, type Principal } from './principal';

/** Long enough that a token revoked through another server sharing the database stops soon too. */
const CACHE_TTL_MS = 2_000;
const CACHE_MAX_ENTRIES = 1_000;
export const ADMIN_TOKEN_ACTOR = 'admin';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateToken(): string {
  return `fdt_${randomBytes(32).toString('base64url')}`;
}

/** What every generated token looks like (32 random bytes, base64url): how output is searched for tokens. */
export const TOKEN_SHAPE = /fdt_[A-Za-z0-9_-]{43}/;

/**
 * Names that already stand for someone in the audit trail (`actor`): the engine's own actions and the
 * bootstrap admin token. A token under one of them would pass its deeds off as theirs. Compared without
 * case: `Flightdeck` reads as `flightdeck` to a person.
 */
export const RESERVED_TOKEN_NAMES: readonly string[] = [SERVER_PRINCIPAL.name, ADMIN_TOKEN_ACTOR];

export function reservedTokenNameProblem(name: string): string | undefined {
  const reserved = RESERVED_TOKEN_NAMES.find((taken) => taken.toLowerCase() === name.toLowerCase());
  if (reserved === undefined) return undefined;
  return `The token name ${name} is reserved: ${reserved === ADMIN_TOKEN_ACTOR ? 'the bootstrap admin token (FLIGHTDECK_ADMIN_TOKEN)' : "the server's own actions"} act under it`;
}

/** Creates a token in an open store (the server's endpoint, or `flightdeck token create --data-dir`). */
export async function createToken(writer: StoreWriter, name: string, role: Role, at: Date): Promise<TokenCreated> {
  const reserved = reservedTokenNameProblem(name);
  if (reserved !== undefined) throw new ApiError(409, reserved);
  const token = generateToken();
  const record = await writer.insertToken(name, role, hashToken(token), at);
  if (!record) throw new ApiError(409, `A token named ${name} already exists`);
  return { ...toTokenInfo(record), token };
}

function toTokenInfo(record: TokenRecord): TokenInfo {
  return { name: record.name, role: record.role, created_at: record.createdAt };
}

export class TokenService {
  private readonly adminTokenHash: Buffer | undefined;
  private readonly cache = new Map<string, { principal: Principal; expiresAt: number }>();
  /**
   * Look-ups on their way, by token hash: the watchers of one developer reconnecting together (after a
   * server restart) share one read, if it began after the last delete (the revision it began at).
   */
  private readonly lookups = new Map<string, { revision: number; record: Promise<TokenRecord | undefined> }>();
  /** Bumped by every delete, so a look-up that raced with one does not cache what it read. */
  private revision = 0;

  private readonly revokedListeners = new Set<(name: string) => void>();

  constructor(private readonly store: Store, adminToken: string | undefined, private readonly now: () => Date) {
    this.adminTokenHash = adminToken ? createHash('sha256').update(adminToken, 'utf8').digest() : undefined;
    // Another server on a shared PostgreSQL database deleted one: it stops working here at once too.
    store.onTokenRevoked((name) => this.revoked(name));
  }

  /** Hears of every revoked token (deleted through this server or another one on the database). */
  onRevoked(listener: (name: string) => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  /** The principal a bearer token stands for, or undefined when it is unknown. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    if (this.adminTokenHash && timingSafeEqual(digest, this.adminTokenHash)) return { name: ADMIN_TOKEN_ACTOR, role: 'admin' };
    const tokenHash = digest.toString('hex');
    const cached = this.cache.get(tokenHash);
    if (cached && cached.expiresAt > Date.now()) return cached.principal;
    const revision = this.revision;
    const record = await this.lookUp(tokenHash);
    if (!record) {
      this.cache.delete(tokenHash);
      return undefined;
    }
    const principal = { name: record.name, role: record.role };
    // A delete ran meanwhile: what we read may predate it, so look again.
    if (revision !== this.revision) return this.authenticate(token);
    if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
    this.cache.set(tokenHash, { principal, expiresAt: Date.now() + CACHE_TTL_MS });
    return principal;
  }

  private lookUp(tokenHash: string): Promise<TokenRecord | undefined> {
    const running = this.lookups.get(tokenHash);
    if (running && running.revision === this.revision) return running.record;
    const lookup = { revision: this.revision, record: this.store.read((reader) => reader.tokenByHash(tokenHash)) };
    this.lookups.set(tokenHash, lookup);
    const done = (): void => {
      if (this.lookups.get(tokenHash) === lookup) this.lookups.delete(tokenHash);
    };
    lookup.record.then(done, done);
    return lookup.record;
  }

  create(name: string, role: Role): Promise<TokenCreated> {
    return this.store.write((writer) => createToken(writer, name, role, this.now()));
  }

  async list(): Promise<TokenInfo[]> {
    return (await this.store.read((reader) => reader.tokens())).map(toTokenInfo);
  }

  async delete(name: string): Promise<void> {
    const deleted = await this.store.write((writer) => writer.deleteToken(name));
    // Even when not found here: another server on the database may have deleted it a moment ago.
    this.revoked(name);
    if (!deleted) throw new ApiError(404, 'Token not found');
  }

  /** Forgets a deleted token: no cached look-up answers for it, and what it holds open is closed. */
  private revoked(name: string): void {
    this.revision++;
    for (const [hash, entry] of this.cache) if (entry.principal.name === name) this.cache.delete(hash);
    for (const listener of this.revokedListeners) listener(name);
  }
}
