// ESLint: recommended JS, typescript-eslint and Svelte rules, plus the layering of src/
// (app → lab/api; workers → lab + storage; lab → training) and a check for runtime import cycles.
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';

// Each zone: files under `target` may not import files under `from` (resolved paths, so relative imports count).
const layers = [
  { target: 'src/training', from: ['src/lab', 'src/workers', 'src/storage', 'src/app', 'src/cli'] },
  { target: 'src/lab', from: ['src/workers', 'src/storage', 'src/app', 'src/cli'] },
  // lab/api is the contract between the app and the workers: only itself and (type) imports from training
  { target: 'src/lab/api', from: 'src', except: ['./lab/api', './training'] },
  { target: 'src/storage', from: 'src/lab', except: ['./api'] },
  { target: 'src/storage', from: ['src/workers', 'src/app', 'src/cli'] },
  { target: 'src/workers', from: ['src/app', 'src/cli'] },
  // the app reaches the workers through `new URL('…worker.ts', import.meta.url)`, which is not an import
  { target: 'src/app', from: 'src/lab', except: ['./api'] },
  { target: 'src/app', from: ['src/workers', 'src/cli'] },
  { target: 'src/cli', from: ['src/app', 'src/workers', 'src/storage'] },
  // the service worker runs apart from everything: its own folder only
  { target: 'src/serviceWorker', from: 'src', except: ['./serviceWorker'] },
  { target: ['src/app', 'src/lab', 'src/workers', 'src/storage', 'src/training', 'src/cli'], from: 'src/serviceWorker' },
].map((zone) => ({ ...zone, message: `Layering: ${zone.target} may not import this (eslint.config.js lists what it may).` }));

// Where a layer may only borrow types, value imports are errors (`import type` is fine).
const typesOnly = (regex, message) => ['error', { patterns: [{ regex, allowTypeImports: true, message }] }];

export default defineConfig(
  {
    ignores: ['node_modules/', 'dist/', '.tmp/', 'test-results/', 'bench/results/', 'bench/gpu/dist/', 'bench/gpu/.cache/', 'public/', 'shared/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  svelte.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser, ...globals.node },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.svelte', '.json'] })],
      // no-cycle only follows files it can parse: ours are TypeScript (imports name the `.ts` file)
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: layers }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // `_name` is the project's mark for a binding left unused on purpose (`const { blob: _blob, ...rest } = r`)
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
    rules: {
      // flags every Map/Set, also scratch ones in pure helpers and private caches; reactive state here is reassigned, never mutated
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    files: ['src/lab/api/**'],
    rules: { '@typescript-eslint/no-restricted-imports': typesOnly('(^|/)training/', 'lab/api borrows only types from training.') },
  },
  {
    files: ['src/storage/**'],
    rules: { '@typescript-eslint/no-restricted-imports': typesOnly('(^|/)lab/api/', 'storage borrows only types from lab/api.') },
  },
);
