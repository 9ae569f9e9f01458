// npm run bench:extension — the extension's three figures:
//   1. dist/extension.js size in production mode (goal < 400 KB),
//   2. activation time until the tree's first data request, measured inside VS Code (goal < 50 ms),
//   3. tree build time for 200 projects × 10 environments (goal < 50 ms).
// (2) and (3) run in code-server's real extension host through the VS Code harness, with
// FLIGHTDECK_SERVER pointing at a real server so the first request goes out without the embedded start.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as esbuild from 'esbuild';

const root = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  execFileSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: root, stdio: 'inherit' });
  const sizeKb = fs.statSync(path.join(root, 'dist/extension.js')).size / 1024;
  await esbuild.build({
    entryPoints: [path.join(root, 'test/vscode/bench/index.ts')], outfile: path.join(root, 'out/test/vscode/bench/index.js'),
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning',
  });
  const token = `bench-${Date.now()}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flightdeck-bench-ext-'));
  const server = spawn(process.execPath, [path.join(root, 'dist/cli.js'), 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, FLIGHTDECK_ADMIN_TOKEN: token }, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: server.stdout! }).on('line', (line) => {
      const m = /^listening on (\S+)$/.exec(line.trim());
      if (m?.[1]) resolve(m[1]);
    });
    server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  let output = '';
  try {
    output = execFileSync(process.execPath, [path.join(root, 'test/vscode/harness/run-suites.mjs'), '--tests', path.join(root, 'out/test/vscode/bench/index.js')], {
      cwd: root, encoding: 'utf8', env: { ...process.env, FLIGHTDECK_SERVER: url, FLIGHTDECK_TOKEN: token }, stdio: ['ignore', 'pipe', 'inherit'],
    });
  } finally {
    server.kill('SIGTERM');
  }
  const line = output.split('\n').find((l) => l.includes('EXTENSION-BENCH '));
  if (!line) throw new Error(`no figures from inside VS Code:\n${output}`);
  const figures = JSON.parse(line.slice(line.indexOf('EXTENSION-BENCH ') + 'EXTENSION-BENCH '.length)) as Record<string, number | string | null>;
  const row = (name: string, value: string, goal: string, ok: boolean): string => `${name.padEnd(44)} ${value.padStart(10)}   ${goal.padEnd(10)} ${ok ? 'ok' : 'MISSED'}`;
  console.log(`\nFlightdeck extension benchmark (VS Code ${figures.vscode}, production build)`);
  console.log(row('dist/extension.js size', `${sizeKb.toFixed(0)} KB`, '< 400 KB', sizeKb < 400));
  console.log(row('activate() until the first refresh is started', `${Number(figures.activateMs).toFixed(1)} ms`, '', true));
  console.log(row('activation until the tree\'s first data request', `${Number(figures.firstRequestMs).toFixed(1)} ms`, '< 50 ms', Number(figures.firstRequestMs) < 50));
  console.log(row('tree build, 200 projects × 10 environments', `${Number(figures.treeBuildMedianMs).toFixed(1)} ms`, '< 50 ms', Number(figures.treeBuildMedianMs) < 50));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
