// Regenerates libs/contracts/schemas/*.json from the TypeScript schemas.
// Run: npx ts-node -P tsconfig.base.json libs/contracts/scripts/write-schemas.ts
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaFiles } from '../src/schema-files';

const dir = join(__dirname, '..', 'schemas');
mkdirSync(dir, { recursive: true });
const files = schemaFiles();
// Drop files of schemas that no longer exist, so the folder mirrors the code exactly.
for (const name of readdirSync(dir)) {
  if (name.endsWith('.json') && !files.some((file) => file.fileName === name)) rmSync(join(dir, name));
}
for (const { fileName, content } of files) writeFileSync(join(dir, fileName), content);
console.log(`wrote ${files.length} schemas to ${dir}`);
