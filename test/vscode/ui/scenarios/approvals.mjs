// Approvals in the real workbench: ana (a deployer) asks to promote the demo's rollout into production,
// which needs an approval from someone else; the tree shows production waiting ("awaiting approval ·
// requested by ana"), the Approvals view lists the request with a badge on the Flightdeck container, and
// the stage shows who is still needed and when the request expires. Reject… is then clicked in the stage:
// the comment box and VS Code's modal are answered, and the server cancels the request, so production is
// left as the other scenarios expect it (one project, `payments`, whose production runs what it ran).

const DELAY = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function approvals(ui) {
  const { page } = ui;
  const PROJECT = ui.project;
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
  let ana;

  if (!await ui.check('ana asks to promote rollout into production, which needs an approval', async () => {
    await ui.openViewContainer('Flightdeck');
    await ui.waitForTreeRow('Releases', PROJECT, 60_000);
    const project = await ui.api('GET', `/api/releases/${PROJECT}`);
    const production = project.environments.find((e) => e.name === 'production');
    const rollout = project.environments.find((e) => e.name === 'rollout');
    if (!production?.required_approvals) throw new Error('the demo\'s production requires no approval');
    if (production.active) throw new Error(`production is busy with ${production.active.release_candidate_version}`);
    if (!rollout?.current) throw new Error('rollout runs nothing');
    // The demo may leave production on rollout's candidate: the pipeline then reports it back on an
    // earlier one (reports are never gated), as the stage scenario does.
    if (rollout.current.release_candidate_version === production.current?.release_candidate_version) {
      for (const status of ['in_progress', 'success']) {
        await ui.api('PATCH', `/api/releases/${PROJECT}/environments/production/deployments`, { release_candidate_version: '1.1.0-rc2', status });
      }
    }
    const token = await ui.api('POST', '/api/tokens', { role: 'deployer', name: `ana-${Date.now().toString(36)}` });
    ana = token.name;
    request = await as(token.token, 'POST', `/api/releases/${PROJECT}/environments/production/promote`, { from_environment: 'rollout' });
    ui.log(`request ${request.id}: ${request.from_release_candidate_version} → ${request.release_candidate_version}`);
  })) return;

  await ui.check('the tree shows production waiting for approval', async () => {
    await ui.openViewContainer('Flightdeck');
    const rows = await ui.waitForTreeRow('Releases', `awaiting approval · requested by ${ana}`, 60_000);
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
    for (const part of [`awaiting approval · requested by ${ana}`, 'nobody yet', 'Still needed', 'Expires']) {
      if (!text.includes(part)) throw new Error(`the approval block lacks "${part}": ${text}`);
    }
    await page.mouse.move(1, 1);
    await DELAY(400);
    await ui.screenshot('approvals-stage');
  });

  await ui.check('Reject… in the stage asks for a comment and confirms in the modal; the server cancels the request', async () => {
    await webview().locator('.action-reject vscode-button').first().click();
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 15_000 });
    await input.fill('not during the demo');
    await page.keyboard.press('Enter');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15_000 });
    const said = (await dialog.innerText()).replace(/\s+/g, ' ');
    ui.log(`modal: ${said}`);
    for (const part of [PROJECT, 'production', `${request.from_release_candidate_version} → ${request.release_candidate_version}`, `requested by ${ana}`, 'nothing is deployed']) {
      if (!said.includes(part)) throw new Error(`the modal lacks "${part}": ${said}`);
    }
    await dialog.locator('.monaco-button', { hasText: /^Reject$/ }).click();
    const deadline = Date.now() + 15_000;
    for (;;) {
      const d = await ui.api('GET', `/api/releases/${PROJECT}/deployments/${request.id}`);
      if (d.status === 'canceled') {
        ui.log(`canceled: ${d.error_message}`);
        if (!/not during the demo/.test(d.error_message ?? '')) throw new Error(`the rejection says "${d.error_message}"`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the request is ${d.status}`);
      await DELAY(250);
    }
    await ui.waitForTreeRow('Approvals', 'No deployment is waiting for approval', 15_000);
  });
}
