// One build script for every bundle: the extension (Node, cjs, `vscode` external), the stage webview
// (browser iife), the `flightdeck` command (Node: dist/cli.js and the server half it loads, dist/server.js), and the VS Code test suites (run inside the extension host).
// Flags: --watch, --production (minified, no sourcemaps), --tests (also build test/vscode suites into out/).
import * as esbuild from 'esbuild';
import { readdirSync, statSync, mkdirSync, copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const withTests = process.argv.includes('--tests');

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const common = {
  bundle: true,
  define: { __FLIGHTDECK_VERSION__: JSON.stringify(version) },
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  legalComments: 'none',
};

/** Node bundles keep the PGlite WASM assets beside them (PGlite looks them up relative to its module). */
const nodeCommon = {
  ...common, platform: 'node', target: 'node20', format: 'cjs',
  // The client uses axios's fetch adapter; its platform-neutral build leaves out the Node adapter's
  // dependencies (form-data, mime-db, follow-redirects: about 150 KB of the extension bundle).
  alias: { axios: './node_modules/axios/dist/browser/axios.cjs' },
  define: { ...common.define, 'import.meta.url': 'importMetaUrl' },
  inject: ['scripts/esbuild/import-meta-url.js'],
};

function listTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return listTests(full);
    return name.endsWith('.test.ts') || name === 'index.ts' ? [full] : [];
  });
}

/**
 * The `flightdeck` command is two bundles: dist/cli.js (the client commands) and dist/server.js (the
 * server: fastify, PGlite, pg), which dist/cli.js requires from beside itself only for the commands that
 * need it, so `flightdeck --version` or `where` never parse megabytes they do not run. From source (tsx),
 * `import('./serverCommands')` is an ordinary import.
 */
const serverBundleApart = {
  name: 'server-bundle-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/serverCommands$/ }, () => ({ path: './server.js', external: true }));
  },
};

const builds = [
  { ...nodeCommon, entryPoints: ['src/extension/main.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...nodeCommon, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' },
    plugins: [serverBundleApart] },
  { ...nodeCommon, entryPoints: ['src/cli/serverCommands.ts'], outfile: 'dist/server.js',
    // pg's optional native binding is never used; PGlite's assets are copied below.
    external: ['pg-native'] },
  { ...common, platform: 'browser', target: 'es2022', format: 'iife', entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' },
];
if (withTests) {
  builds.push({ ...nodeCommon, entryPoints: listTests('test/vscode/suite'), outdir: 'out/test/vscode/suite',
    outbase: 'test/vscode/suite', external: ['vscode', 'mocha'], sourcemap: 'inline' });
}

/** PGlite loads `pglite.wasm`, `pglite.data` (and extension tarballs) from next to the bundle at run time. */
function copyPgliteAssets() {
  const from = 'node_modules/@electric-sql/pglite/dist';
  if (!existsSync(from)) return;
  mkdirSync('dist', { recursive: true });
  for (const name of readdirSync(from)) {
    if (/\.(wasm|data)$/.test(name)) copyFileSync(join(from, name), join('dist', name));
  }
}

/** The stage webview's icon font: @vscode/codicons' css + ttf, loaded from dist/codicons/ under the CSP. */
function copyCodicons() {
  const from = 'node_modules/@vscode/codicons/dist';
  mkdirSync('dist/codicons', { recursive: true });
  for (const name of ['codicon.css', 'codicon.ttf']) copyFileSync(join(from, name), join('dist/codicons', name));
}

// A production build must not leave a dev build's source maps beside it.
if (production && existsSync('dist')) for (const name of readdirSync('dist')) if (name.endsWith('.map')) rmSync(join('dist', name));
copyPgliteAssets();
copyCodicons();
if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
