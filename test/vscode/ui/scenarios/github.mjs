// The Releases view and the stage panel on GitHub Deployments (`flightdeck.server.kind: github`) in the
// real workbench: a GitHub emulator (test/vscode/ui/github-emulator.ts) serves the workspace's repository
// as flightdeck-test/payments with dev, staging and production, a deployment waiting for review in
// production, and takes the extension host's GITHUB_TOKEN. Screenshots: github-tree, github-stage.
// The user settings this scenario changes (read by the window it reloads) are restored at its end, for the
// scenarios after it (each opens a new window).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../../harness/code-server.mjs';

const DELAY = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const REPOSITORY = 'flightdeck-test/payments';
const GITHUB_SETTINGS = ['flightdeck.server.kind', 'flightdeck.github.apiUrl', 'flightdeck.github.repositories'];

/** Starts the emulator process; resolves once it printed where it listens. */
async function startEmulator(workspace, token) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test', 'vscode', 'ui', 'github-emulator.ts'), workspace, token],
    { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const replies = lines[Symbol.asyncIterator]();
  const first = await Promise.race([
    replies.next(),
    once(child, 'exit').then(([code]) => { throw new Error(`the GitHub emulator exited (${code}) before it was ready`); }),
  ]);
  const ready = JSON.parse(first.value);
  return {
    url: ready.url,
    async violations() {
      child.stdin.write('violations\n');
      return JSON.parse((await replies.next()).value).violations;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}

export default async function github(ui) {
  const { page } = ui;
  const webview = () => page.frameLocator('iframe.webview').frameLocator('#active-frame');
  const emulator = await startEmulator(ui.workspace, ui.githubToken);
  try {
    await ui.check('the extension is up (its Releases view lists the Flightdeck project)', async () => {
      await ui.openViewContainer('Flightdeck');
      await ui.waitForTreeRow('Releases', ui.project, 60_000);
    });

    ui.updateUserSettings({
      'flightdeck.github.apiUrl': emulator.url,
      // The workspace's remote is on github.com, the emulator on 127.0.0.1: the setting names the repository.
      'flightdeck.github.repositories': [REPOSITORY],
      'flightdeck.server.kind': 'github',
    });
    // The workbench reads the user settings file when a window opens (code-server does not watch it).
    await ui.palette('Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await ui.openViewContainer('Flightdeck');

    await ui.check('the view lists the GitHub repository with its environments in ladder order', async () => {
      await ui.waitForTreeRow('Releases', REPOSITORY, 30_000);
      const rows = await ui.treeRows('Releases');
      if (!rows.some((row) => row.startsWith('production'))) {
        // Collapsed: expand the repository's row.
        await ui.view('Releases').locator('.monaco-list-row', { hasText: REPOSITORY }).first().click();
        await ui.waitForTreeRow('Releases', 'production', 10_000);
      }
      const names = (await ui.treeRows('Releases')).map((row) => row.split(' ')[0]).filter((name) => ['dev', 'staging', 'production'].includes(name));
      if (names.join(',') !== 'dev,staging,production') throw new Error(`rows in this order: ${names.join(', ')}`);
      if ((await ui.treeRows('Releases')).some((row) => row.includes(ui.project) && !row.includes(REPOSITORY))) {
        throw new Error('the Flightdeck server\'s project is still listed');
      }
    });

    await ui.check('production shows the deployment waiting for review; staging and dev what they run', async () => {
      const rows = await ui.treeRows('Releases');
      const production = rows.find((row) => row.startsWith('production')) ?? '';
      // GitHub's job waiting for review reads as any deployment awaiting approval does.
      if (!/awaiting approval · requested by \S+ · \S+ → \S+/.test(production)) throw new Error(`production: ${production}`);
      const dev = rows.find((row) => row.startsWith('dev')) ?? '';
      if (!/in progress/.test(dev)) throw new Error(`dev: ${dev}`);
    });

    await ui.check('screenshot of the tree on GitHub (dark)', async () => {
      await page.mouse.move(1, 1);
      await DELAY(300);
      await ui.screenshot('github-tree');
    });

    await ui.check('the stage of production opens from the palette and shows the deployment waiting for review', async () => {
      await ui.palette('Flightdeck: Open Stage…');
      const input = page.locator('.quick-input-widget input');
      await input.fill('production');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'production' }).first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Enter');
      await webview().locator('.stage-header .env', { hasText: 'production' }).waitFor({ timeout: 30_000 });
      await webview().locator('#cards').waitFor({ timeout: 30_000 });
      await page.mouse.move(1, 1);
      await DELAY(600); // fonts and the toolkit's components settle
      await ui.screenshot('github-stage');
    });

    await ui.check('every answer the emulator sent is within GitHub\'s OpenAPI description', async () => {
      const violations = await emulator.violations();
      if (violations.length > 0) throw new Error(violations.slice(0, 5).join('\n'));
    });
  } finally {
    ui.updateUserSettings(Object.fromEntries(GITHUB_SETTINGS.map((key) => [key, undefined])));
    await ui.palette('View: Close All Editors').catch(() => {});
    await emulator.stop();
  }
}
