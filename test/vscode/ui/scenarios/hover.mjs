// "Where is this commit deployed?" in the real workbench: the current-line annotation and the blame
// hover over it on a line of the demo repository, then the SHA hover on a short SHA typed into an
// untitled editor. Screenshots: hover-blame-dark, hover-blame-light, hover-sha-dark.
//
// The workspace is the demo repository (`flightdeck demo`: remote acme/payments, candidates tagged
// v1.0.0-rc1 … v1.3.0-rc1), or the runner's two-commit fallback repository; the scenario reads the
// commits it needs from git in the folder the workbench opened (its URL names it).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const DELAY = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function hover(ui) {
  const { page } = ui;
  const folder = new URL(page.url()).searchParams.get('folder');
  const git = (...args) => execFileSync('git', ['-C', folder, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

  // A file whose first line comes from a commit that is live low on the ladder but not yet in production:
  // in the demo, src/webhooks.js (1.3.0-rc1: dogfood and canary run it, rollout is rolling it out,
  // production does not have it), so the pictures show every kind of row.
  const candidates = ['src/webhooks.js', 'src/idempotency.js', 'src/charge.js', 'charge.js'];
  const file = candidates.find((f) => folder && existsSync(join(folder, f)));
  if (!folder || !file) throw new Error(`the workspace (${folder}) has none of ${candidates.join(', ')}`);
  const blamed = /^([0-9a-f]{40}) /.exec(git('blame', '--porcelain', '-L', '1,1', '--', file))?.[1];
  const subject = git('show', '-s', '--format=%s', blamed);
  ui.log(`${file}:1 was last changed in ${blamed.slice(0, 7)} "${subject}"`);

  await ui.check('the extension is up (its Releases view lists the project)', async () => {
    await ui.openViewContainer('Flightdeck');
    await ui.waitForTreeRow('Releases', ui.project, 60_000);
  });
  // A fresh browser profile can open the workbench in the light theme whatever the settings say (it
  // follows the browser's colour scheme until the settings are applied): the dark pictures need dark.
  await ui.check('the dark theme applies', () => ui.setTheme('Default Dark Modern'));

  // ── the current-line annotation and the blame hover over it ──────────────────────────────────
  const lineOne = page.locator('.monaco-editor .view-lines .view-line').first();
  await ui.check(`Quick Open shows ${file} with the cursor on line 1`, async () => {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(file);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: file.split('/').pop() }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await lineOne.waitFor({ timeout: 10_000 });
    await page.locator('.monaco-editor textarea').first().focus();
    await page.keyboard.press('Control+Home');
  });

  /** The annotation's text: VS Code draws `after` decorations as an ::after pseudo-element or as an element. */
  const annotationText = () => page.evaluate(() => {
    for (const view of document.querySelectorAll('.monaco-editor .view-lines .view-line')) {
      for (const span of view.querySelectorAll('span')) {
        const after = getComputedStyle(span, '::after').content;
        if (after && after !== 'none' && after !== 'normal' && /[✓✗◐?]/.test(after)) return after.replace(/^"|"$/g, '');
        if (span.children.length === 0 && /^\s*[0-9a-f]{7} {2}.*[✓✗◐?] /.test(span.textContent ?? '')) return span.textContent;
      }
    }
    return null;
  });
  let annotation = null;
  await ui.check('the current-line annotation says where the line\'s commit is live: `✓ canary · ✗ production` style', async () => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !annotation) {
      annotation = await annotationText();
      if (!annotation) await DELAY(250);
    }
    if (!annotation) throw new Error('no annotation at the end of line 1');
    ui.log(`annotation: ${annotation}`);
    if (!annotation.startsWith(blamed.slice(0, 7)) || !/[✓✗◐?] \S+/.test(annotation)) {
      throw new Error(`unexpected annotation "${annotation}"`);
    }
  });

  // The Flightdeck section ends with its Copy SHA link (other hovers, e.g. a tooltip, may say "Flightdeck").
  const hoverWidget = page.locator('.monaco-hover:visible', { hasText: 'Copy SHA' }).first();
  /** Hovers the annotation with the mouse (just right of the line's text); the keyboard's Show Hover if that misses. */
  async function hoverAnnotation() {
    const box = await page.evaluate(() => {
      const view = [...document.querySelectorAll('.monaco-editor .view-lines .view-line')]
        .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)[0];
      // The line's own text is in token spans (`mtk…`); the annotation comes after them.
      const rects = [...(view?.querySelectorAll('span[class^="mtk"], span[class*=" mtk"]') ?? [])]
        .map((s) => s.getBoundingClientRect()).filter((r) => r.width > 0);
      if (rects.length === 0) return null;
      return { textEnd: Math.max(...rects.map((r) => r.right)), top: rects[0].top, height: rects[0].height };
    });
    if (box) {
      // The annotation starts 3em after the text: aim at its first characters (the SHA).
      await page.mouse.move(box.textEnd + 120, box.top + box.height / 2 + 30);
      await page.mouse.move(box.textEnd + 70, box.top + box.height / 2, { steps: 4 });
      if (await hoverWidget.waitFor({ timeout: 4000 }).then(() => true, () => false)) {
        await DELAY(400); // the hover fades in
        return 'mouse';
      }
    }
    await page.locator('.monaco-editor textarea').first().focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    await hoverWidget.waitFor({ timeout: 10_000 });
    await DELAY(400);
    return 'keyboard (Show Hover at the end of the line)';
  }

  await ui.check('hovering the annotation shows the blame hover: the line\'s commit and every environment', async () => {
    const how = await hoverAnnotation();
    ui.log(`blame hover shown by ${how}`);
    const text = (await hoverWidget.innerText()).replace(/\s+/g, ' ');
    ui.log(`blame hover: ${text.slice(0, 400)}`);
    for (const expected of ['was last changed in', blamed.slice(0, 7), subject, 'production', 'Copy SHA']) {
      if (!text.includes(expected)) throw new Error(`the hover does not say "${expected}": ${text}`);
    }
  });
  // The TypeScript server still starting adds a "Loading..." row under ours: let it finish for the picture.
  await page.locator('.monaco-hover:visible', { hasText: 'Loading...' }).waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
  await ui.screenshot('hover-blame-dark');

  await ui.check('the annotation and its hover read well in the light theme', async () => {
    await page.keyboard.press('Escape');
    await ui.setTheme('Default Light Modern');
    await page.locator('.monaco-editor textarea').first().focus();
    await page.keyboard.press('Control+Home');
    await DELAY(1500); // the theme reaches every widget
    await hoverAnnotation();
  });
  await ui.screenshot('hover-blame-light');
  await ui.setTheme('Default Dark Modern'); // the scenarios after this one expect the default theme
  await page.keyboard.press('Escape');

  // ── the SHA hover in an untitled editor ──────────────────────────────────────────────────────
  const short = blamed.slice(0, 7);
  const sentence = `Idempotency landed in ${short}; is it in production yet?`;
  await ui.check('a short SHA typed into an untitled editor gets the Flightdeck hover', async () => {
    await ui.typeInNewUntitled(sentence);
    const text = await ui.hoverToken(short, hoverWidget, 10_000);
    ui.log(`SHA hover: ${text.slice(0, 400)}`);
    for (const expected of [`commit ${short}`, subject, 'canary', 'production', 'Open Stage', 'Copy SHA']) {
      if (!text.includes(expected)) throw new Error(`the hover does not say "${expected}": ${text}`);
    }
  });
  await ui.screenshot('hover-sha-dark');
  await page.keyboard.press('Escape');
  await ui.palette('View: Revert and Close Editor').catch(() => {});
}
