/**
 * Jest runs the TypeScript sources as native ES modules (the project is "type": "module" because
 * @platformatic/kafka and @middy/core ship ESM only); esbuild strips the types (jest.transform.js).
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': '<rootDir>/jest.transform.js',
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Fault experiments run whole stacks for minutes: `npm run test:faults` (jest.faults.config.js).
  // The browser test needs Chromium (apt package): `npm run test:browser`, run by .ci/run.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/', '<rootDir>/test/browser/'],
  setupFiles: ['<rootDir>/test/helpers/jest-env.ts'],
  testTimeout: 30000,
};
