// npm run bench:extension — the extension's three figures:
//   1. dist/extension.js size in production mode (goal < 400 KB),
//   2. activation until the tree's first data request, from before the bundle loads (its load, compile
//      and evaluation, then activate() until the request), measured inside VS Code (goal < 50 ms),
//   3. tree build for 200 projects × 10 environments: the model's refresh against a real server (a data
//      dir seeded here, served inside the test run) and every tree item (goal < 50 ms).
// (2) and (3) run in code-server's real extension host through the VS Code harness
// (test/vscode/bench/index.ts), with FLIGHTDECK_SERVER pointing at a real server so the first request
// goes out without the embedded start. Missing figures or a failed check inside VS Code fail the bench.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as esbuild from 'esbuild';
import type { ProjectSpec } from '../src/api/schemas';
import { ReleaseService } from '../src/server/service/release-service';
import { Store } from '../src/server/store';
import { environmentSpec } from '../test/shared/contractFixtures';
import { machine, reportResult } from './report';

const root = path.resolve(__dirname, '..');
const PROJECTS = 200;
const ENVIRONMENTS = 10;
const GOALS = { sizeKb: 400, firstRequestMs: 50, treeBuildMs: 50 };

/** 200 projects × 10 environments, each running a candidate: written straight into a data dir. */
async function seed(dataDir: string): Promise<void> {
  const store = await Store.open({ dataDir });
  const service = new ReleaseService(store);
  try {
    const spec: ProjectSpec = {
      repo: 'acme/service', description: 'benchmark project',
      environments: Array.from({ length: ENVIRONMENTS }, (_, position) => environmentSpec({ name: `env-${position}`, position })),
    };
    for (let p = 0; p < PROJECTS; p++) {
      const name = `project-${String(p).padStart(3, '0')}`;
      await service.putProject(name, spec);
      await service.createCandidate(name, '1.0.0-rc1', { commit: p.toString(16).padStart(40, '0') });
      await store.write(async (writer) => {
        const project = await writer.findProject(name);
        const candidate = project && await writer.findCandidate(project.id, '1.0.0-rc1');
        if (!project || !candidate) throw new Error(`${name} vanished`);
        const at = new Date(Date.now() - 3_600_000);
        const rows = (await writer.environmentsOf(project.id)).map((env) => ({
          projectId: project.id, environmentId: env.id, candidate, from: undefined, status: 'success' as const, kind: 'deploy' as const,
          actor: 'ci', at, endAt: at, errorMessage: null, rollout: null,
        }));
        await writer.insertDeploymentsInBulk(rows);
        writer.recordEvent('project.updated', name, null, at);
      });
    }
  } finally {
    service.dispose();
    await store.close();
  }
}

async function main(): Promise<void> {
  execFileSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: root, stdio: 'inherit' });
  const sizeKb = fs.statSync(path.join(root, 'dist/extension.js')).size / 1024;
  await esbuild.build({
    entryPoints: [path.join(root, 'test/vscode/bench/index.ts')], outfile: path.join(root, 'out/test/vscode/bench/index.js'),
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning',
  });
  const token = `bench-${Date.now()}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-bench-ext-'));
  const seededDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-bench-ext-tree-'));
  await seed(seededDir);
  const server = spawn(process.execPath, [path.join(root, 'dist/cli.js'), 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, FLIGHTDECK_ADMIN_TOKEN: token }, stdio: ['ignore', 'pipe', 'ignore'],
  });
  let output = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: server.stdout! }).on('line', (line) => {
        const m = /^listening on (\S+)$/.exec(line.trim());
        if (m?.[1]) resolve(m[1]);
      });
      server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    output = execFileSync(process.execPath, [path.join(root, 'test/vscode/harness/run-suites.mjs'), '--tests', path.join(root, 'out/test/vscode/bench/index.js')], {
      cwd: root, encoding: 'utf8', env: { ...process.env, FLIGHTDECK_SERVER: url, FLIGHTDECK_BENCH_DATA_DIR: seededDir }, stdio: ['ignore', 'pipe', 'inherit'],
    });
  } finally {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(seededDir, { recursive: true, force: true });
  }
  const line = output.split('\n').find((l) => l.includes('EXTENSION-BENCH '));
  if (!line) throw new Error(`no figures from inside VS Code:\n${output}`);
  const figures = JSON.parse(line.slice(line.indexOf('EXTENSION-BENCH ') + 'EXTENSION-BENCH '.length)) as {
    vscode: string; bundleLoadMs: number; activateToRequestMs: number | null; firstRequestMs: number | null;
    treeBuildMedianMs: number | null; treeBuildMaxMs: number | null; failures: string[];
  };
  if (figures.firstRequestMs === null || figures.treeBuildMedianMs === null || figures.failures.length > 0) {
    throw new Error(`the extension bench inside VS Code did not measure everything: ${JSON.stringify(figures)}`);
  }
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  const row = (name: string, value: string, goal: string, ok: boolean): string => `${name.padEnd(60)} ${value.padStart(10)}   ${goal.padEnd(10)} ${ok ? 'ok' : 'MISSED'}`;
  console.log(`\nFlightdeck extension benchmark (VS Code ${figures.vscode}, production build); ${machine()}`);
  console.log(row('dist/extension.js size', `${sizeKb.toFixed(0)} KB`, `< ${GOALS.sizeKb} KB`, sizeKb < GOALS.sizeKb));
  console.log(row('bundle load (read, compile, evaluate a fresh copy)', ms(figures.bundleLoadMs), '', true));
  console.log(row('activate() until the tree\'s first data request', ms(figures.activateToRequestMs ?? Number.NaN), '', true));
  console.log(row('activation from before the bundle loads until the first request', ms(figures.firstRequestMs), `< ${GOALS.firstRequestMs} ms`, figures.firstRequestMs < GOALS.firstRequestMs));
  console.log(row(`tree build incl. refresh, ${PROJECTS} × ${ENVIRONMENTS} (median of 7; max)`, `${ms(figures.treeBuildMedianMs)}; ${ms(figures.treeBuildMaxMs ?? Number.NaN)}`, `< ${GOALS.treeBuildMs} ms`, figures.treeBuildMedianMs < GOALS.treeBuildMs));
  reportResult({ bench: 'extension', what: '`dist/extension.js`, production build', figure: `${sizeKb.toFixed(0)} KB`, goal: `< ${GOALS.sizeKb} KB`, met: sizeKb < GOALS.sizeKb });
  reportResult({ bench: 'extension', what: `activation until the tree's first data request, from before the bundle loads (VS Code ${figures.vscode})`, figure: `${ms(figures.firstRequestMs)} (bundle load ${ms(figures.bundleLoadMs)} + activate ${ms(figures.activateToRequestMs ?? Number.NaN)})`, goal: `< ${GOALS.firstRequestMs} ms`, met: figures.firstRequestMs < GOALS.firstRequestMs });
  reportResult({ bench: 'extension', what: `tree build, ${PROJECTS} projects × ${ENVIRONMENTS} environments: the model's refresh from a real server and every item (median of 7)`, figure: `${ms(figures.treeBuildMedianMs)} (max ${ms(figures.treeBuildMaxMs ?? Number.NaN)})`, goal: `< ${GOALS.treeBuildMs} ms`, met: figures.treeBuildMedianMs < GOALS.treeBuildMs });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
