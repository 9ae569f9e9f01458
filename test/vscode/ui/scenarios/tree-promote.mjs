// Promote… as a user does it: from the command palette, through the environment quick pick and the
// confirmation modal, then the Releases tree shows the new version on its way to that environment.
export default async function treePromote(ui) {
  const { page } = ui;
  if (!await ui.check('the Releases view lists production', async () => {
    await ui.openViewContainer('Flightdeck');
    await ui.waitForTreeRow('Releases', 'production', 60_000);
  })) return;
  await ui.setTheme('Default Dark Modern');

  let candidate;
  const confirmed = await ui.check('Promote… walks the quick pick to a modal that names from → to', async () => {
    await ui.palette('Flightdeck: Promote…');
    const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: /^\s*production\s*$/ }) }).first();
    await row.waitFor({ timeout: 15_000 });
    await ui.screenshot('promote-pick');
    await row.click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15_000 });
    const text = (await dialog.innerText()).replace(/\s+/g, ' ');
    ui.log(`modal: ${text}`);
    const match = /Promote (\S+) to production\?/.exec(text);
    if (!match) throw new Error(`the modal does not name the candidate: ${text}`);
    candidate = match[1];
    if (!/payments \/ production: \S+ → \S+ \(from \w+\)/.test(text)) throw new Error(`the modal does not say from → to: ${text}`);
    if (!/adds \d+ commits?|same commit|does not have both commits/.test(text)) throw new Error(`the modal does not count commits: ${text}`);
    await ui.screenshot('promote-confirm');
    await dialog.locator('.monaco-button', { hasText: /^Promote$/ }).click();
  });
  if (!confirmed) return;

  await ui.check('the tree shows production moving to the promoted candidate', async () => {
    const rows = await ui.waitForTreeRow('Releases', `→ ${candidate}`, 20_000);
    if (!rows.some((r) => r.startsWith('production') && r.includes(candidate))) throw new Error(`rows: ${JSON.stringify(rows)}`);
    const deployments = await ui.api('GET', '/api/releases/payments/environments/production/deployments');
    if (deployments[0]?.release_candidate_version !== candidate || deployments[0]?.kind !== 'promote') {
      throw new Error(`the server's newest production deployment is ${JSON.stringify(deployments[0])}`);
    }
    await ui.screenshot('promote-after');
  });
}
