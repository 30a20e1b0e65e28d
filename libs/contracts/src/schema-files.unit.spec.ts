import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { schemaFiles } from './schema-files';

const dir = join(__dirname, '..', 'schemas');

// On failure, regenerate: npx ts-node -P tsconfig.base.json libs/contracts/scripts/write-schemas.ts
describe('committed JSON Schemas (libs/contracts/schemas, written by scripts/write-schemas.ts)', () => {
  const files = schemaFiles();

  it('are exactly the envelope and one per public event type', () => {
    const committed = readdirSync(dir).filter((name) => name.endsWith('.json'));
    expect(committed.sort()).toEqual(files.map((file) => file.fileName).sort());
  });

  it.each(files.map((file) => [file.fileName, file.content]))(
    '%s matches the TypeScript schema',
    (fileName, content) => {
      expect(readFileSync(join(dir, fileName), 'utf8')).toBe(content);
    },
  );
});
