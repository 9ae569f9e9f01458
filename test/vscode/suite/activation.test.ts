// Wiring only: the extension is loaded into a real VS Code, activates, and registers its commands.
// Also checks the harness contract the other suites rely on (environment passed to the extension host).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'flightdeck.flightdeck';

describe('activation', () => {
  it('runs with the environment the harness passes to the extension host', () => {
    // run-suites.mjs gives code-server these; the suites start the release server with
    // FLIGHTDECK_ADMIN_TOKEN = FLIGHTDECK_TOKEN and find dist/cli.js under FLIGHTDECK_REPO_ROOT.
    assert.ok(process.env.FLIGHTDECK_TOKEN, 'FLIGHTDECK_TOKEN is not set in the extension host');
    assert.ok(process.env.FLIGHTDECK_REPO_ROOT, 'FLIGHTDECK_REPO_ROOT is not set in the extension host');
  });

  it(`installs and activates ${EXTENSION_ID}`, async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not installed (ids seen: ${vscode.extensions.all
      .map((e) => e.id).filter((id) => !id.startsWith('vscode.')).join(', ') || 'none'})`);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('registers flightdeck.refresh', async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('flightdeck.refresh'), 'command flightdeck.refresh is not registered');
  });
});
