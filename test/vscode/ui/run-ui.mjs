// The UI tier: the extension in a real VS Code workbench (code-server) driven by headless Chromium,
// against a real release server with data in it. Runs every scenario in test/vscode/ui/scenarios/*.mjs
// and saves screenshots to test-results/ui/.
//
//   node test/vscode/ui/run-ui.mjs [--vsix <file>] [--scenario <name>]...
//
// Needs the built dist/cli.js (`node esbuild.mjs`) and code-server (install-vscode.sh). Prints
// `UI-TIER: N passed, M failed, 0 skipped` last (a scenario is never skipped); exit code 1 if anything failed.
//
// --vsix <file> runs the packaged extension as a user gets it (`npm run package` makes the file; the
// `package` test tier runs `--scenario packaged`): code-server installs the VSIX into a fresh extensions
// dir, `flightdeck demo` from the *installed* dist/cli.js writes the demo data and repository,
// `flightdeck.server.url` stays empty and FLIGHTDECK_EMBEDDED_DATA_DIR names that data, so the extension
// starts its own embedded server from its installed files. The runner starts no server of its own;
// `ui.serverUrl` is the embedded server's (from the state file the extension writes), and `ui.token` an
// admin token the runner put into the data beforehand. Without --scenario it runs every scenario.
// Screenshots then go to test-results/ui-vsix/. Scenarios in VSIX_ONLY run only with --vsix.
//
// A scenario is `export default async function (ui) { ... }`; `ui` is described at makeUi() below.
//
// env: FLIGHTDECK_UI_TIMEOUT_MS (per scenario, default 180000), FLIGHTDECK_KEEP_TMP=1 (keep temp dirs),
//      FLIGHTDECK_UI_VERBOSE=1 (print workbench page errors); for checking the harness itself:
//      FLIGHTDECK_UI_CLI (another cli.js to serve), FLIGHTDECK_VSCODE_EXTENSION_PATH (another extension folder).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { REPO_ROOT, startCodeServer } from '../harness/code-server.mjs';
import { launchChromium } from '../harness/workbench.mjs';
import { TEST_GIT_ENV, makeGitWorkspace } from '../harness/workspace.mjs';

const { values: args } = parseArgs({
  options: {
    vsix: { type: 'string' },
    scenario: { type: 'string', multiple: true },
  },
});
const EXTENSION_PATH = resolve(process.env.FLIGHTDECK_VSCODE_EXTENSION_PATH || REPO_ROOT);
const CLI = resolve(process.env.FLIGHTDECK_UI_CLI || join(REPO_ROOT, 'dist', 'cli.js'));
const SCENARIO_DIR = join(REPO_ROOT, 'test', 'vscode', 'ui', 'scenarios');
const SHOT_DIR = join(REPO_ROOT, 'test-results', args.vsix ? 'ui-vsix' : 'ui');
/** Scenarios that check the installed VSIX itself (its embedded server, its files): only with --vsix. */
const VSIX_ONLY = new Set(['packaged']);
const SCENARIO_TIMEOUT_MS = Number(process.env.FLIGHTDECK_UI_TIMEOUT_MS || 180_000);
const keepTemp = process.env.FLIGHTDECK_KEEP_TMP === '1';
const PROJECT = 'payments';

const startedAt = Date.now();
const note = (message) => console.log(`[ui ${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${message}`);
const delay = (ms) => new Promise((resolveDelay) => setTimeout(resolveDelay, ms));

let passed = 0;
let failed = 0;
const cleanups = []; // run in reverse order on the way out

// ── the release server ──────────────────────────────────────────────────────────────────────────────

