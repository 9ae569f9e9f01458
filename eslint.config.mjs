// Lint rules that keep the layering of DESIGN.md true. Each room of src/ gets one `no-restricted-imports`
// block that spells out its "may import" column; only src/extension imports `vscode`; the webview (a browser
// bundle) takes the protocol and schemas from src/api and the pure modules of src/core listed below.
// Import cycles are checked by scripts/check-cycles.mjs (run with `npm run lint`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** DESIGN.md, "Layout and layering": each room and the rooms it may import (arrows only downwards). */
const ROOMS = [
  { room: 'api', mayImport: [] },
  { room: 'core', mayImport: ['api'] },
  { room: 'git', mayImport: ['core', 'api'] },
  { room: 'client', mayImport: ['api', 'core'] },
  { room: 'server', mayImport: ['api', 'core'] },
  { room: 'cli', mayImport: ['server', 'client', 'git', 'core', 'api'] },
  { room: 'extension', mayImport: ['client', 'git', 'core', 'api'] },
];
const ALL_ROOMS = ROOMS.map((r) => r.room);

/** What the webview bundle may import from src/: platform-free modules only (no Node, no vscode). */
const WEBVIEW_MAY_IMPORT = ['api/protocol', 'api/schemas', 'core/format', 'core/freshness', 'core/actionPlan', 'core/deploymentStatus',
  // Pure wording shared with the tree and the output channel:
  'core/health', 'core/promotion', 'core/eventText', 'core/approvals'];

function roomBlock({ room, mayImport }) {
  const forbidden = ALL_ROOMS.filter((other) => other !== room && !mayImport.includes(other));
  const pure = room === 'api' || room === 'core';
  return {
    files: [`src/${room}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        paths: room === 'extension' ? [] : [{ name: 'vscode', message: 'Only src/extension/ may import vscode.' }],
        patterns: [
          ...(forbidden.length > 0 ? [{
            regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
            message: `src/${room}/ may import only ${mayImport.length > 0 ? mayImport.map((r) => `src/${r}/`).join(', ') : 'zod'} (DESIGN.md, "Layout and layering").`,
          }] : []),
          { regex: '^(\\.\\./)+\\.\\./webview(/|$)', message: 'Nothing in src/ imports the webview bundle.' },
          ...(pure ? [{ regex: '^(node:|axios$|fastify|pg$|@electric-sql/)', message: `src/${room}/ is pure: no I/O, no Node modules.` }] : []),
        ],
      }],
    },
  };
}

export default tseslint.config(
  { ignores: ['.tmp/**', '.flightdeck-demo/**', 'dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...ROOMS.map(roomBlock),
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The webview runs in a browser; talk to the host through the protocol.' }],
        patterns: [
          { regex: '^node:', message: 'The webview runs in a browser: no Node modules.' },
          {
            regex: `^\\.\\./src/(?!(${WEBVIEW_MAY_IMPORT.join('|')})$)`,
            message: `The webview may import only ${WEBVIEW_MAY_IMPORT.map((m) => `src/${m}`).join(', ')} (pure, platform-free modules).`,
          },
        ],
      }],
    },
  },
);
