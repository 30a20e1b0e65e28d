#!/usr/bin/env node
// Lays out an image's /app file tree in a folder, without a Docker engine, by following the COPY
// instructions of the Dockerfile's `runtime` stage and of the chosen target (`app` or `lts`):
// `COPY --from=build /src/<path>` takes <path> from this checkout (after `npm run build`),
// `COPY --from=deps|deps-lts /app/node_modules` takes this checkout's node_modules trimmed as
// tools/deploy/docker-prune.mjs trims it, and a plain COPY takes the file or folder from the checkout.
// The deploy checks run the services from such a tree, as the image would.
//
//   node tools/deploy/docker-stage.mjs <app|lts> <folder>
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageFiles, plan, strippedFile } from './docker-prune.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The Dockerfile's stages: name => instructions ([keyword, arguments]), continuation lines joined.
 * @param {string} text
 */
export function dockerfileStages(text) {
  /** @type {Map<string, { from: string, instructions: [string, string][] }>} */
  const stages = new Map();
  /** @type {[string, string][] | undefined} */
  let current;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines) {
    const match = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    const [, keyword, args] = /** @type {[string, string, string]} */ (match);
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
      current = [];
      stages.set(from?.[2] ?? `stage-${stages.size}`, { from: from?.[1] ?? '', instructions: current });
    } else {
      current?.push([keyword, args.trim()]);
    }
  }
  return stages;
}

/**
 * @param {'app' | 'lts'} image
 * @param {string} target  an empty or missing folder
 */
export function stageImage(image, target) {
  const stages = dockerfileStages(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  const copies = ['runtime', image].flatMap((name) =>
    (stages.get(name)?.instructions ?? []).filter(([keyword]) => keyword === 'COPY').map(([, args]) => args),
  );
  const workdir = '/app';
  for (const copy of copies) {
    const parts = copy.split(/\s+/);
    const fromFlag = parts.find((part) => part.startsWith('--from='));
    const paths = parts.filter((part) => !part.startsWith('--'));
    const dest = /** @type {string} */ (paths.pop());
    const into = resolve(target, relative(workdir, resolve(workdir, dest)));
    for (const source of paths) {
      if (fromFlag === '--from=deps' || fromFlag === '--from=deps-lts') {
        if (source !== '/app/node_modules')
          throw new Error(`unexpected copy from the dependency stage: ${copy}`);
        stageNodeModules(fromFlag === '--from=deps' ? 'app' : 'lts', into);
        continue;
      }
      let from;
      if (fromFlag === '--from=build') {
        if (!source.startsWith('/src/')) throw new Error(`unexpected copy from the build stage: ${copy}`);
        from = join(root, source.slice('/src/'.length));
      } else if (fromFlag) {
        throw new Error(`unexpected COPY ${copy}`);
      } else {
        from = join(root, source);
      }
      if (!existsSync(from)) throw new Error(`${relative(root, from)} does not exist (run npm run build)`);
      const to = dest.endsWith('/') ? join(into, source.split('/').pop() ?? '') : into;
      mkdirSync(dirname(to), { recursive: true });
      cpSync(from, to, { recursive: true });
    }
  }
}

/**
 * @param {'app' | 'lts'} image
 * @param {string} into  the node_modules folder to fill
 */
function stageNodeModules(image, into) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  for (const dir of plan(lock, { image, libc: 'glibc' }).keep) {
    if (!existsSync(join(root, dir))) continue;
    for (const file of packageFiles(root, dir)) {
      if (strippedFile(file.path)) continue;
      const to = join(into, relative('node_modules', file.path));
      mkdirSync(dirname(to), { recursive: true });
      cpSync(join(root, file.path), to);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [image, target] = process.argv.slice(2);
  if ((image !== 'app' && image !== 'lts') || !target) {
    console.error('usage: docker-stage.mjs <app|lts> <folder>');
    process.exit(64);
  }
  stageImage(image, resolve(target));
}
