// An automatic rollback as a user sees it: the demo's canary service is broken (its break file, as the
// README says), a new candidate is promoted into canary, the health checks fail — the canary's stage and
// the tree show "health check failing n/3" — the engine rolls canary back, a notification says so, and
// the stage shows the rollback. Needs the demo's data (`flightdeck demo --data-dir`): its deploy scripts
// run real services whose /health turns 500 while `<demo dir>/break-canary` exists.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const DELAY = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function unhealthyCanary(ui) {
  const { page } = ui;
  const project = ui.project;
  const breakFile = join(dirname(ui.workspace), 'break-canary');
  const webview = () => page.frameLocator('iframe.webview').frameLocator('#active-frame');
  const candidate = '1.5.0-rc1';
  let before;

  if (!await ui.check('the demo runs real services with health checks', async () => {
    if (!existsSync(join(dirname(ui.workspace), 'deploy', 'ports.json'))) throw new Error(`no demo services beside ${ui.workspace}: this scenario needs \`flightdeck demo --data-dir\``);
    await ui.openViewContainer('Flightdeck');
    await ui.waitForTreeRow('Releases', project, 60_000);
    const { environments } = await ui.api('GET', `/api/releases/${project}`);
    const canary = environments.find((e) => e.name === 'canary');
    if (!canary?.health_check) throw new Error('the demo canary has no health check');
    if (canary.active) throw new Error(`canary is busy deploying ${canary.active.release_candidate_version}`);
    before = canary.current?.release_candidate_version;
    ui.log(`canary runs ${before}`);
  })) return;
  await ui.setTheme('Default Dark Modern');

  await ui.check('the pipeline ships a new candidate to dogfood', async () => {
    const head = execFileSync('git', ['-C', ui.workspace, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    await ui.api('POST', `/api/releases/${project}/releases/${candidate}`, { commit: head });
    for (const status of ['in_progress', 'success']) {
      await ui.api('PATCH', `/api/releases/${project}/environments/dogfood/deployments`, { release_candidate_version: candidate, status });
    }
  });

  await ui.check('the canary stage opens', async () => {
    await ui.palette('Flightdeck: Open Stage…');
    const input = page.locator('.quick-input-widget input');
    await input.fill('canary');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'canary' }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await webview().locator('#cards').waitFor({ timeout: 30_000 });
  });

  try {
    writeFileSync(breakFile, 'broken by the UI scenario\n');
    await ui.api('POST', `/api/releases/${project}/environments/canary/promote`, { from_environment: 'dogfood', release_candidate_version: candidate });

    await ui.check('the stage and the tree show the failing health check before the rollback', async () => {
      await webview().locator('.health-failing').first().waitFor({ timeout: 30_000 });
      const text = (await webview().locator('.health-failing').first().innerText()).replace(/\s+/g, ' ');
      ui.log(`stage: ${text}`);
      if (!/failing [12]\/3 · last check \d+ s ago/.test(text)) throw new Error(`the stage says "${text}"`);
      await ui.waitForTreeRow('Releases', ' · failing ', 10_000);
      await page.mouse.move(1, 1);
      await ui.screenshot('health-failing');
    });

    await ui.check('a notification says the engine rolled canary back, and why', async () => {
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: `rolled ${project}/canary back` }).first();
      await toast.waitFor({ timeout: 60_000 });
      const text = (await toast.innerText()).replace(/\s+/g, ' ');
      ui.log(`notification: ${text}`);
      if (!text.includes(`after ${candidate} failed`)) throw new Error(`the notification says "${text}"`);
      if (!/Open Stage/.test(text)) throw new Error('no Open Stage button');
      await toast.hover();
      await ui.screenshot('rollback-notification');
      await page.mouse.move(1, 1);
    });

    await ui.check('the stage shows the rollback: what is live, the banner-free log with human names', async () => {
      await webview().locator('.card-live .live-candidate', { hasText: before }).waitFor({ timeout: 30_000 });
      const log = webview().locator('.card-log');
      await log.locator('.event-type', { hasText: 'Automatic rollback' }).first().waitFor({ timeout: 15_000 });
      const types = await log.locator('.event-type').allInnerTexts();
      if (types.some((t) => /deployment\.(created|updated)/.test(t))) throw new Error(`raw event names in the log: ${types.join(' | ')}`);
      // The tree lists canary's deployments too: the failed one and the rollback, time first.
      const row = ui.view('Releases').locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: /^\s*canary\s*$/ }) }).first();
      if (await row.getAttribute('aria-expanded') !== 'true') await row.locator('.monaco-tl-twistie').click();
      await ui.waitForTreeRow('Releases', 'auto rollback', 15_000);
      await page.mouse.move(1, 1);
      await DELAY(500);
      await ui.screenshot('stage-after-auto-rollback');
      await log.scrollIntoViewIfNeeded();
      await DELAY(300);
      await ui.screenshot('stage-after-auto-rollback-log');
    });
  } finally {
    rmSync(breakFile, { force: true });
  }

  await ui.check('promoting the candidate that just failed says so in the confirmation, naming where and why', async () => {
    await page.keyboard.press('Escape');
    await ui.palette('Flightdeck: Promote…');
    const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: /^\s*canary\s*$/ }) }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15_000 });
    const text = (await dialog.innerText()).replace(/\s+/g, ' ');
    ui.log(`modal: ${text}`);
    if (!text.includes('failed or was rolled back in the last 24 hours')) throw new Error(`the modal does not warn: ${text}`);
    if (!new RegExp(`${candidate.replace(/\./g, '\\.')} failed in canary .*: Health check failed 3 times in a row`).test(text)) throw new Error(`the modal does not say where and why: ${text}`);
    await ui.screenshot('promote-confirm-failed-candidate');
    await dialog.locator('.monaco-button', { hasText: /^Cancel$/ }).click();
  });
}
