// ESLint (flat config): the recommended JavaScript and typescript-eslint rules, untyped, plus one
// type-aware rule (no-floating-promises) on the product code; `tsc -b` (npm run typecheck) does the
// type checking. `npm run lint` caches results in node_modules/.cache/eslint/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'out/', '.e2e/', 'test-results/', 'bench-results/', 'models/', 'docs/', 'test/e2e/fixtures/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` marks a parameter or binding kept on purpose (tsc's noUnused* already agree).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // A `let` read by a closure before its one assignment (a timer handle) stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // The one type-aware rule, on the product code (tests' top-level node:test calls are left as they are):
    // a promise nobody awaits or catches is an unhandled rejection waiting to happen.
    files: ['extension/**/*.ts', 'server/**/*.ts', 'scripts/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    // Playwright's page.evaluate / waitForFunction callbacks run in the browser.
    files: ['test/e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
