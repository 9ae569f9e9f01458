// The two things Flightdeck ships, each built from a clean stage in a temp dir: a production build of
// the working tree (so a dev build's leftovers in dist/, such as source maps, cannot ship) that leaves
// the dev build in dist/ alone (others may be running it). Both work offline.
//
//   node scripts/package.mjs            `npm run package`: flightdeck-<version>.vsix, checked (below)
//   node scripts/package.mjs --cli      `npm run pack:cli`: flightdeck-<version>.tgz, the `flightdeck`
//                                       command for npm (`npm install -g flightdeck-<version>.tgz`)
//   node scripts/package.mjs --test     the `package` test tier: the VSIX and its checks, then the UI
//                                       runner installs it into a fresh code-server (--vsix) and runs
//                                       the `packaged` scenario; prints `PACKAGE-TIER: N passed, M failed`
//
// Options: --out <dir> (where the file goes; default the repo root), --scenario <name> (with --test;
// repeatable; default `packaged`), --keep (keep the stage and print where it is), --base-images-url <url>
// (README images; default: vsce derives it from package.json's `repository`).
//
// The VSIX checks (each one counted; any failure makes the command fail): `vsce package` printed no
// warning; the VSIX holds exactly SHIPPED_VSIX (no node_modules, no maps, no sources); it is under
// 15 MB and its dist/extension.js under 400 KB; its README's images are absolute https URLs of files in
// docs/images/; the manifest has what the Marketplace and Open VSX show; and from the unpacked VSIX, `node extension/dist/cli.js --version`
// prints package.json's version and `serve` answers /healthz with it.
//
// Why no node_modules: esbuild bundles every runtime dependency into the bundles, and PGlite's
// assets are copied beside dist/server.js (the server half of dist/cli.js); pg's optional native binding (pg-native) is never loaded.
// Why the CLI gets a manifest of its own: vsce refuses a package.json `files` list next to a
// .vscodeignore, and the root manifest lists the bundled libraries as `dependencies`, which
// `npm install` of a tarball would fetch from the registry. The staged manifest has neither problem.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { inflateRawSync } from 'node:zlib';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const VSCE = join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
const MAX_VSIX_BYTES = 15 * 1024 * 1024;
/** The extension's own bundle, parsed at every activation: every backend client included, it stays under this. */
const MAX_EXTENSION_BUNDLE_BYTES = 400 * 1024;

/** Every file of the VSIX, exactly (vsce renames LICENSE to LICENSE.txt and lower-cases readme/changelog). */
export const SHIPPED_VSIX = [
  '[Content_Types].xml',
  'extension.vsixmanifest',
  'extension/package.json',
  'extension/readme.md',
  'extension/changelog.md',
  'extension/LICENSE.txt',
  'extension/dist/extension.js',
  'extension/dist/cli.js',
  'extension/dist/server.js',
  'extension/dist/webview.js',
  'extension/dist/pglite.wasm',
  'extension/dist/initdb.wasm',
  'extension/dist/pglite.data',
  'extension/dist/codicons/codicon.css',
  'extension/dist/codicons/codicon.ttf',
  'extension/media/icon.png',
  'extension/media/flightdeck.svg',
  'extension/media/stage.css',
  'extension/media/walkthrough/ladder.md',
  'extension/media/walkthrough/server.md',
  'extension/media/walkthrough/report.md',
  'extension/media/walkthrough/promote.md',
].sort();

/** What dist/cli.js needs beside it at run time: the server half it loads for `serve` (dist/server.js) and
 * PGlite's assets (each one: `serve` fails at start without it). */
const CLI_ASSETS = ['dist/cli.js', 'dist/server.js', 'dist/pglite.wasm', 'dist/initdb.wasm', 'dist/pglite.data'];
/** Every file of the npm tarball, exactly (npm puts them under package/). */
export const SHIPPED_CLI = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', ...CLI_ASSETS].sort();

/** Top-level entries of the repo that the stage does not link: build output, caches, test output. */
const NOT_STAGED = new Set(['.git', 'dist', 'out', '.vscode-test', 'test-results', '.flightdeck-demo', '.tmp', 'coverage']);

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

