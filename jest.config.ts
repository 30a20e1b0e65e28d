import type { Config } from 'jest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const { compilerOptions } = JSON.parse(readFileSync(join(__dirname, 'tsconfig.base.json'), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};

// Map the workspace path aliases (@otl/*) to their sources.
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, targets]) => [
    `^${alias.replace('/', '\\/')}$`,
    `<rootDir>/${targets[0]}`,
  ]),
);

const shared = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  moduleNameMapper,
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
};

const config: Config = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/*.unit.spec.ts'] },
    {
      // The deployment artefacts (Dockerfiles, docker-compose.yml, k8s/, the AsyncAPI document), checked
      // offline against their schemas and linters: no Postgres, Kafka or MailDev needed.
      ...shared,
      displayName: 'deploy',
      testMatch: ['**/*.deploy.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/tools/jest/slow-timeouts.ts'],
      slowTestThreshold: 60,
    },
    {
      ...shared,
      displayName: 'int',
      testMatch: ['**/*.int.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/tools/jest/slow-timeouts.ts'],
      slowTestThreshold: 30,
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['**/*.e2e.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/tools/jest/slow-timeouts.ts'],
      slowTestThreshold: 60,
    },
    {
      // Playwright driving Chromium against the running services (tools/stack/test.mjs provides it).
      ...shared,
      displayName: 'browser',
      testMatch: ['**/*.browser.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/tools/jest/slow-timeouts.ts'],
      slowTestThreshold: 90,
    },
  ],
};

export default config;
