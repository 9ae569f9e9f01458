// Headless Chromium (Debian's, driven by playwright-core) pointed at a code-server workbench.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// --no-sandbox: we run as root in CI, where Chromium's sandbox refuses to start. The rest switch off
// background traffic (there is no network) and GPU/shm use that small CI machines lack.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

export async function launchChromium() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`);
  }
  // Chromium keeps its crash-report database and dconf cache under the XDG dirs (~/.config/chromium,
  // ~/.cache/dconf) whatever its profile dir is: give it throwaway ones.
  const home = mkdtempSync(join(tmpdir(), 'flightdeck-chromium-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    // Our runners close the browser themselves on SIGINT/SIGTERM, in order with code-server and the
    // servers; Playwright's own handlers would race them.
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
    env: {
      ...process.env,
      XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache'),
      XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: home, TMPDIR: home,
    },
  });
  // Removed when the browser goes, or at the latest when this process exits (runners call
  // process.exit() right after browser.close(), before the 'disconnected' event is delivered).
  const removeHome = () => rmSync(home, { recursive: true, force: true });
  process.once('exit', removeHome);
  browser.on('disconnected', () => { removeHome(); process.removeListener('exit', removeHome); });
  return browser;
}

/**
 * Built VS Code (1.10x) honours the URL payload's extensionTestsPath only when
 * developmentOptions.enableSmokeTestDriver is set, and code-server's CLI rejects the server flag that sets
 * it. So patch the workbench configuration <meta> in the page before the workbench reads it.
 * (Intercepting "/" with page.route() instead breaks the workbench's WebSocket.)
 * Side effect: the workbench then refuses every modal dialog ("refused to show dialog in tests"), so UI
 * runs that must click a confirmation leave this off; extensionDevelopmentPath works without it.
 */
export async function enableSmokeTestDriver(page) {
  await page.addInitScript(() => {
    const patch = () => {
      const meta = document.getElementById('vscode-workbench-web-configuration');
      if (!meta) return false;
      if (meta.dataset.flightdeckPatched) return true;
      const settings = JSON.parse(meta.getAttribute('data-settings'));
      settings.developmentOptions = { ...(settings.developmentOptions || {}), enableSmokeTestDriver: true };
      meta.setAttribute('data-settings', JSON.stringify(settings));
      meta.dataset.flightdeckPatched = '1';
      return true;
    };
    const observer = new MutationObserver(() => { if (patch()) observer.disconnect(); });
    observer.observe(document, { childList: true, subtree: true });
  });
}