// ── the build ───────────────────────────────────────────────────────────────────────────────────

/**
 * `node esbuild.mjs --production` in <stage>/build, a folder that links every source entry of the repo
 * (src, webview, scripts, node_modules, …) but has a dist/ of its own, empty at the start.
 */
export function buildProduction(stage) {
  const build = join(stage, 'build');
  mkdirSync(build, { recursive: true });
  for (const name of readdirSync(REPO_ROOT)) {
    if (NOT_STAGED.has(name) || /\.(vsix|tgz)$/.test(name)) continue;
    symlinkSync(join(REPO_ROOT, name), join(build, name));
  }
  const result = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: build, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node esbuild.mjs --production failed:\n${result.stdout}${result.stderr}`);
  return join(build, 'dist');
}

// ── the VSIX ────────────────────────────────────────────────────────────────────────────────────

/** Whether `unshare -rn` can run a command with no network here (a fresh, empty network namespace). */
function canIsolateNetwork() {
  return spawnSync('unshare', ['-rn', 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * Stages what vsce packs (real copies: vsce does not follow symlinked folders) and runs
 * `vsce package --no-dependencies`. Returns the VSIX's path and vsce's output.
 */
export function packageVsix({ stage, dist, outDir, baseImagesUrl, isolateNetwork = false }) {
  const manifest = readJson(join(REPO_ROOT, 'package.json'));
  const pack = join(stage, 'vsix');
  mkdirSync(pack, { recursive: true });
  for (const name of ['package.json', '.vscodeignore', 'README.md', 'CHANGELOG.md', 'LICENSE', 'media']) {
    cpSync(join(REPO_ROOT, name), join(pack, name), { recursive: true });
  }
  cpSync(dist, join(pack, 'dist'), { recursive: true });
  const vsix = join(outDir, `${manifest.name}-${manifest.version}.vsix`);
  const vsceArgs = [VSCE, 'package', '--no-dependencies', '--out', vsix, ...(baseImagesUrl ? ['--baseImagesUrl', baseImagesUrl] : [])];
  const [command, args] = isolateNetwork ? ['unshare', ['-rn', process.execPath, ...vsceArgs]] : [process.execPath, vsceArgs];
  // stdin closed: were vsce ever to ask "Do you want to continue? [y/N]", the answer is no, not a hang.
  const result = spawnSync(command, args, { cwd: pack, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0 || !existsSync(vsix)) throw new Error(`vsce package failed (exit code ${result.status}):\n${output}`);
  return { vsix, output };
}

/** The entries of a zip file (a VSIX is one): name → contents. Only what vsce writes: stored or deflated. */
export function readZip(file) {
  const zip = readFileSync(file);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end -= 1;
  if (end < 0) throw new Error(`${file} is not a zip file`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map();
  for (let i = 0; i < count; i += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(data, data + size);
    if (name.endsWith('/')) continue;
    entries.set(name, method === 0 ? raw : method === 8 ? inflateRawSync(raw) : (() => { throw new Error(`${name}: zip method ${method}`); })());
  }
  return entries;
}

function unpack(entries, dir) {
  for (const [name, contents] of entries) {
    const target = join(dir, name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, contents);
  }
}

// ── the CLI tarball ─────────────────────────────────────────────────────────────────────────────

/** The npm manifest of the `flightdeck` command: the root's identity, no dependencies (all bundled). */
export function cliManifest(root = readJson(join(REPO_ROOT, 'package.json'))) {
  const pick = (...names) => Object.fromEntries(names.filter((name) => root[name] !== undefined).map((name) => [name, root[name]]));
  return {
    ...pick('name', 'version'),
    description: 'The Flightdeck release server and command line: an Aviator-compatible Releases API with '
      + 'dogfood → canary → rollout → production strategies, on embedded PostgreSQL (PGlite) or a PostgreSQL server.',
    ...pick('license', 'repository', 'bugs', 'homepage', 'keywords'),
    bin: root.bin,
    engines: { node: root.engines?.node ?? '>=20' },
    files: CLI_ASSETS.concat(['README.md', 'CHANGELOG.md', 'LICENSE']),
  };
}

/** `npm pack` of the staged CLI package; returns the tarball's path and npm's account of it. */
export function packCli({ stage, dist, outDir }) {
  const pack = join(stage, 'cli');
  mkdirSync(join(pack, 'dist'), { recursive: true });
  writeFileSync(join(pack, 'package.json'), `${JSON.stringify(cliManifest(), null, 2)}\n`);
  for (const name of ['README.md', 'CHANGELOG.md', 'LICENSE']) cpSync(join(REPO_ROOT, name), join(pack, name));
  for (const name of CLI_ASSETS) cpSync(join(dist, name.replace(/^dist\//, '')), join(pack, name));
  const json = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', outDir],
    { cwd: pack, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [info] = JSON.parse(json);
  return { tarball: join(outDir, info.filename), info };
}

// ── checks ──────────────────────────────────────────────────────────────────────────────────────

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    const detail = await fn();
    passed += 1;
    console.log(`  ✔ ${name}${detail ? ` (${detail})` : ''}`);
    return true;
  } catch (error) {
    failed += 1;
    console.log(`  ✘ ${name}\n      ${String(error?.message ?? error).split('\n').join('\n      ')}`);
    return false;
  }
}

/** A path as the user would type it: relative to the current folder when inside it. */
const shown = (file) => (relative(process.cwd(), file).startsWith('..') ? file : relative(process.cwd(), file));
const megabytes = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

/** `flightdeck serve` from `cli` on a fresh data dir: its /healthz body. */
export async function serveHealthz(cli, dataDir, { command = [process.execPath, cli] } = {}) {
  const child = spawn(command[0], [...command.slice(1), 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], {
    cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLIGHTDECK_ADMIN_TOKEN: '' },
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => { out += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk) => { out += chunk; });
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const url = /^listening on (http:\/\/\S+)$/m.exec(out)?.[1];
      if (url) return await (await fetch(`${url}/healthz`)).json();
      if (child.exitCode !== null) break;
      await new Promise((done) => setTimeout(done, 100));
    }
    throw new Error(`\`serve\` did not print "listening on …"${child.exitCode !== null ? ` and exited with ${child.exitCode}` : ' within 60 s'}:\n${out.slice(-2000)}`);
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((done) => setTimeout(done, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }
}

