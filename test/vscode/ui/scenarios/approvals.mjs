// Approvals in the real workbench: ana (a deployer) asks to promote into a production that needs two
// approvals, bob gives the first; the tree shows production waiting ("awaiting 1 of 2 approvals ·
// requested by ana"), the Approvals view lists the request with a badge on the Flightdeck container, and
// the stage shows who approved and who is still needed. Approve… is then clicked in the stage: the comment
// box and VS Code's modal are answered, and the server records the signed-in admin's approval.
// Its own project (`gated`, another repository), so the other scenarios' `payments` stays as it was.

const DELAY = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const PROJECT = 'gated';

export default async function approvals(ui) {
  const { page } = ui;
  const webview = () => page.frameLocator('iframe.webview').frameLocator('#active-frame');
  /** A request with another person's token. */
  const as = async (token, method, route, body) => {
    const response = await fetch(ui.serverUrl + route, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route} → ${response.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  let request;

  if (!await ui.check('ana asks to promote into production, which needs two approvals; bob gives one', async () => {
    await ui.api('PUT', `/api/releases/${PROJECT}`, {
      repo: 'flightdeck-test/gated',
      description: 'Approvals (UI test data)',
      environments: [
        { name: 'dogfood', tier: 'development', position: 0, strategy: 'dogfood' },
        { name: 'production', tier: 'production', position: 1, strategy: 'standard', required_approvals: 2 },
      ],
    });
    for (const rc of ['2.0.0-rc1', '2.1.0-rc1']) {
      await ui.api('POST', `/api/releases/${PROJECT}/releases/${rc}`, { commit: rc.replace(/\D/g, '').padEnd(40, 'd') });
    }
    await ui.api('PATCH', `/api/releases/${PROJECT}/environments/production/deployments`, { release_candidate_version: '2.0.0-rc1', status: 'success' });
    await ui.api('PATCH', `/api/releases/${PROJECT}/environments/dogfood/deployments`, { release_candidate_version: '2.1.0-rc1', status: 'success' });
    const suffix = Date.now().toString(36);
    const ana = await ui.api('POST', '/api/tokens', { role: 'deployer', name: `ana-${suffix}` });
    const bob = await ui.api('POST', '/api/tokens', { role: 'deployer', name: `bob-${suffix}` });
    request = await as(ana.token, 'POST', `/api/releases/${PROJECT}/environments/production/promote`, { from_environment: 'dogfood' });
    await as(bob.token, 'POST', `/api/releases/${PROJECT}/deployments/${request.id}/approve`, { comment: 'read the diff' });
  })) return;

  await ui.check('the tree shows production waiting for approval', async () => {
    await ui.openViewContainer('Flightdeck');
    const rows = await ui.waitForTreeRow('Releases', 'awaiting 1 of 2 approvals', 60_000);
    ui.log(`rows: ${JSON.stringify(rows)}`);
    // The theme picker is ready once the workbench is: after the extension's view has data.
    await ui.setTheme('Default Dark Modern');
    await page.mouse.move(1, 1);
    await ui.screenshot('approvals-tree');
  });

  await ui.check('the Approvals view lists the request, and the container\'s badge counts it', async () => {
    const rows = await ui.waitForTreeRow('Approvals', `${PROJECT} / production`, 30_000);
    ui.log(`approvals: ${JSON.stringify(rows)}`);
    const badge = page.locator('.part.activitybar .action-item', { has: page.locator('.action-label[aria-label^="Flightdeck"]') }).locator('.badge-content');
    await badge.first().waitFor({ timeout: 15_000 });
    const count = (await badge.first().innerText()).trim();
    if (count !== '1') throw new Error(`the badge says "${count}"`);
    await ui.screenshot('approvals-view');
  });

  await ui.check('the stage shows who approved, who is still needed and when it expires', async () => {
    const row = ui.view('Approvals').locator('.monaco-list-row', { hasText: `${PROJECT} / production` }).first();
    await row.click();
    await webview().locator('.approval').waitFor({ timeout: 30_000 });
    const text = (await webview().locator('.approval').innerText()).replace(/\s+/g, ' ');
    ui.log(`stage: ${text}`);
    for (const part of ['awaiting 1 of 2 approvals', 'read the diff', 'Still needed', 'Expires']) {
      if (!text.includes(part)) throw new Error(`the approval block lacks "${part}": ${text}`);
    }
    await page.mouse.move(1, 1);
    await DELAY(400);
    await ui.screenshot('approvals-stage');
  });

  await ui.check('Approve… in the stage asks for a comment and confirms in the modal; the server records it', async () => {
    await webview().locator('.action-approve vscode-button, .action-approve button').first().click();
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 15_000 });
    await input.fill('second pair of eyes');
    await page.keyboard.press('Enter');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15_000 });
    const said = (await dialog.innerText()).replace(/\s+/g, ' ');
    ui.log(`modal: ${said}`);
    for (const part of [PROJECT, 'production', '2.0.0-rc1 → 2.1.0-rc1', 'last approval needed']) {
      if (!said.includes(part)) throw new Error(`the modal lacks "${part}": ${said}`);
    }
    await dialog.locator('.monaco-button', { hasText: /^Approve$/ }).click();
    const deadline = Date.now() + 15_000;
    for (;;) {
      const d = await ui.api('GET', `/api/releases/${PROJECT}/deployments/${request.id}`);
      if (d.approval?.approvals.length === 2) {
        ui.log(`approvals: ${d.approval.approvals.map((v) => `${v.actor}: ${v.comment}`).join('; ')}`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the server has ${d.approval?.approvals.length ?? 0} approvals`);
      await DELAY(250);
    }
    // The pipeline reports it done, so production is not left busy.
    for (const status of ['in_progress', 'success']) {
      await ui.api('PATCH', `/api/releases/${PROJECT}/environments/production/deployments`, { release_candidate_version: '2.1.0-rc1', status });
    }
  });
}
