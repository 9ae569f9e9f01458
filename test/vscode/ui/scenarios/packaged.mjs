// The extension as users install it (`run-ui.mjs --vsix <file>`; VSIX_ONLY there): installed from the
// VSIX into a fresh code-server, no server configured, so it starts its own embedded server from its
// installed dist/cli.js on the demo data (FLIGHTDECK_EMBEDDED_DATA_DIR). Then the tree shows the project,
// a commit hover answers, and the stage panel renders with the packaged webview bundle, stylesheet
// and codicons, and its Promote asks VS Code for a confirmation (cancelled: nothing changes).
// Screenshots (test-results/ui-vsix/): packaged-sidebar, packaged-hover, packaged-stage,
// packaged-promote-confirm; docs/images/ holds copies of them for the README (see its README.md).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DELAY = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function packaged(ui) {
  const { page } = ui;
  if (!ui.packaged) throw new Error('this scenario checks an installed VSIX: run it with `run-ui.mjs --vsix <file>`');
  const { extensionDir, cli, version, dataDir, stateFile } = ui.packaged;
  const folder = new URL(page.url()).searchParams.get('folder');
  const git = (...args) => execFileSync('git', ['-C', folder, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

  await ui.check('the Releases view lists the demo project, served by the extension\'s own embedded server', async () => {
    await ui.openViewContainer('Flightdeck');
    // The first start of PGlite on a data dir takes a few seconds more than a running server.
    const rows = await ui.waitForTreeRow('Releases', ui.project, 90_000);
    ui.log(`rows: ${JSON.stringify(rows)}`);
  });

  await ui.check('the embedded server is the installed dist/cli.js serving the demo data dir', async () => {
    // The live one: after an earlier scenario's window closed, the server it owned stops and this
    // window's extension starts its own (the runner's ui.api waits for that the same way).
    let state;
    const deadline = Date.now() + 60_000;
    while (!state && Date.now() < deadline) {
      try {
        const read = JSON.parse(readFileSync(stateFile, 'utf8'));
        process.kill(read.pid, 0);
        state = read;
      } catch {
        await DELAY(250); // not (yet) written, or its server is gone
      }
    }
    if (!state) throw new Error(`no live server in ${stateFile}: the extension did not start an embedded server`);
    const { pid, url } = state;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    ui.log(`embedded server ${url}: pid ${pid}: ${argv.map((a) => a.replace(extensionDir, '<extension>')).join(' ')}`);
    if (argv[1] !== cli || argv[2] !== 'serve') throw new Error(`pid ${pid} runs ${argv.join(' ')}, not ${cli} serve`);
    if (!argv.includes(dataDir)) throw new Error(`pid ${pid} does not serve ${dataDir}: ${argv.join(' ')}`);
    if (!url.startsWith('http://127.0.0.1:')) throw new Error(`it listens on ${url}, not on 127.0.0.1`);
  });

  await ui.check(`/healthz of the embedded server reports the package's version (${version})`, async () => {
    const repoVersion = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')).version;
    await ui.api('GET', '/api/releases'); // waits for the live server, as above
    const health = await (await fetch(`${ui.serverUrl}/healthz`)).json();
    ui.log(`/healthz: ${JSON.stringify(health)}`);
    if (health.version !== version || version !== repoVersion) {
      throw new Error(`healthz ${health.version}, installed package.json ${version}, repository package.json ${repoVersion}`);
    }
  });

  // "Flightdeck: About" (src/extension/about.ts), checked once the manifest contributes it.
  const contributes = JSON.parse(readFileSync(join(extensionDir, 'package.json'), 'utf8')).contributes ?? {};
  const about = (contributes.commands ?? []).find((c) => c.command === 'flightdeck.about');
  if (!about) ui.log('no flightdeck.about command in the manifest: the About check is skipped');
  else {
    await ui.check(`"${about.category}: ${about.title}" shows the version and the embedded server's`, async () => {
      await ui.palette(`${about.category}: ${about.title}`);
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 15_000 });
      const text = (await dialog.innerText()).replace(/\s+/g, ' ');
      ui.log(`about: ${text}`);
      await dialog.locator('.monaco-button', { hasText: /^Cancel$/ }).click();
      if (!text.includes(`Flightdeck ${version} (VS Code`) || !text.includes(`Release server ${version}: the embedded server at ${ui.serverUrl}`)) {
        throw new Error(`the dialog says: ${text}`);
      }
    });
  }

  await ui.check('the tree shows the ladder: dogfood, canary, rollout and production', async () => {
    for (const environment of ['dogfood', 'canary', 'rollout', 'production']) await ui.waitForTreeRow('Releases', environment, 15_000);
  });
  // Away from the activity bar, whose tooltip would otherwise stay in the picture.
  await page.mouse.move(900, 600);
  await DELAY(1200);
  await ui.screenshot('packaged-sidebar');

  // ── a commit hover: a SHA typed into an untitled editor ────────────────────────────────────────
  // A commit live in canary but not in production in the demo (src/idempotency.js came with 1.2.0-rc1).
  const sha = git('log', '-1', '--format=%H', '--', existsSync(join(folder, 'src/idempotency.js')) ? 'src/idempotency.js' : '.');
  const short = sha.slice(0, 7);
  const subject = git('show', '-s', '--format=%s', sha);
  const hoverWidget = page.locator('.monaco-hover:visible', { hasText: 'Copy SHA' }).first();
  await ui.check(`hovering ${short} in an editor says where that commit is deployed`, async () => {
    await ui.typeInNewUntitled(`Is ${short} in production yet?`);
    const text = await ui.hoverToken(short, hoverWidget);
    ui.log(`hover: ${text.slice(0, 300)}`);
    for (const expected of [short, subject, 'canary', 'production']) {
      if (!text.includes(expected)) throw new Error(`the hover does not say "${expected}": ${text}`);
    }
  });
  await ui.screenshot('packaged-hover');
  await page.keyboard.press('Escape');
  await ui.palette('View: Revert and Close Editor').catch(() => {});

  // ── the stage panel ────────────────────────────────────────────────────────────────────────────
  // The webview runs under a strict CSP and loads only packaged files: a missing one shows up here.
  const problems = [];
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to|Failed to load resource|404/i.test(text)) problems.push(text.slice(0, 200));
  });
  const webview = () => page.frameLocator('iframe.webview').frameLocator('#active-frame');
  async function openStage(environment) {
    // One panel at a time: each open panel has an iframe.webview of its own.
    await ui.closeAllEditors();
    await ui.palette('Flightdeck: Open Stage…');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(environment);
    await page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${environment}\\s*$`) }) })
      .first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    await webview().locator('.stage-header .env', { hasText: environment }).waitFor({ timeout: 30_000 });
    await webview().locator('#cards').waitFor({ timeout: 30_000 });
  }
  await ui.check('Open Stage… renders the production stage from the packaged webview bundle', async () => {
    await openStage('production');
    const title = await webview().locator('.stage-header .title').innerText();
    if (!title.includes(ui.project)) throw new Error(`the header says "${title}"`);
    await webview().locator('.freshness.tone-live').waitFor({ timeout: 15_000 }).catch(() => {});
  });
  await ui.check('the panel\'s stylesheet and codicon font (media/stage.css, dist/codicons/) are loaded', async () => {
    const loaded = await webview().locator('body').evaluate(async () => {
      await document.fonts.ready;
      const sheets = [...document.styleSheets].map((sheet) => sheet.href ?? '').filter(Boolean);
      return { sheets, codicon: document.fonts.check('16px codicon') && [...document.fonts].some((f) => f.family.includes('codicon') && f.status === 'loaded') };
    });
    ui.log(`stylesheets: ${loaded.sheets.map((h) => h.replace(/^.*\/extensions\/[^/]+\//, '<extension>/')).join(', ')}; codicon font loaded: ${loaded.codicon}`);
    for (const name of ['stage.css', 'codicon.css']) {
      if (!loaded.sheets.some((href) => href.includes(name))) throw new Error(`${name} is not loaded: ${loaded.sheets.join(', ')}`);
    }
    if (!loaded.codicon) throw new Error('the codicon font did not load');
    if (problems.length) throw new Error(`console: ${[...new Set(problems)].slice(0, 5).join('\n')}`);
  });
  await page.mouse.move(900, 820);
  await DELAY(800);
  await ui.screenshot('packaged-stage');

  await ui.check('Promote in the panel asks for confirmation in a modal; Cancel changes nothing', async () => {
    // The first environment whose panel offers Promote now (the demo's data moves on as it evolves).
    let environment;
    for (const candidate of ['production', 'rollout', 'canary']) {
      if (candidate !== 'production') await openStage(candidate);
      const promote = webview().locator('vscode-button[data-key="promote"]');
      await promote.waitFor({ timeout: 10_000 });
      if (await promote.getAttribute('disabled') === null) {
        environment = candidate;
        break;
      }
      ui.log(`${candidate}: Promote is disabled (${(await webview().locator('#reason-promote').innerText().catch(() => '?')).trim()})`);
    }
    if (!environment) throw new Error('no stage offers Promote');
    const state = async () => {
      const env = (await ui.api('GET', `/api/releases/${ui.project}`)).environments.find((e) => e.name === environment);
      return JSON.stringify({ current: env.current?.release_candidate_version, active: env.active?.id ?? null });
    };
    const before = await state();
    await webview().locator('vscode-button[data-key="promote"]').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15_000 });
    const text = (await dialog.innerText()).replace(/\s+/g, ' ');
    ui.log(`modal: ${text.slice(0, 200)}`);
    if (!new RegExp(`Promote \\S+ to ${environment}\\?`).test(text)) throw new Error(`the modal says: ${text}`);
    await page.mouse.move(900, 820);
    await DELAY(300);
    await ui.screenshot('packaged-promote-confirm');
    await dialog.locator('.monaco-button', { hasText: /^Cancel$/ }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    // The panel's notice that the promote was cancelled comes after the command returned: had Cancel let
    // the promote through, the server would have it by then.
    await webview().locator('.notice.warning', { hasText: /cancelled/ }).waitFor({ timeout: 15_000 });
    const after = await state();
    if (after !== before) throw new Error(`${environment} changed: ${before} → ${after}`);
  });
}
