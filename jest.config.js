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
  // The browser test needs Chromium (apt package): `npm run test:browser`, run by .ci/run.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser/'],
  testTimeout: 30000,
};
