// Lint: type-aware rules that catch what the compiler does not (floating promises above all),
// and boundary rules: which package may use which, and domain/ pure (no I/O, no Dapr, no
// express, no SDKs, no node:*, of Herald's packages only the contracts).
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
  // Which package may use which (packages/README.md): each may import only those below it.
  ...Object.entries({
    contracts: [],
    service: ['contracts'],
    webhooks: ['contracts', 'service'],
    dapr: ['contracts', 'service'],
    stores: ['contracts', 'service', 'dapr'],
    'channel-runtime': ['contracts', 'service', 'dapr', 'stores'],
  }).map(([pkg, allowed]) => ({
    files: [`packages/${pkg}/src/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@herald/*', ...allowed.map((a) => `!@herald/${a}`)], message: `@herald/${pkg} may use only ${allowed.map((a) => `@herald/${a}`).join(', ') || 'no other Herald package'}.` },
            ...(pkg === 'contracts'
              ? [{ group: ['ioredis', 'redis', 'pino', 'express', '@dapr/*', 'undici', 'node:http', 'node:net', 'node:fs', 'node:child_process'], message: 'contracts are shapes and ids: no I/O.' }]
              : []),
          ],
        },
      ],
    },
  })),
  {
    files: ['apps/*/src/domain/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.test-helper.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'http', 'https', 'net', 'crypto', 'child_process'], message: 'domain/ is pure: no Node I/O. Pass what you need in.' },
            { group: ['express', '@dapr/*', 'ioredis', 'redis', 'pino', 'undici', '@sendgrid/*', 'twilio', '@azure/*'], message: 'domain/ is pure: keep frameworks, Dapr and SDKs in adapters/.' },
            { group: ['@herald/*', '!@herald/contracts'], message: 'domain/ is pure: of the Herald packages it uses only @herald/contracts.' },
            { group: ['**/adapters/**'], message: 'domain/ must not depend on adapters.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/*.test-helper.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