/** Everything the Marketplace and Open VSX show from the manifest. */
function manifestProblems(manifest) {
  const problems = [];
  const need = (ok, message) => { if (!ok) problems.push(message); };
  need(typeof manifest.repository?.url === 'string' || typeof manifest.repository === 'string', '`repository` is missing');
  need(manifest.bugs?.url || typeof manifest.bugs === 'string', '`bugs` is missing');
  need(typeof manifest.homepage === 'string', '`homepage` is missing');
  need(manifest.qna !== undefined, '`qna` is missing');
  need(/^#[0-9a-f]{6}$/i.test(manifest.galleryBanner?.color ?? '') && ['dark', 'light'].includes(manifest.galleryBanner?.theme), '`galleryBanner` needs a #rrggbb color and a dark/light theme');
  need(manifest.icon && existsSync(join(REPO_ROOT, manifest.icon)) && manifest.icon.endsWith('.png'), '`icon` must be a PNG that exists');
  need(Array.isArray(manifest.categories) && manifest.categories.length > 0, '`categories` is empty');
  need(Array.isArray(manifest.keywords) && manifest.keywords.length > 0 && manifest.keywords.length <= 30, '`keywords`: 1 to 30 of them');
  need(JSON.stringify(manifest.extensionKind) === '["workspace"]', '`extensionKind` must be ["workspace"] (it runs git and a server where the code is)');
  return problems;
}

/** Builds the VSIX into outDir and checks it; the checks are counted (see the top of this file). */
async function vsixWithChecks({ outDir, baseImagesUrl, keep, isolate }) {
  const stage = mkdtempSync(join(tmpdir(), 'flightdeck-package-'));
  try {
    const manifest = readJson(join(REPO_ROOT, 'package.json'));
    console.log(`Building ${manifest.name} ${manifest.version} (production) in ${keep ? stage : 'a temp stage'}…`);
    const dist = buildProduction(stage);
    const isolateNetwork = isolate && canIsolateNetwork();
    const { vsix, output } = packageVsix({ stage, dist, outDir, baseImagesUrl, isolateNetwork });
    console.log(output.trim().split('\n').map((line) => `  vsce │ ${line}`).join('\n'));
    const entries = readZip(vsix);
    const size = statSync(vsix).size;
    console.log(`\nVSIX: ${shown(vsix)} — ${megabytes(size)} (${entries.size} files, ${megabytes([...entries.values()].reduce((sum, b) => sum + b.length, 0))} unpacked)\n`);

    await check('vsce package printed no warning', () => {
      const warnings = output.split('\n').filter((line) => /\bWARN(ING)?\b|\bERROR\b/i.test(line));
      if (warnings.length > 0) throw new Error(warnings.join('\n'));
    });
    if (isolate) {
      await check('vsce package needs no network', () => {
        if (!isolateNetwork) return 'not verified here: `unshare -rn` is not available';
        return 'it ran in an empty network namespace';
      });
    }
    await check('the VSIX holds exactly the bundles, the PGlite assets, media, README, CHANGELOG and LICENSE', () => {
      const names = [...entries.keys()].sort();
      const extra = names.filter((name) => !SHIPPED_VSIX.includes(name));
      const missing = SHIPPED_VSIX.filter((name) => !names.includes(name));
      if (extra.length || missing.length) throw new Error(`unexpected: ${JSON.stringify(extra)}; missing: ${JSON.stringify(missing)}`);
    });
    await check('the VSIX is under 15 MB', () => {
      if (size > MAX_VSIX_BYTES) throw new Error(`${megabytes(size)}`);
      return megabytes(size);
    });
    await check('its dist/extension.js is under 400 KB (every backend client included)', () => {
      const bundle = entries.get('extension/dist/extension.js');
      if (!bundle) throw new Error('the VSIX has no extension/dist/extension.js');
      if (bundle.length > MAX_EXTENSION_BUNDLE_BYTES) throw new Error(`${(bundle.length / 1024).toFixed(1)} KB`);
      return `${(bundle.length / 1024).toFixed(1)} KB`;
    });
    await check('its manifest has what the Marketplace and Open VSX show (repository, banner, icon, categories…)', () => {
      const packed = JSON.parse(entries.get('extension/package.json').toString('utf8'));
      const problems = manifestProblems(packed);
      if (packed.version !== manifest.version) problems.push(`version ${packed.version}, package.json says ${manifest.version}`);
      if (problems.length) throw new Error(problems.join('\n'));
    });
    await check('its README shows the screenshots by absolute https URLs of files in docs/images/', () => {
      const readme = entries.get('extension/readme.md').toString('utf8');
      const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)/g)].map((match) => match[1]);
      if (images.length === 0) throw new Error('the README shows no image');
      for (const url of images) {
        if (!url.startsWith('https://')) throw new Error(`not an absolute https URL: ${url}`);
        const local = /\/(docs\/images\/[^?#]+)$/.exec(url)?.[1];
        if (!local || !existsSync(join(REPO_ROOT, local))) throw new Error(`${url}: no ${local ?? 'docs/images/…'} in the repository`);
      }
      return `${images.length} image(s)`;
    });

    const unpacked = join(stage, 'unpacked');
    unpack(entries, unpacked);
    const cli = join(unpacked, 'extension', 'dist', 'cli.js');
    await check('from the unpacked VSIX, `node dist/cli.js --version` prints package.json\'s version', () => {
      const printed = execFileSync(process.execPath, [cli, '--version'], { encoding: 'utf8' }).trim();
      if (printed !== manifest.version) throw new Error(`printed "${printed}"`);
      return printed;
    });
    await check('from the unpacked VSIX, `serve` (PGlite from the packaged assets) answers /healthz with that version', async () => {
      const dataDir = join(stage, 'serve-data');
      mkdirSync(dataDir);
      const health = await serveHealthz(cli, dataDir);
      if (health?.ok !== true || health.version !== manifest.version) throw new Error(`/healthz: ${JSON.stringify(health)}`);
      return JSON.stringify(health);
    });
    return vsix;
  } finally {
    if (keep) console.log(`stage kept: ${stage}`);
    else rmSync(stage, { recursive: true, force: true });
  }
}

