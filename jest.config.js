import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// The test modules made from other files (the README's example as a test, libvirt's rpcgen
// suite compiled) are written here, before jest looks for test files: a globalSetup runs after
// that search and a test file it writes would not be run.
execFileSync(process.execPath, ['--import', 'tsx', 'scripts/generate-test-modules.ts'], {
  cwd: dirname(fileURLToPath(import.meta.url)),
  stdio: ['ignore', 'inherit', 'inherit'],
});

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151001] } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Builds dist/ before the tests when a selected test runs the built package and dist/ is not
  // a build of the current sources.
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  testTimeout: 60000,
};
