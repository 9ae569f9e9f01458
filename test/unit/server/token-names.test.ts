// Token names are actors in the audit trail: `flightdeck` (the engine) and `admin` (the bootstrap admin
// token) are reserved, through the API and through `flightdeck token create --data-dir`.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { runToken } from '../../../src/cli/token';
import { Store } from '../../../src/server/store';
import { freshPgliteDataDir, startTestServer } from '../helpers/server';
import { assertError } from './contract/fixtures';

const RESERVED = ['flightdeck', 'Flightdeck', 'admin', 'ADMIN'];

void describe('reserved token names', () => {
  void it('9: POST /api/tokens refuses the names of the engine and of the bootstrap admin', async () => {
    const server = await startTestServer();
    try {
      for (const name of RESERVED) {
        assertError(await server.request('POST', '/api/tokens', { role: 'admin', name }), 409, /^The token name \S+ is reserved: /);
      }
      const listed = await server.request<Array<{ name: string }>>('GET', '/api/tokens');
      assert.deepEqual(listed.body.filter((token) => RESERVED.includes(token.name)), []);
      assert.equal((await server.request('POST', '/api/tokens', { role: 'viewer', name: 'flightdeck-dashboard' })).status, 201, 'only the exact names');
    } finally {
      await server.close();
    }
  });

  void it('9: flightdeck token create --data-dir refuses them too, and creates nothing', async () => {
    const dataDir = await freshPgliteDataDir();
    try {
      const io = { out: '', err: '', env: {}, stdout: (text: string) => { io.out += text; }, stderr: (text: string) => { io.err += text; } };
      await assert.rejects(runToken(['create', '--role', 'admin', '--name', 'flightdeck', '--data-dir', dataDir], io), /The token name flightdeck is reserved/);
      await assert.rejects(runToken(['create', '--role', 'admin', '--name', 'admin', '--data-dir', dataDir], io), /The token name admin is reserved/);
      assert.equal(io.out, '', 'no token printed');
      const store = await Store.open({ dataDir });
      try {
        assert.deepEqual(await store.read((reader) => reader.tokens()), []);
      } finally {
        await store.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