/** The UI runner on the installed VSIX; its checks are added to ours. */
function runUi(vsix, scenarios) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'test/vscode/ui/run-ui.mjs'), '--vsix', vsix,
      ...scenarios.flatMap((name) => ['--scenario', name])], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => { output += chunk; process.stdout.write(chunk); });
    // Stopped from outside (the tier's timeout): pass it on so the runner stops code-server and Chromium.
    const forward = (signal) => child.kill(signal);
    process.on('SIGTERM', forward);
    process.on('SIGINT', forward);
    child.on('close', (code) => {
      process.off('SIGTERM', forward);
      process.off('SIGINT', forward);
      const counts = [...output.matchAll(/^UI-TIER: (\d+) passed, (\d+) failed(?:, \d+ skipped)?\s*$/gm)].at(-1);
      if (!counts) {
        failed += 1;
        console.log(`  ✘ the UI run on the VSIX printed no count (exit code ${code})`);
        return done();
      }
      passed += Number(counts[1]);
      failed += Number(counts[2]) + (code !== 0 && Number(counts[2]) === 0 ? 1 : 0);
      done();
    });
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      cli: { type: 'boolean' },
      test: { type: 'boolean' },
      out: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      keep: { type: 'boolean' },
      'base-images-url': { type: 'string' },
    },
  });
  const outDir = resolve(values.out ?? REPO_ROOT);
  mkdirSync(outDir, { recursive: true });

  if (values.cli) {
    const stage = mkdtempSync(join(tmpdir(), 'flightdeck-pack-cli-'));
    try {
      const dist = buildProduction(stage);
      const { tarball, info } = packCli({ stage, dist, outDir });
      const files = info.files.map((file) => file.path).sort();
      console.log(files.map((file) => `  ${file}`).join('\n'));
      console.log(`npm tarball: ${shown(tarball)} — ${megabytes(info.size)} (${files.length} files, ${megabytes(info.unpackedSize)} unpacked)`);
      const extra = files.filter((file) => !SHIPPED_CLI.includes(file));
      const missing = SHIPPED_CLI.filter((file) => !files.includes(file));
      if (extra.length || missing.length) {
        console.error(`the tarball should hold exactly ${SHIPPED_CLI.join(', ')}; unexpected: ${JSON.stringify(extra)}; missing: ${JSON.stringify(missing)}`);
        process.exitCode = 1;
      }
    } finally {
      if (values.keep) console.log(`stage kept: ${stage}`);
      else rmSync(stage, { recursive: true, force: true });
    }
    return;
  }

  if (values.test) {
    // The tier's VSIX goes to a temp dir: a test run must not replace the one `npm run package` made.
    const testOut = values.out ? outDir : mkdtempSync(join(tmpdir(), 'flightdeck-package-test-'));
    let vsix;
    try {
      console.log('▶ the VSIX');
      vsix = await vsixWithChecks({ outDir: testOut, baseImagesUrl: values['base-images-url'], keep: values.keep, isolate: true });
    } catch (error) {
      failed += 1;
      console.log(`  ✘ building the VSIX: ${error?.message ?? error}`);
    }
    if (vsix) await runUi(vsix, values.scenario ?? ['packaged']);
    if (!values.out) rmSync(testOut, { recursive: true, force: true });
    console.log(`PACKAGE-TIER: ${passed} passed, ${failed} failed`);
    process.exitCode = failed > 0 ? 1 : 0;
    return;
  }

  await vsixWithChecks({ outDir, baseImagesUrl: values['base-images-url'], keep: values.keep, isolate: false });
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main();
  } catch (error) {
    console.error(`package: ${error?.message ?? error}`);
    process.exitCode = 1;
  }
}
