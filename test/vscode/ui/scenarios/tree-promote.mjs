// Promote… as a user does it: from the command palette, through the environment quick pick and the
// confirmation modal, then the Releases tree shows the new version on its way to that environment.
// The pipeline first builds a new candidate from the repository's HEAD and ships it to dogfood, so
// canary has something to take whatever earlier scenarios did.
import { execFileSync } from 'node:child_process';

export default async function treePromote(ui) {
  const { page } = ui;
  const head = execFileSync('git', ['-C', ui.workspace, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  const candidate = '1.4.0-rc1';
  if (!await ui.check('the pipeline ships a new candidate to dogfood', async () => {
    await ui.api('POST', `/api/releases/${ui.project}/releases/${candidate}`, { commit: head });
    for (const status of ['in_progress', 'success']) {
      await ui.api('PATCH', `/api/releases/${ui.project}/environments/dogfood/deployments`, { release_candidate_version: candidate, status });
    }
    await ui.openViewContainer('Flightdeck');
    await ui.waitForTreeRow('Releases', `dogfood ${candidate}`, 30_000);
  })) return;
  await ui.setTheme('Default Dark Modern');

  const confirmed = await ui.check('Promote… walks the quick pick to a modal that names from → to and the commits', async () => {
    await ui.palette('Flightdeck: Promote…');
    const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: /^\s*canary\s*$/ }) }).first();
    await row.waitFor({ timeout: 15_000 });
    await ui.screenshot('promote-pick');
    await row.click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15_000 });
    const text = (await dialog.innerText()).replace(/\s+/g, ' ');
    ui.log(`modal: ${text}`);
    if (!text.includes(`Promote ${candidate} to canary?`)) throw new Error(`the modal does not name the candidate: ${text}`);
    if (!new RegExp(`payments / canary: \\S+ → ${candidate.replace(/\./g, '\\.')} \\(from dogfood\\)`).test(text)) throw new Error(`the modal does not say from → to: ${text}`);
    if (!/adds \d+ commits?/.test(text)) throw new Error(`the modal does not count the commits: ${text}`);
    await ui.screenshot('promote-confirm');
    await dialog.locator('.monaco-button', { hasText: /^Promote$/ }).click();
  });
  if (!confirmed) return;

  await ui.check('the server records the promote and the tree shows canary moving to it', async () => {
    // With a deploy executor the promote may already be done; otherwise it is on its way.
    const deadline = Date.now() + 20_000;
    let newest;
    let rows = [];
    for (;;) {
      [newest] = await ui.api('GET', `/api/releases/${ui.project}/environments/canary/deployments`);
      rows = await ui.treeRows('Releases');
      const recorded = newest?.release_candidate_version === candidate && newest?.kind === 'promote';
      if (recorded && rows.some((r) => r.startsWith('canary') && r.includes(candidate))) break;
      if (Date.now() > deadline) throw new Error(`newest canary deployment ${JSON.stringify(newest)}; rows ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await ui.screenshot('promote-after');
  });
}
