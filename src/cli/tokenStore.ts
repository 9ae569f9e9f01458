// `flightdeck token create --data-dir|--database-url`: the token written straight into a store no server
// holds (how the first admin token is made). Server code: reached through ./serverCommands only.
import type { Role, TokenCreated } from '../api/schemas';
import { DEFAULT_DATA_DIR, Store } from '../server/store';
import { createToken } from '../server/service/tokens';

export async function createTokenInStore(
  target: { databaseUrl?: string | undefined; dataDir?: string | undefined }, name: string, role: Role,
): Promise<TokenCreated> {
  const store = await Store.open(target.databaseUrl ? { databaseUrl: target.databaseUrl } : { dataDir: target.dataDir ?? DEFAULT_DATA_DIR });
  try {
    return await store.write((writer) => createToken(writer, name, role, new Date()));
  } finally {
    await store.close();
  }
}
