// Unit tests run on the TypeScript sources through ts-jest (ESM); integration tests run
// against the real stack, one file at a time.
const tsJest = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: tsJest,
  moduleNameMapper: {
    // Each package of packages/ by its name, straight from its sources.
    '^@herald/(contracts|service|dapr|stores|webhooks|channel-runtime)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};
export default {
  // Integration tests wait on a real stack (bounded by their own deadlines); jest's is global.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,packages}/*/src/**/*.test.ts', '<rootDir>/test/{bench,tools}/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/dist/harness/global-setup.js',
      globalTeardown: '<rootDir>/test/dist/harness/global-teardown.js',
    },
  ],
};
