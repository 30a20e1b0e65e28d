import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/**
 * Module boundaries: an app never imports another app; shared libs never import
 * service code; layers only point downwards (app -> domain/data-access -> util).
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
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:domain', 'type:data-access', 'type:util', 'type:testing'],
  },
  // type:testing holds spec helpers; only specs import it (libs/testing is excluded from builds).
  {
    sourceTag: 'type:data-access',
    onlyDependOnLibsWithTags: ['type:domain', 'type:data-access', 'type:util', 'type:testing'],
  },
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain', 'type:util'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:util', 'type:data-access', 'type:testing'] },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.data/**', '.cache/**', '.nx/**', 'coverage/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
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
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'libs/testing/**/*.ts'],
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
      'no-restricted-globals': ['error', 'xit', 'xdescribe', 'xtest', 'fit', 'fdescribe'],
    },
  },
  {
    files: ['tools/**/*.mjs', 'tools/**/*.cjs', '**/scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  prettier,
);
