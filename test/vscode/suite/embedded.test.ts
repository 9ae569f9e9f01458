// The embedded default: with no server URL configured the extension runs its own server on loopback.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { FlightdeckApi } from '../../../src/extension/main';
import { waitFor } from './realServer';

describe('Embedded server', function () {
  this.timeout(90_000);

  it('starts with the extension when no URL is set, answers, and stops with it', async () => {
    const api = await vscode.extensions.getExtension<FlightdeckApi>('flightdeck.flightdeck')!.activate();
    assert.equal(vscode.workspace.getConfiguration('flightdeck').get('server.url'), '');
    const endpoint = await api.embedded.ensure();
    assert.match(endpoint.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'binds loopback');
    const session = await waitFor('the embedded session', async () => {
      const s = await api.sessions.get();
      return s.embedded ? s : undefined;
    }, 60_000);
    const projects = await session.backend.listProjects();
    assert.ok(Array.isArray(projects));
    const pid = api.embedded.pid;
    assert.ok(pid && api.embedded.running, 'this window owns a running process');
    await api.embedded.stop();
    assert.throws(() => process.kill(pid, 0), 'the process is gone after stop');
  });
});
