// The stage panel in the real workbench: opened from the palette, in the dark and the light theme; a
// Promote clicked in the webview and confirmed in VS Code's modal starts a deployment the panel shows;
// a rollout's percent advancing between two screenshots; and the latency from a PATCH on the server to
// the webview's DOM showing it (measured and reported, not asserted; goal p95 < 300 ms).
//
// Needs the release server's admin token for the API calls it makes itself: `ui.token` (or `ui.api`).

const DELAY = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const SAMPLES = 20;

export default async function stage(ui) {
  const { page } = ui;
  const project = ui.project;
  const api = ui.api; // the runner's call to the release server, with its admin token
  // The webview runs under a strict CSP (no inline styles or scripts, no eval): any violation shows here.
  const violations = [];
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to (apply|load|execute|evaluate)/i.test(text)) {
      const where = message.location();
      violations.push(`${text.slice(0, 160)} [at ${where.url?.split('/').slice(-2).join('/') ?? '?'}:${where.lineNumber ?? '?'}]`);
    }
  });

  /** The stage's webview document (the workbench nests it in two iframes). */
  const webview = () => page.frameLocator('iframe.webview').frameLocator('#active-frame');

  async function openStage(environment) {
    await page.keyboard.press('Escape');
    await ui.palette('Flightdeck: Open Stage…');
    const input = page.locator('.quick-input-widget input');
    // One project: the picker goes straight to its environments; several: pick the project first.
    const first = await page.locator('.quick-input-widget .quick-input-title').innerText().catch(() => '');
    if (/1\/2/.test(first) && !/Environment/i.test(await input.getAttribute('placeholder') ?? '')) {
      await input.fill(project);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: project }).first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Enter');
    }
    await input.fill(environment);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: environment }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await webview().locator(`.stage-header .env`, { hasText: environment }).waitFor({ timeout: 30_000 });
    await webview().locator('#cards').waitFor({ timeout: 30_000 });
    await webview().locator('.freshness.tone-live').waitFor({ timeout: 15_000 }).catch(() => {});
    await page.mouse.move(1, 1);
    await DELAY(400); // fonts and the toolkit's components settle
  }

  async function percentShown() {
    const text = await webview().locator('.rollout-status .percent').first().innerText({ timeout: 2000 }).catch(() => null);
    return text === null ? null : Number.parseInt(text, 10);
  }

  // The extension's commands exist once it has loaded: wait for its tree to show the project.
  await ui.check('the extension is up (its Releases view lists the project)', async () => {
    await ui.openViewContainer('Flightdeck');
    await ui.waitForTreeRow('Releases', project, 60_000);
  });

  // ── 1. the production stage: promote preview with PR links, rollback preview, history ─────────
  // The demo's history may leave production on rollout's candidate: then the pipeline reports production
  // back on an earlier one, so that a promote has commits to bring.
  await ui.check('production is behind rollout (reported by the pipeline if need be)', async () => {
    const { environments } = await api('GET', `/api/releases/${project}`);
    const rollout = environments.find((e) => e.name === 'rollout');
    const production = environments.find((e) => e.name === 'production');
    if (production.active) throw new Error(`production is busy deploying ${production.active.release_candidate_version}`);
    if (production.current?.release_candidate_version !== rollout.current?.release_candidate_version) return;
    for (const status of ['in_progress', 'success']) {
      await api('PATCH', `/api/releases/${project}/environments/production/deployments`, { release_candidate_version: '1.1.0-rc2', status });
    }
  });
  await ui.check('Open Stage from the palette shows the production stage', async () => {
    await openStage('production');
    const title = await webview().locator('.stage-header .title').innerText();
    if (!title.includes(project) || !title.includes('production')) throw new Error(`header says "${title}"`);
  });
  await ui.check('the header shows strategy, tier and the ladder with this rung highlighted', async () => {
    const here = await webview().locator('.ladder .rung.here .rung-name').innerText();
    if (here.trim() !== 'production') throw new Error(`highlighted rung: "${here}"`);
    const rungs = await webview().locator('.ladder .rung').count();
    ui.log(`ladder rungs: ${rungs}`);
  });
  await ui.check('what promote would bring lists commits from the local repository', async () => {
    const rows = await webview().locator('.card-promote .commit').allInnerTexts();
    const note = await webview().locator('.card-promote .empty').allInnerTexts();
    ui.log(`promote commits: ${rows.length ? rows.map((r) => r.replace(/\s+/g, ' ')).join(' | ') : `none (${note.join(' ')})`}`);
    if (rows.length === 0) throw new Error(`no commits listed: ${note.join(' ')}`);
  });
  await ui.screenshot('stage-production-dark');

  await ui.check('keyboard: Enter on a section heading collapses it, focus stays on it, Enter opens it again', async () => {
    const toggle = webview().locator('button.card-toggle[data-key="toggle-live"]');
    await toggle.focus();
    await page.keyboard.press('Enter');
    await webview().locator('button.card-toggle[data-key="toggle-live"][aria-expanded="false"]').waitFor({ timeout: 5000 });
    const focused = await webview().locator(':focus').getAttribute('data-key');
    if (focused !== 'toggle-live') throw new Error(`focus moved to ${focused} after the re-render`);
    await page.keyboard.press('Enter');
    await webview().locator('button.card-toggle[data-key="toggle-live"][aria-expanded="true"]').waitFor({ timeout: 5000 });
  });

  await ui.check('the history table lists recent deployments', async () => {
    const history = webview().locator('.card-history');
    await history.scrollIntoViewIfNeeded();
    const rows = await history.locator('tbody tr').count();
    ui.log(`history rows: ${rows}`);
    if (rows === 0) throw new Error('no rows');
    await page.mouse.move(1, 1);
    await DELAY(300);
  });
  await ui.screenshot('stage-production-history-dark');
  await ui.closeAllEditors();

  // ── 2. a rollout: promote from the panel (real modal), then watch it advance ──────────────────
  let rolloutReady = false;
  await ui.check('the rollout environment is prepared for a promote with short soaks (API)', async () => {
    // Cancel a rollout the seed left running, then make the steps short enough to watch.
    const env = (await api('GET', `/api/releases/${project}`)).environments.find((e) => e.name === 'rollout');
    if (!env) throw new Error('no rollout environment in the seeded project');
    if (env.active) {
      await api('PATCH', `/api/releases/${project}/environments/rollout/deployments`, { release_candidate_version: env.active.release_candidate_version, status: 'canceling' });
      await api('PATCH', `/api/releases/${project}/environments/rollout/deployments`, { release_candidate_version: env.active.release_candidate_version, status: 'canceled' }).catch(() => {});
    }
    const projectNow = await api('GET', `/api/releases/${project}`);
    await api('PUT', `/api/releases/${project}`, {
      repo: projectNow.repo,
      description: projectNow.description,
      environments: projectNow.environments.map(({ current: _c, active: _a, ...spec }) => (spec.name === 'rollout'
        ? { ...spec, frozen: false, steps: [{ percent: 5, soak_seconds: 3 }, { percent: 25, soak_seconds: 3 }, { percent: 60, soak_seconds: 3 }, { percent: 100, soak_seconds: 0 }] }
        : spec)),
    });
    rolloutReady = true;
  });

  await ui.check('the rollout stage opens with Promote enabled', async () => {
    await openStage('rollout');
    const promote = webview().locator('vscode-button[data-key="promote"]');
    await promote.waitFor({ timeout: 10_000 });
    const reason = await webview().locator('#reason-promote').innerText();
    if (await promote.getAttribute('disabled') !== null) throw new Error(`Promote is disabled: ${reason}`);
    ui.log(`promote hint: ${reason}`);
  });
  await ui.screenshot('stage-rollout-before-promote-dark');

  let promoted = false;
  await ui.check('clicking Promote in the webview asks for confirmation in a modal, and confirming starts the deployment', async () => {
    await webview().locator('vscode-button[data-key="promote"]').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15_000 });
    ui.log(`modal: ${(await dialog.innerText()).replace(/\s+/g, ' ').slice(0, 200)}`);
    await ui.screenshot('stage-promote-confirm');
    await dialog.locator('.monaco-button', { hasText: /^Promote$/ }).first().click();
    await webview().locator('.card-active .active-candidate').waitFor({ timeout: 15_000 });
    const candidate = await webview().locator('.card-active .active-candidate').innerText();
    const notice = await webview().locator('.notice').first().innerText({ timeout: 5000 }).catch(() => '');
    ui.log(`active deployment: ${candidate}; notice: ${notice}`);
    promoted = true;
  });

  await ui.check('the rollout percent advances between two screenshots seconds apart', async () => {
    if (!promoted) throw new Error('no rollout was started');
    // Wait for the first step to be live, then watch the next one arrive.
    const deadline = Date.now() + 20_000;
    let first = await percentShown();
    while ((first === null || first === 0) && Date.now() < deadline) {
      await DELAY(250);
      first = await percentShown();
    }
    await ui.screenshot('stage-rollout-1');
    let second = first;
    const until = Date.now() + 12_000;
    while (second === first && Date.now() < until) {
      await DELAY(500);
      second = await percentShown();
    }
    await DELAY(500);
    await ui.screenshot('stage-rollout-2');
    ui.log(`rollout percent: ${first}% → ${second}%`);
    if (first === null || second === null || second <= first) throw new Error(`the percent did not advance (${first} → ${second}); is the rollout engine running this deployment?`);
  });
  void rolloutReady;

  await ui.check('the light theme applies to the panel', () => ui.setTheme('Default Light Modern'));
  await page.mouse.move(1, 1);
  await DELAY(600);
  await ui.screenshot('stage-rollout-light');
  await ui.closeAllEditors();

  // ── 3. latency: PATCH on the server → the webview's DOM shows it ────────────────────────────
  await ui.check(`latency from a PATCH to the webview DOM (${SAMPLES} samples; goal p95 < 300 ms)`, async () => {
    await openStage('production');
    const frame = await contentFrame(page);
    const env = (await api('GET', `/api/releases/${project}`)).environments.find((e) => e.name === 'production');
    const releases = await api('GET', `/api/releases/${project}/releases?per_page=100`);
    const candidates = releases.flatMap((r) => r.candidates.map((c) => c.release_candidate_version));
    if (env.active) {
      await api('PATCH', `/api/releases/${project}/environments/production/deployments`, { release_candidate_version: env.active.release_candidate_version, status: 'failure', error_message: 'cleared by the UI test' }).catch(() => {});
    }
    const live = env.current?.release_candidate_version;
    const pair = candidates.filter((c) => c !== live).slice(0, 2);
    if (pair.length < 2) throw new Error(`need two candidates other than ${live}; have ${candidates.join(', ')}`);
    const latencies = [];
    for (let i = 0; latencies.length < SAMPLES; i += 1) {
      const candidate = pair[i % 2];
      for (const [status, selector] of [['in_progress', '.card-active .active-candidate'], ['success', '.card-live .live-candidate']]) {
        if (latencies.length >= SAMPLES) break;
        await frame.evaluate(installWatcher, { selector, text: candidate });
        const sent = Date.now();
        await api('PATCH', `/api/releases/${project}/environments/production/deployments`, { release_candidate_version: candidate, status });
        const seen = await pollSeen(frame, 5000);
        if (seen === null) throw new Error(`the webview never showed ${candidate} ${status}`);
        latencies.push(seen - sent);
        await DELAY(300 + Math.random() * 200); // a quiet spell: measure the first event, not a batch tail
      }
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
    ui.log(`PATCH → webview DOM latency over ${sorted.length} samples: min ${sorted[0]} ms, p50 ${pct(50)} ms, p95 ${pct(95)} ms, max ${sorted[sorted.length - 1]} ms`);
    ui.log(`LATENCY-STAGE: ${JSON.stringify({ samples: sorted.length, p50: pct(50), p95: pct(95), max: sorted[sorted.length - 1], all: latencies })}`);
  });
  await ui.screenshot('stage-production-light');

  await ui.check('the webview ran without Content Security Policy violations', () => {
    if (violations.length > 0) throw new Error(`${violations.length} violation(s):\n${[...new Set(violations)].slice(0, 5).join('\n')}`);
  });

  // ── 4. high contrast, for the record ────────────────────────────────────────────────────────
  await ui.check('the high contrast theme applies to the panel', async () => {
    await ui.palette('Preferences: Color Theme');
    const input = page.locator('.quick-input-widget input');
    await input.fill('Dark High Contrast');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Dark High Contrast' }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('hc-black'), null, { timeout: 10_000 });
    await page.mouse.move(1, 1);
    await DELAY(800);
  });
  await ui.screenshot('stage-production-hc');

  // ── 5. a window reload brings the panel back (serializer + onWebviewPanel activation) ─────────
  // The theme changes above make the workbench re-read User settings: a setting declared with a machine
  // scope vanished from the reloaded window then, and it came back on the empty embedded server.
  await ui.check('the panel survives a window reload and catches up, on the configured server', async () => {
    await ui.palette('Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await webview().locator('.stage-header .env', { hasText: 'production' }).waitFor({ timeout: 60_000 });
    await webview().locator('.freshness.tone-live').waitFor({ timeout: 30_000 });
    const problem = await webview().locator('.notice.error').allTextContents();
    if (problem.some((text) => /not found/i.test(text))) throw new Error(`the restored panel says: ${problem.join(' / ')}`);
    await ui.waitForTreeRow('Releases', ui.project, 30_000);
    await page.mouse.move(1, 1);
    await DELAY(500);
  });
  await ui.screenshot('stage-restored-after-reload');
  await ui.setTheme('Default Dark Modern').catch(() => {});
}

async function contentFrame(page) {
  const handle = await page.frameLocator('iframe.webview').locator('#active-frame').elementHandle({ timeout: 10_000 });
  const frame = await handle.contentFrame();
  if (!frame) throw new Error('the webview has no content frame');
  return frame;
}

/** Runs in the webview: records the page's clock when `selector` first shows `text`. */
function installWatcher({ selector, text }) {
  window.__fdSeen = null;
  const check = () => {
    const el = document.querySelector(selector);
    if (el && el.textContent.trim() === text) {
      window.__fdSeen = Date.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  return true;
}

async function pollSeen(frame, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const seen = await frame.evaluate(() => window.__fdSeen);
    if (seen) return seen;
    await DELAY(20);
  }
  return null;
}