/** `flightdeck serve` on a free loopback port with a fresh data dir; resolves once it prints its URL. */
async function startReleaseServer({ dataDir, token, cli = CLI }) {
  const child = spawn(process.execPath, [cli, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], {
    cwd: REPO_ROOT,
    env: { ...process.env, FLIGHTDECK_ADMIN_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, ended by its PID below
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => { output += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk) => { output += chunk; });
  const exited = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
    // SIGTERM closes it gracefully; do not wait forever on a server that ignores it.
    if (await Promise.race([exited.then(() => true), delay(5_000).then(() => false)]) === false) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  };
  process.once('exit', () => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } });

  let exitCode;
  exited.then((code) => { exitCode = code; });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    // The contract: the first stdout line is `listening on http://HOST:PORT`.
    const match = /^listening on (http:\/\/[^\s/]+)\s*$/m.exec(output);
    if (match) return { url: match[1], stop, output: () => output };
    if (exitCode !== undefined) break;
    await delay(100);
  }
  await stop();
  throw new KnownFailure(`the release server (${relative(REPO_ROOT, cli)} serve) did not print "listening on http://HOST:PORT"`
    + `${exitCode !== undefined ? ` and exited with ${exitCode}` : ' within 60 s'}:\n${output}`);
}

async function api(server, token, method, route, body) {
  const base = server.whenUp ? await server.whenUp() : server.url;
  const response = await fetch(base + route, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} → ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * Seeds the project through the API (endpoints 7, 1 and 3 of API.md): the ladder dogfood → canary →
 * rollout → production, 1.3.0-rc1 live everywhere and 1.4.0-rc1 (the workspace's HEAD) in dogfood and canary.
 */
async function seedOverHttp(server, token, commits) {
  await api(server, token, 'PUT', `/api/releases/${PROJECT}`, {
    repo: 'flightdeck-test/payments', // the workspace's origin (TEST_REMOTE)
    description: 'Card payments (UI test data)',
    environments: [
      { name: 'dogfood', tier: 'development', position: 0, strategy: 'dogfood' },
      { name: 'canary', tier: 'production', position: 1, strategy: 'canary' },
      { name: 'rollout', tier: 'production', position: 2, strategy: 'rollout',
        steps: [{ percent: 10, soak_seconds: 600 }, { percent: 50, soak_seconds: 600 }, { percent: 100, soak_seconds: 0 }] },
      { name: 'production', tier: 'production', position: 3, strategy: 'standard' },
    ],
  });
  const deploy = async (version, environments) => {
    for (const environment of environments) {
      await api(server, token, 'PATCH', `/api/releases/${PROJECT}/environments/${environment}/deployments`,
        { release_candidate_version: version, status: 'success' });
    }
  };
  await api(server, token, 'POST', `/api/releases/${PROJECT}/releases/1.3.0-rc1`, { commit: commits.previous });
  await deploy('1.3.0-rc1', ['dogfood', 'canary', 'rollout', 'production']);
  await api(server, token, 'POST', `/api/releases/${PROJECT}/releases/1.4.0-rc1`, { commit: commits.head });
  await deploy('1.4.0-rc1', ['dogfood', 'canary']);
}

/** How this build of the CLI's `demo` command can seed, judged from its --help. */
function demoMode() {
  let help = '';
  try {
    help = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    help = `${error.stdout ?? ''}`; // `flightdeck` alone exits 2 but still prints the usage
  }
  const demoLine = help.split('\n').find((line) => /^\s*flightdeck demo\b/.test(line));
  if (!demoLine) return 'none';
  if (demoLine.includes('--server')) return 'server'; // seeds a running server
  if (demoLine.includes('--data-dir')) return 'data-dir'; // prepares a data dir (and a repo) before serve
  return 'none';
}

/** The workspace: two commits, so the seeded 1.3.0-rc1 (first) is an ancestor of 1.4.0-rc1 (HEAD). */
function makeWorkspace(dir) {
  const { shas: [previous, head] } = makeGitWorkspace({ dir, commits: [
    { message: 'Initial payments service', files: { 'README.md': '# payments\n' } },
    { message: 'Charge cards through the gateway', files: { 'charge.js': 'exports.charge = (card, cents) => gateway.charge(card, cents);\n' } },
  ] });
  return { previous, head };
}

/** A failure whose message says it all (setup problems, timeouts): reported without a stack. */
class KnownFailure extends Error {}

function runDemo(demoArgs, env, cli = CLI) {
  try {
    execFileSync(process.execPath, [cli, 'demo', ...demoArgs],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'], timeout: 120_000 });
  } catch (error) {
    throw new KnownFailure(`\`flightdeck demo ${demoArgs.join(' ')}\` failed (${error.signal ?? `exit code ${error.status}`}); its output is above`);
  }
}

/**
 * The demo's deploy scripts start one service per environment in process groups of their own (they
 * outlive the deploy, as a real service would): stop them when the run ends, as `npm start` does.
 */
function stopDemoServices(dataDir, cli = CLI) {
  if (!existsSync(dataDir)) return;
  execFileSync(process.execPath, [cli, 'demo', 'stop', '--data-dir', dataDir], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'], timeout: 30_000 });
}

/** Starts the server with data in it; returns it and the workspace folder that matches the data. */
async function startBackend(runDir, token) {
  if (!existsSync(CLI)) throw new KnownFailure(`${relative(REPO_ROOT, CLI)} is missing: build it with \`node esbuild.mjs\``);
  const dataDir = join(runDir, 'data');
  let workspace = join(runDir, 'workspace');
  const mode = demoMode();
  if (mode === 'data-dir') {
    // `demo` writes the data dir (PGlite: one process at a time, so before serve) and a git repo.
    workspace = join(runDir, 'payments');
    note('seeding with `flightdeck demo --data-dir`');
    runDemo(['--data-dir', dataDir, '--repo-dir', workspace], TEST_GIT_ENV);
  }
  const server = await startReleaseServer({ dataDir, token });
  cleanups.push(() => stopDemoServices(dataDir));
  cleanups.push(() => server.stop());
  note(`release server at ${server.url}`);
  if (mode === 'server') {
    note('seeding with `flightdeck demo --server`');
    makeWorkspace(workspace);
    runDemo(['--server', server.url], { FLIGHTDECK_TOKEN: token });
  } else if (mode === 'none') {
    note('seeding over HTTP (this CLI has no `demo`)');
    await seedOverHttp(server, token, makeWorkspace(workspace));
  }
  return { server, workspace };
}

// ── the packaged extension (--vsix) ────────────────────────────────────────────────────────────────

/**
 * code-server with the VSIX installed and the demo data its embedded server will serve (see the top of
 * this file). Returns what runScenario needs, with `server.url` read from the extension's state file.
 */
async function startPackaged(runDir) {
  const dataDir = join(runDir, 'data');
  const workspace = join(runDir, 'payments');
  const codeServer = await startCodeServer({
    vsixPath: args.vsix,
    // Empty server URL (the default, said out loud): the extension runs its embedded server.
    userSettings: { 'flightdeck.server.url': '', 'workbench.colorTheme': 'Default Dark Modern' },
    // FLIGHTDECK_SERVER and FLIGHTDECK_TOKEN emptied: this machine's own must not point it elsewhere.
    env: { FLIGHTDECK_EMBEDDED_DATA_DIR: dataDir, FLIGHTDECK_SERVER: '', FLIGHTDECK_TOKEN: '', ...TEST_GIT_ENV },
  });
  cleanups.push(() => codeServer.stop());

  // The installed extension: <extensions dir>/<publisher>.<name>-<version>/, as code-server unpacked it.
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  const extensionsDir = join(codeServer.tempDir, 'extensions');
  const extensionDir = readdirSync(extensionsDir).map((name) => join(extensionsDir, name)).find((dir) => {
    try {
      const installed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return installed.publisher === manifest.publisher && installed.name === manifest.name;
    } catch {
      return false;
    }
  });
  if (!extensionDir) throw new KnownFailure(`code-server installed ${args.vsix}, but ${extensionsDir} has no ${manifest.publisher}.${manifest.name}`);
  const installed = JSON.parse(readFileSync(join(extensionDir, 'package.json'), 'utf8'));
  const cli = join(extensionDir, 'dist', 'cli.js');
  note(`installed ${basename(extensionDir)} (version ${installed.version}) from ${args.vsix}`);

  note('seeding with the installed `flightdeck demo --data-dir`');
  runDemo(['--data-dir', dataDir, '--repo-dir', workspace], TEST_GIT_ENV, cli);
  // An admin token in the data for ui.api: a throwaway server (PGlite: one process per data dir, so it
  // is stopped before the extension starts its own) bootstraps one and makes a lasting one.
  const bootstrap = randomBytes(24).toString('hex');
  const once = await startReleaseServer({ dataDir, token: bootstrap, cli });
  let token;
  try {
    ({ token } = await api(once, bootstrap, 'POST', '/api/tokens', { name: 'ui-runner', role: 'admin' }));
  } finally {
    await once.stop();
  }

  const stateFile = join(runDir, `${basename(dataDir)}.server.json`); // EmbeddedServer's, beside the data dir
  const server = {
    get url() {
      let state;
      try {
        state = JSON.parse(readFileSync(stateFile, 'utf8'));
      } catch {
        throw new Error(`the extension has not started its embedded server yet (no ${stateFile})`);
      }
      return state.url;
    },
    /**
     * The URL once a live server is in the state file. A window's extension host shares the server of
     * the window that started it, which stops it when that window closes (the scenario before ended):
     * the new window then starts its own a moment later, after its next refresh fails.
     */
    async whenUp(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          const { url, pid } = JSON.parse(readFileSync(stateFile, 'utf8'));
          process.kill(pid, 0);
          if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).ok) return url;
        } catch (error) {
          if (Date.now() > deadline) throw new Error(`no embedded server is up after ${timeoutMs / 1000} s (${stateFile}: ${error.message})`);
        }
        await delay(250);
      }
    },
  };
  const packaged = { vsix: resolve(args.vsix), extensionDir, cli, version: installed.version, dataDir, stateFile };
  return { codeServer, workspace, server, token, packaged };
}

