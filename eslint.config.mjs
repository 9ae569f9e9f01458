// Lint rules that keep the layering of DESIGN.md true: only src/extension imports `vscode`,
// and the webview (a browser bundle) takes only types and the protocol from src/api, and src/core/format.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    files: ['src/**/*.ts'],
    ignores: ['src/extension/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/extension/ may import vscode.' }] }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The webview runs in a browser; talk to the host through the protocol.' }],
        patterns: [{
          group: ['**/src/*', '!**/src/api', '!**/src/core', '**/src/api/*', '!**/src/api/protocol', '!**/src/api/schemas', '!**/src/api/types', '**/src/core/*', '!**/src/core/format',
            // Pure and platform-free, shared with the tree and the output channel:
            '!**/src/core/health', '!**/src/core/promotion', '!**/src/core/eventText'],
          message: 'The webview may import only types and the protocol from src/api/, and the pure wording of src/core/ (format, health, promotion, eventText).',
        }],
      }],
    },
  },
);
