/**
 * `npm run test:faults`: the fault experiments of test/faults (whole local stacks under load and
 * injected faults, one scenario at a time). Not part of `npm test`; `.ci/run` runs them.
 * @type {import('jest').Config}
 */
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/faults/**/*.faults.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 300000,
  maxWorkers: 1,
};
