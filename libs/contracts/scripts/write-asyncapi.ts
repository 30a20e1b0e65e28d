// Regenerates libs/contracts/asyncapi.yaml from libs/contracts and tools/stack/services.mjs.
// Run: npm run contracts:asyncapi
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASYNCAPI_FILE, asyncApiYaml } from '../asyncapi/document';
import { readPlatformFacts, repoRoot } from '../asyncapi/platform-facts';

const file = join(repoRoot, ASYNCAPI_FILE);
writeFileSync(file, asyncApiYaml(readPlatformFacts()));
console.log(`wrote ${ASYNCAPI_FILE}`);
