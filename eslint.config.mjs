import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * Module boundaries: an app never imports another app; shared libs never import
 * service code; layers only point downwards (app -> data-access -> platform -> util).
 * `type:platform` is the framework edge every service runs on (libs/platform: Nest, Fastify,
 * problem details, logs; libs/auth: tokens and guards). Domain code is not a project of its own:
 * it lives in `domain/` folders inside each app, held pure by the rule further down.
 * There is deliberately no "*" -> "*" catch-all: an untagged project fails lint.
 */
const depConstraints = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:store-webhook', onlyDependOnLibsWithTags: ['scope:store-webhook', 'scope:shared'] },
  { sourceTag: 'scope:account', onlyDependOnLibsWithTags: ['scope:account', 'scope:shared'] },
  { sourceTag: 'scope:license', onlyDependOnLibsWithTags: ['scope:license', 'scope:shared'] },
  { sourceTag: 'scope:po-intake', onlyDependOnLibsWithTags: ['scope:po-intake', 'scope:shared'] },
  { sourceTag: 'scope:reseller-intake', onlyDependOnLibsWithTags: ['scope:reseller-intake', 'scope:shared'] },
  { sourceTag: 'scope:tracking', onlyDependOnLibsWithTags: ['scope:tracking', 'scope:shared'] },
  { sourceTag: 'scope:portal', onlyDependOnLibsWithTags: ['scope:portal', 'scope:shared'] },
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:data-access', 'type:platform', 'type:util', 'type:testing'],
  },
  // type:testing holds spec helpers; only specs import it (the rule below keeps it out of the rest).
  {
    sourceTag: 'type:data-access',
    onlyDependOnLibsWithTags: ['type:data-access', 'type:platform', 'type:util', 'type:testing'],
  },
  { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:util', 'type:testing'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:testing'] },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:util', 'type:platform', 'type:data-access', 'type:testing'],
  },
];

const FOCUSED_OR_SKIPPED = ['xit', 'xdescribe', 'xtest', 'fit', 'fdescribe'];
const SPEC_FILES = ['**/*.spec.ts', '**/test/**/*.ts', '**/test-support/**/*.ts', 'libs/testing/**/*.ts'];
const NO_TEST_HELPERS = { name: '@otl/testing', message: 'Spec helpers stay out of production code.' };
const IO_MODULES = ['fs', 'net', 'http', 'https', 'http2', 'dns', 'child_process', 'worker_threads', 'os'];

/** Deciders are pure: no framework, no I/O, no clock, no randomness (time and ids are passed in). */
const domainPurity = {
  'no-restricted-imports': [
    'error',
    {
      paths: [
        NO_TEST_HELPERS,
        ...['typeorm', 'pg', 'kafkajs', 'fastify', 'nodemailer', 'prom-client', 'pino'].map((name) => ({
          name,
          message: 'Domain code does no I/O: keep it in the use case or adapter.',
        })),
        ...['@otl/event-store', '@otl/platform', '@otl/auth'].map((name) => ({
          name,
          message: 'Domain code depends on the contract only (@otl/contracts), never on the runtime.',
        })),
        ...['crypto', 'node:crypto'].map((name) => ({
          name,
          importNames: ['randomUUID', 'randomBytes', 'randomInt', 'getRandomValues', 'webcrypto'],
          message: 'Ids and secrets are made by the caller and passed in.',
        })),
        ...IO_MODULES.flatMap((name) => [name, `node:${name}`]).map((name) => ({
          name,
          message: 'Domain code does no I/O.',
        })),
      ],
      patterns: [
        { group: ['@nestjs/*', '@nestjs/**'], message: 'Domain code knows no framework.' },
        {
          // Relative imports may reach other domain folders only (not adapters, services, config).
          regex: '^(\\.\\./)+(?!\\.\\./)(?![\\w-]+/domain/)',
          message: 'Domain code imports only other domain code and @otl/contracts.',
        },
      ],
    },
  ],
  'no-restricted-syntax': [
    'error',
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Pass the time in (now).' },
    {
      selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
      message: 'Pass the time in.',
    },
    {
      selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
      message: 'No randomness.',
    },
    { selector: "MemberExpression[object.name='process']", message: 'Domain code reads no environment.' },
  ],
};

/**
 * The portal's single-page app runs in the browser: no Node built-ins, no server packages, no workspace
 * libs (they are server code), and no relative path out of its own `src` (into the portal's server).
 */
const WEB_SOURCES = ['apps/portal/web/src/**/*.ts', 'apps/portal/web/src/**/*.tsx'];
const browserOnly = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { regex: '^node:', message: 'Browser code: no Node built-ins.' },
        {
          group: [...IO_MODULES, 'crypto', 'path', 'url', 'util', 'stream', 'buffer', 'events', 'process'],
          message: 'Browser code: no Node built-ins.',
        },
        {
          group: ['@otl/*', '@nestjs/*', 'typeorm', 'pg', 'kafkajs', 'fastify'],
          message: 'Browser code: no server code.',
        },
        { regex: '^(\\.\\./){2,}', message: 'Browser code stays inside apps/portal/web/src.' },
      ],
    },
  ],
  // (This block comes last for these files, so it repeats the test files' ban on xit/fit.)
  'no-restricted-globals': ['error', 'process', 'Buffer', 'require', '__dirname', ...FOCUSED_OR_SKIPPED],
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.data/**', '.cache/**', '.nx/**', 'coverage/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: true, allow: [], depConstraints, banTransitiveDependencies: true },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'libs/testing/**/*.ts', '**/*.test.tsx'],
    // No focused or skipped tests may land.
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-properties': [
        'error',
        ...['describe', 'it', 'test'].flatMap((object) =>
          ['only', 'skip', 'todo'].map((property) => ({
            object,
            property,
            message: 'Focused/skipped tests must not land.',
          })),
        ),
      ],
      'no-restricted-globals': ['error', ...FOCUSED_OR_SKIPPED],
    },
  },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: SPEC_FILES,
    rules: { 'no-restricted-imports': ['error', { paths: [NO_TEST_HELPERS] }] },
  },
  { files: ['apps/*/src/**/domain/**/*.ts'], ignores: SPEC_FILES, rules: domainPurity },
  {
    files: WEB_SOURCES,
    plugins: reactHooks.configs.flat.recommended.plugins,
    rules: { ...reactHooks.configs.flat.recommended.rules, ...browserOnly },
  },
  {
    files: ['tools/**/*.mjs', 'tools/**/*.cjs', '**/scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  prettier,
);
