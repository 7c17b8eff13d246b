import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist.*/', 'node_modules/', 'var/', 'migrations/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false }],
    },
  },
  // Module boundaries (docs/modules.md): a module's public surface is its `service.ts` (the one service
  // object, its event names and types) and `present.ts` (wire schemas and presenters). Everything else in a
  // module (schema.ts tables, routes.ts / *-routes.ts, rules, helpers) is private: another module, a command
  // or a seed reaches it through `ctx.services.<module>`. Type-only imports are erased at build time and
  // are allowed (a row type is a type, not a dependency on the table).
  {
    files: ['src/modules/**/*.ts'],
    ignores: ['src/modules/index.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [
        { regex: '^\\.\\./(?!\\.\\.?/)[^/]+/(?!(service|present)\\.js$)', allowTypeImports: true, message: "Another module's private file: go through its service.ts (ctx.services.<module>) or present.ts." },
        { regex: '(^|/)modules/[^/]+/(?!(service|present)\\.js$)', allowTypeImports: true, message: "Another module's private file: go through its service.ts (ctx.services.<module>) or present.ts." },
      ] }],
    },
  },
  {
    // Tables may reference another module's table in a foreign key (drizzle needs the table object);
    // that is the one run-time schema-to-schema import allowed, and only from schema.ts.
    files: ['src/modules/*/schema.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [
        { regex: '^\\.\\./(?!\\.\\.?/)[^/]+/(?!(service|present|schema)\\.js$)', allowTypeImports: true, message: "schema.ts may import another module's schema.ts (foreign keys) only." },
      ] }],
    },
  },
  {
    // Commands, seeds and the app shell use modules through their services only.
    files: ['src/*.ts', 'src/modules/index.ts', 'src/commands/**/*.ts', 'src/realtime/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [
        { regex: '(^|/)modules/[^/]+/(?!(service|present)\\.js$)', allowTypeImports: true, message: "A module's private file: go through ctx.services.<module> (its service.ts)." },
      ] }],
    },
  },
  {
    // The platform knows no module, not even its types.
    files: ['src/platform/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [
        { regex: '(^|/)modules/', message: 'src/platform/ imports no module.' },
      ] }],
    },
  },
);
