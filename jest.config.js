// Unit tests run on the TypeScript sources through ts-jest (ESM); integration tests run
// against the real stack, one file at a time.
const tsJest = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: tsJest,
  moduleNameMapper: {
    '^@herald/shared$': '<rootDir>/packages/shared/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,packages}/*/src/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      testTimeout: 60_000,
      globalSetup: '<rootDir>/test/dist/harness/global-setup.js',
      globalTeardown: '<rootDir>/test/dist/harness/global-teardown.js',
    },
  ],
};
