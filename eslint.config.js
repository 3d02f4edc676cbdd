// Lint: type-aware rules that catch what the compiler does not (floating promises above all),
// and a boundary rule that keeps domain/ pure: no I/O, no Dapr, no express, no SDKs, no node:*.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.herald/**', 'jest.config.js', 'eslint.config.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // In-memory fakes and adapters implement async interfaces without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['apps/*/src/domain/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'http', 'https', 'net', 'crypto', 'child_process'], message: 'domain/ is pure: no Node I/O. Pass what you need in.' },
            { group: ['express', '@dapr/*', 'ioredis', 'pino', 'undici', '@sendgrid/*', 'twilio', '@azure/*'], message: 'domain/ is pure: keep frameworks, Dapr and SDKs in adapters/.' },
            { group: ['**/adapters/**'], message: 'domain/ must not depend on adapters.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
