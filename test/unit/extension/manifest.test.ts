// What the extension's manifest promises VS Code about where settings may come from. These are not
// style checks: each one, broken, made a real window misbehave.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

interface SettingSchema {
  scope?: string;
}
interface Manifest {
  capabilities?: { untrustedWorkspaces?: { supported?: boolean | string; restrictedConfigurations?: string[] } };
  contributes: { configuration: { properties: Record<string, SettingSchema> } };
}

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as Manifest;
const settings = manifest.contributes.configuration.properties;

describe('the settings manifest', () => {
  it('lets every setting be read from User settings in a remote window (code-server, SSH, containers)', () => {
    // A remote window parses the local User settings with the machine scopes left out: a `machine` or
    // `machine-overridable` setting written there is kept only until the settings are next re-read
    // (changing the colour theme is enough), then silently reads as its default. For the server URL
    // that meant a window reload came back on the empty embedded server instead of the team's.
    for (const [key, schema] of Object.entries(settings)) {
      assert.ok(schema.scope !== 'machine' && schema.scope !== 'machine-overridable', `${key} has scope ${schema.scope}`);
    }
  });

  it('ignores a workspace\'s server settings until the workspace is trusted', () => {
    // A cloned repository's .vscode/settings.json must not point the token at its own server.
    const untrusted = manifest.capabilities?.untrustedWorkspaces;
    assert.equal(untrusted?.supported, 'limited');
    const restricted = new Set(untrusted?.restrictedConfigurations ?? []);
    for (const key of Object.keys(settings).filter((k) => k.startsWith('flightdeck.server.'))) {
      assert.ok(restricted.has(key), `${key} is not in restrictedConfigurations`);
    }
  });

  it('takes the GitHub API URL from the user\'s own settings only', () => {
    // The GitHub token (VS Code's GitHub Enterprise session, GITHUB_TOKEN) goes to this URL: a workspace
    // (a cloned repository's .vscode/settings.json), trusted or not, must not choose where.
    assert.equal(settings['flightdeck.github.apiUrl']?.scope, 'application');
  });
});