// ── the workbench helpers given to scenarios ───────────────────────────────────────────────────────

/**
 * ui.page                       the Playwright page showing the workbench
 * ui.project                    the seeded project's name ("payments")
 * ui.workspace                  the workspace folder (the demo's git repository)
 * ui.serverUrl                  the release server's URL (--vsix: the embedded server's, once it runs)
 * ui.token                      its admin token (FLIGHTDECK_ADMIN_TOKEN; the extension has it as FLIGHTDECK_TOKEN)
 * ui.githubToken                the extension host's GH_TOKEN (a GitHub emulator a scenario starts accepts it)
 * ui.updateUserSettings(patch)  merges patch into the user settings.json (undefined removes a key); a window
 *                               reads it when it opens (reload it). Restore what you change.
 * ui.packaged                   --vsix only: { vsix, extensionDir, cli, version, dataDir, stateFile } of
 *                               the installed extension and its embedded server's data; else undefined
 * ui.api(method, route, body?)  a call to the release server with that token; the parsed JSON, or throws
 * ui.palette(text)              run a command from the command palette (F1) by its title
 * ui.closeAllEditors()          closes every editor, answering Don't Save for an untitled one an earlier
 *                               scenario typed into (it is not ours to keep); done when no editor is left
 * ui.openViewContainer(title)   click the activity-bar entry (only if its sidebar is not already showing)
 * ui.view(title)                locator of a sidebar view's pane (by its title, case-insensitive)
 * ui.treeRows(viewTitle)        the texts of the view's tree rows
 * ui.waitForTreeRow(viewTitle, text, timeoutMs?)  polls until a row contains text; returns the rows
 * ui.screenshot(name)           saves test-results/ui/<name>.png
 * ui.setTheme(name)             'Default Light Modern' | 'Default Dark Modern' (through the theme picker)
 * ui.typeInNewUntitled(text)    opens a new untitled editor and types text into it
 * ui.hoverToken(token, widget, timeoutMs?)  moves the mouse onto the first rendered `token` in an editor,
 *                               waits for the `widget` locator (a hover) and returns its text, whitespace folded
 * ui.check(name, fn)            runs fn as one counted check; returns whether it passed
 * ui.log(message)
 */
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function makeUi(page, { scenario, server, token, packaged, workspace, codeServer, githubToken }) {
  let firstFailureSaved = false;
  let retired = false; // set when the scenario is over (e.g. timed out): late checks are not counted
  /**
   * The quick-input row whose label (or description) is exactly `text`, give or take a trailing "…"
   * (commands that ask for more input end their titles with one: "Flightdeck: Open Stage…"). The theme
   * picker shows "Default Dark Modern" (the setting's value) as the description of the row "Dark Modern".
   */
  const quickPickRow = (text) => page.locator('.quick-input-list .monaco-list-row', {
    has: page.locator('.label-name, .label-description', {
      hasText: new RegExp(`^\\s*${escapeRegExp(text.replace(/(…|\.\.\.)$/, ''))}(…|\\.\\.\\.)?\\s*$`),
    }),
  }).first();
  const ui = {
    page,
    project: PROJECT,
    /** The workspace folder: the demo's git repository. */
    workspace,
    get serverUrl() { return server.url; }, // read when used: with --vsix the extension starts it later
    token,
    githubToken,
    packaged,
    api: (method, route, body) => api(server, token, method, route, body),

    updateUserSettings(patch) {
      const file = join(codeServer.tempDir, 'user-data', 'User', 'settings.json');
      const settings = { ...JSON.parse(readFileSync(file, 'utf8')), ...patch };
      for (const [key, value] of Object.entries(patch)) if (value === undefined) delete settings[key];
      writeFileSync(file, JSON.stringify(settings, null, 2));
    },
    log: (message) => note(`${scenario}: ${message}`),

    async typeInNewUntitled(text) {
      await ui.palette('File: New Untitled Text File');
      await page.locator('.monaco-editor textarea').first().waitFor({ timeout: 10_000 });
      // Typed once the new editor has the focus; done once its last line is on screen (a hover needs it there).
      await page.waitForFunction(() => !!document.activeElement?.closest('.monaco-editor'), null, { timeout: 10_000 });
      await page.keyboard.type(text, { delay: 5 });
      await page.waitForFunction((line) => [...document.querySelectorAll('.monaco-editor .view-line')]
        .some((shown) => shown.textContent.replace(/\u00a0/g, ' ').includes(line)), text.split('\n').at(-1), { timeout: 10_000 });
    },

    async hoverToken(token, widget, timeoutMs = 15_000) {
      // The token's place on screen: a DOM range over a few of its characters in the rendered line.
      const rect = await page.evaluate((wanted) => {
        for (const view of document.querySelectorAll('.monaco-editor .view-lines .view-line')) {
          const walker = document.createTreeWalker(view, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.textContent.indexOf(wanted);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at + 2);
            range.setEnd(node, at + 3);
            const r = range.getBoundingClientRect();
            return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
          }
        }
        return null;
      }, token);
      if (!rect) throw new Error(`"${token}" is not on screen`);
      // Arrive from elsewhere: a hover opens on mouse movement onto the token.
      await page.mouse.move(rect.x + 30, rect.y + 40);
      await page.mouse.move(rect.x, rect.y, { steps: 5 });
      await widget.waitFor({ timeout: timeoutMs });
      await delay(400);
      return (await widget.innerText()).replace(/\s+/g, ' ');
    },

    async closeAllEditors() {
      await ui.palette('View: Close All Editors');
      // Done when no editor is left, or when the save question for an untitled editor is up (then
      // answered, and done after that).
      const closedOrAsking = () => page.waitForFunction(() => document.querySelector('.monaco-dialog-box')
        || document.querySelectorAll('.editor-group-container .tab').length === 0, null, { timeout: 15_000 });
      await closedOrAsking();
      const save = page.locator('.monaco-dialog-box');
      if (await save.isVisible()) {
        await save.locator('.monaco-button', { hasText: /Don't Save/ }).click();
        await save.waitFor({ state: 'hidden', timeout: 10_000 });
        await closedOrAsking();
      }
    },

    async palette(text) {
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(`>${text}`);
      // Click the command with exactly this title: the palette matches fuzzily, and the row on top
      // (which Enter would run) can be another command ("Preferences: Color Theme" also matches
      // "Preferences: Browse Color Themes in Marketplace").
      const row = quickPickRow(text);
      await row.waitFor({ timeout: 10_000 }).catch(() => {
        throw new Error(`command palette: no command titled "${text}"`);
      });
      await row.click();
    },

    async openViewContainer(title) {
      const entry = page.locator('.part.activitybar .action-item', { has: page.locator(`.action-label[aria-label^="${title}"]`) }).first();
      await entry.waitFor({ timeout: 30_000 }).catch(() => {
        throw new Error(`activity bar: no entry "${title}" (is the extension loaded? it contributes the container)`);
      });
      // Clicking the entry of the container already showing would close the sidebar.
      const showing = (await entry.getAttribute('aria-selected')) === 'true' || (await entry.getAttribute('class'))?.includes('checked');
      if (!showing) await entry.click();
      // After a window reload the entry comes back (selected) before the extension's views are registered:
      // a click then opens an empty, hidden sidebar. Click again until the sidebar shows.
      const sidebar = page.locator('.part.sidebar');
      const deadline = Date.now() + 30_000;
      for (;;) {
        const shown = await sidebar.waitFor({ state: 'visible', timeout: 2_000 }).then(() => true, () => false);
        if (shown) break;
        if (Date.now() > deadline) throw new Error(`the "${title}" sidebar did not show within 30 s`);
        await entry.click();
      }
    },

    view(title) {
      // A container with one view shows that view without a pane header of its own; the pane is still
      // there, labelled by the view's title.
      return page.locator('.part.sidebar .pane', {
        has: page.locator('.pane-header', { hasText: new RegExp(escapeRegExp(title), 'i') }),
      }).first();
    },

    async treeRows(viewTitle) {
      const pane = ui.view(viewTitle);
      if (await pane.count() === 0) return [];
      // Label and description are separate spans with no space between them in innerText: join the
      // parts with one, so a row reads "payments acme/payments", not "paymentsacme/payments".
      return pane.locator('.monaco-list-row').evaluateAll((rows) => rows.map((row) => {
        const parts = [...row.querySelectorAll('.label-name, .label-description')].map((part) => part.textContent.trim());
        return (parts.some(Boolean) ? parts.filter(Boolean).join(' ') : row.innerText).replace(/\s+/g, ' ').trim();
      }));
    },

    async waitForTreeRow(viewTitle, text, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let rows = [];
      while (Date.now() < deadline) {
        rows = await ui.treeRows(viewTitle);
        if (rows.some((row) => row.includes(text))) return rows;
        await delay(500);
      }
      const welcome = await ui.view(viewTitle).locator('.welcome-view-content').allInnerTexts().catch(() => []);
      throw new Error(`view "${viewTitle}": no row containing "${text}" after ${timeoutMs / 1000} s; rows: `
        + `${JSON.stringify(rows)}${welcome.length ? `; welcome text: ${JSON.stringify(welcome.join(' ').trim())}` : ''}`);
    },

    async screenshot(name) {
      const file = join(SHOT_DIR, `${basename(name, '.png')}.png`);
      // Let a view's progress bar finish so it is not frozen half-way in the picture.
      await page.locator('.part.sidebar .monaco-progress-container.active').first()
        .waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
      await page.screenshot({ path: file });
      ui.log(`saved ${relative(REPO_ROOT, file)}`);
      return file;
    },

    async setTheme(themeName) {
      await ui.palette('Preferences: Color Theme');
      const input = page.locator('.quick-input-widget input');
      await input.fill(themeName);
      // Click the theme's own row: Enter would take whichever row is focused, which while the list is
      // still filtering can be "Browse Additional Color Themes..." (the offline marketplace).
      const row = quickPickRow(themeName);
      await row.waitFor({ timeout: 10_000 }).catch(() => { throw new Error(`theme picker: no theme "${themeName}"`); });
      await row.click();
      // The workbench root carries the theme type: `vs` (light), `vs-dark`, `hc-black`, `hc-light`.
      const light = !/dark|high contrast/i.test(themeName);
      await page.waitForFunction((wantLight) => {
        const root = document.querySelector('.monaco-workbench');
        return !!root && (wantLight ? root.classList.contains('vs') : root.classList.contains('vs-dark'));
      }, light, { timeout: 10_000 });
      await page.mouse.move(1, 1); // no hover left over in the next screenshot
      await delay(300); // let the repaint settle
    },

    async check(name, fn) {
      if (retired) return false;
      try {
        await fn();
        if (retired) return false;
        passed += 1;
        console.log(`  ✔ ${scenario}: ${name}`);
        return true;
      } catch (error) {
        if (retired) return false;
        failed += 1;
        console.log(`  ✘ ${scenario}: ${name}\n      ${String(error?.message ?? error).split('\n').join('\n      ')}`);
        if (!firstFailureSaved) {
          firstFailureSaved = true;
          await page.screenshot({ path: join(SHOT_DIR, `fail-${scenario}.png`) }).catch(() => {});
          console.log(`      screenshot: ${relative(REPO_ROOT, join(SHOT_DIR, `fail-${scenario}.png`))}`);
        }
        return false;
      }
    },
  };
  return { ui, retire: () => { retired = true; } };
}

// ── main ────────────────────────────────────────────────────────────────────────────────────────────

async function runScenario(browser, { codeServer, workspace, server, token, packaged, githubToken }, file) {
  const scenario = basename(file, '.mjs');
  console.log(`\n▶ ${scenario}`);
  // A fresh page per scenario: each starts from a new workbench window. User settings persist across
  // scenarios (a theme chosen by one is still there in the next): set what the pictures depend on.
  const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
  page.on('pageerror', (error) => { if (process.env.FLIGHTDECK_UI_VERBOSE === '1') console.error('[page error]', error.message); });
  const { ui, retire } = makeUi(page, { scenario, server, token, packaged, workspace, codeServer, githubToken });
  const checksBefore = passed + failed;
  try {
    await page.goto(codeServer.workbenchUrl({ folder: workspace }));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const { default: run } = await import(pathToFileURL(file).href);
    if (typeof run !== 'function') throw new Error(`${relative(REPO_ROOT, file)} has no default export function`);
    let timer;
    const running = run(ui);
    running.catch(() => {}); // after a timeout it may still fail, once its page is closed: ignore that
    await Promise.race([
      running,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new KnownFailure(`timed out after ${SCENARIO_TIMEOUT_MS / 1000} s (FLIGHTDECK_UI_TIMEOUT_MS)`)), SCENARIO_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    // A scenario that checked nothing but ran to the end counts as one passed check.
    if (passed + failed === checksBefore) passed += 1;
  } catch (error) {
    retire();
    failed += 1;
    console.log(`  ✘ ${scenario} stopped: ${error instanceof KnownFailure ? error.message : error?.stack ?? error}`);
    await page.screenshot({ path: join(SHOT_DIR, `fail-${scenario}.png`) }).catch(() => {});
    console.log(`      screenshot: ${relative(REPO_ROOT, join(SHOT_DIR, `fail-${scenario}.png`))}`);
  } finally {
    retire();
    await page.close().catch(() => {});
  }
}

async function main() {
  const scenarioFiles = readdirSync(SCENARIO_DIR).filter((name) => name.endsWith('.mjs')).sort()
    .filter((name) => (args.scenario ? args.scenario.includes(basename(name, '.mjs')) : args.vsix || !VSIX_ONLY.has(basename(name, '.mjs'))))
    .map((name) => join(SCENARIO_DIR, name));
  if (scenarioFiles.length === 0) throw new KnownFailure(`no scenarios to run in ${relative(REPO_ROOT, SCENARIO_DIR)}`);
  mkdirSync(SHOT_DIR, { recursive: true });
  for (const name of readdirSync(SHOT_DIR)) if (name.endsWith('.png')) rmSync(join(SHOT_DIR, name)); // no stale shots

  const runDir = mkdtempSync(join(tmpdir(), 'flightdeck-ui-'));
  const removeRunDir = () => { if (!keepTemp) rmSync(runDir, { recursive: true, force: true }); };
  cleanups.push(removeRunDir);
  process.once('exit', removeRunDir); // also when we die of an error before the cleanups run
  if (args.vsix) {
    if (!existsSync(args.vsix)) throw new KnownFailure(`no VSIX at ${args.vsix} (npm run package makes one)`);
    const packaged = await startPackaged(runDir);
    cleanups.push(() => stopDemoServices(packaged.packaged.dataDir, packaged.packaged.cli));
    note(`code-server at ${packaged.codeServer.url} (VSIX ${args.vsix}; the extension's embedded server, data in ${packaged.packaged.dataDir})`);
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    for (const file of scenarioFiles) await runScenario(browser, packaged, file);
    return;
  }

  const token = randomBytes(24).toString('hex');
  const githubToken = randomBytes(20).toString('hex');
  const { server, workspace } = await startBackend(runDir, token);

  const codeServer = await startCodeServer({
    extensionDevelopmentPath: EXTENSION_PATH,
    userSettings: {
      'flightdeck.server.url': server.url,
      'workbench.colorTheme': 'Default Dark Modern',
    },
    // The extension reads its token from FLIGHTDECK_TOKEN when none is stored (DESIGN.md), and GitHub's
    // from GITHUB_TOKEN / GH_TOKEN when VS Code has no GitHub session (the github scenario's emulator
    // accepts it). GH_TOKEN: code-server takes GITHUB_TOKEN out of the environment for its own GitHub sign-in.
    env: { FLIGHTDECK_TOKEN: token, GH_TOKEN: githubToken, ...TEST_GIT_ENV },
  });
  cleanups.push(() => codeServer.stop());
  note(`code-server at ${codeServer.url} (development extension: ${EXTENSION_PATH})`);

  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  for (const file of scenarioFiles) await runScenario(browser, { codeServer, workspace, server, token, githubToken }, file);
}

let finishing = false;
async function finish() {
  if (finishing) return;
  finishing = true;
  // Closing the browser while a page is still being set up makes Playwright throw from its message
  // loop; we are shutting down anyway, so do not die of it half-way through the cleanups.
  process.on('uncaughtException', (error) => console.error(`during shutdown: ${error.message}`));
  for (const cleanup of cleanups.reverse()) {
    try { await cleanup(); } catch (error) { console.error(`cleanup: ${error?.message ?? error}`); }
  }
  console.log(`UI-TIER: ${passed} passed, ${failed} failed, 0 skipped`);
  process.exit(failed > 0 ? 1 : 0);
}

// Stopped from outside (Ctrl-C, or scripts/test.mjs's tier timeout): still stop every process we started.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    failed += 1;
    console.error(`UI tier stopped by ${signal}`);
    void finish();
  });
}

try {
  await main();
} catch (error) {
  failed += 1;
  console.error(`UI tier could not run: ${error instanceof KnownFailure ? error.message : error?.stack ?? error}`);
}
await finish();
