// The extension benchmark's half that runs inside VS Code (started by bench/extension.bench.ts through
// the VS Code harness):
//   - activation until the tree's first data request, from before the bundle loads: fresh copies of
//     dist/extension.js required here (the median of three) (read, compile, evaluate: what the extension host does before it
//     calls activate()) plus the real activation's activate() → first overview request;
//   - tree build for 200 projects × 10 environments: the real model on a real session against a real
//     server (`flightdeck serve` on the data dir the bench prepared, FLIGHTDECK_BENCH_DATA_DIR): from an
//     emptied model, its refresh (the overview fetched and parsed) and every tree item of the provider.
// Prints `EXTENSION-BENCH {json}` with the figures, and the tier line from the checks it made.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FlightdeckApi } from '../../../src/extension/main';
import { ReleaseTreeProvider } from '../../../src/extension/tree/provider';
import { repoRoot, startRealServer } from '../suite/realServer';

const PROJECTS = 200;
const ENVIRONMENTS = 10;
const SAMPLES = 7;

/** Read, compile and evaluate a fresh copy of the bundle (a new path: nothing cached), without activating it. */
function bundleLoadMs(): number {
  const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-bench-bundle-')), 'extension.js');
  fs.copyFileSync(path.join(repoRoot(), 'dist', 'extension.js'), copy);
  const start = performance.now();
  createRequire(__filename)(copy);
  const elapsed = performance.now() - start;
  fs.rmSync(path.dirname(copy), { recursive: true, force: true });
  return elapsed;
}

async function until(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** From an emptied model: the refresh against the server, then every item the provider shows. */
async function treeBuildMs(api: FlightdeckApi): Promise<number> {
  api.model.clear();
  const provider = new ReleaseTreeProvider(api.model);
  const start = performance.now();
  await api.model.refresh();
  const roots = await provider.getChildren();
  let items = 0;
  for (const root of roots) {
    provider.getTreeItem(root);
    items += 1;
    for (const child of await provider.getChildren(root)) {
      provider.getTreeItem(child);
      items += 1;
    }
  }
  const elapsed = performance.now() - start;
  provider.dispose();
  if (api.model.state !== 'ready') throw new Error(`the model is ${api.model.state} (${api.model.lastError ?? ''}) after the refresh`);
  if (items !== PROJECTS * (1 + ENVIRONMENTS)) throw new Error(`built ${items} items, expected ${PROJECTS * (1 + ENVIRONMENTS)}`);
  return elapsed;
}

export async function run(): Promise<void> {
  console.log(`running inside VS Code ${vscode.version} (extension benchmark)`);
  const checks: string[] = [];
  const failures: string[] = [];
  const check = (name: string, ok: boolean, detail = ''): void => {
    (ok ? checks : failures).push(`${name}${detail ? `: ${detail}` : ''}`);
  };
  const api = await vscode.extensions.getExtension<FlightdeckApi>('flightdeck.flightdeck')!.activate();
  await until('the first overview request', () => api.model.firstFetchAt !== undefined, 30_000);
  check('the extension made its first overview request', api.model.firstFetchAt !== undefined);
  // The median of three fresh copies: one load is at the mercy of whatever else the host does just then.
  const loads = [bundleLoadMs(), bundleLoadMs(), bundleLoadMs()].sort((a, b) => a - b);
  const loadMs = loads[1] as number;

  const dataDir = process.env.FLIGHTDECK_BENCH_DATA_DIR;
  if (!dataDir) throw new Error('FLIGHTDECK_BENCH_DATA_DIR is not set: run this through npm run bench:extension');
  const server = await startRealServer({ dataDir });
  const samples: number[] = [];
  try {
    await vscode.workspace.getConfiguration('flightdeck').update('server.url', server.url, vscode.ConfigurationTarget.Global);
    await until(`the model to show the ${PROJECTS} projects of ${server.url}`, () => api.model.state === 'ready' && api.model.allProjects.length === PROJECTS);
    for (let i = 0; i < SAMPLES; i++) samples.push(await treeBuildMs(api));
    check(`tree built ${SAMPLES} times from the server`, samples.length === SAMPLES);
  } catch (error) {
    check('tree build', false, error instanceof Error ? error.message : String(error));
  } finally {
    await vscode.workspace.getConfiguration('flightdeck').update('server.url', undefined, vscode.ConfigurationTarget.Global);
    await server.stop();
  }
  samples.sort((a, b) => a - b);
  const activateToRequestMs = api.model.firstFetchAt !== undefined ? api.model.firstFetchAt - api.activatedAt : null;
  const result = {
    vscode: vscode.version,
    bundleLoadMs: loadMs,
    bundleLoadsMs: loads,
    activateToRequestMs,
    firstRequestMs: activateToRequestMs === null ? null : loadMs + activateToRequestMs,
    treeBuildMedianMs: samples.length > 0 ? samples[Math.floor(samples.length / 2)] : null,
    treeBuildMaxMs: samples.length > 0 ? samples[samples.length - 1] : null,
    failures,
  };
  console.log(`EXTENSION-BENCH ${JSON.stringify(result)}`);
  console.log(`VSCODE-TIER: ${checks.length} passed, ${failures.length} failed`);
  if (failures.length > 0) throw new Error(`extension bench: ${failures.join('; ')}`);
}
