#!/usr/bin/env node
// What the images leave out of `npm ci --omit=dev`'s node_modules, computed from package-lock.json.
// The Dockerfile runs it in its dependency stage; the deploy checks use the same functions to estimate
// the image sizes without a Docker engine (tools/deploy/docker-stage.mjs).
//
//   node tools/deploy/docker-prune.mjs --apply [--image app|lts] [--libc musl|glibc]
//   node tools/deploy/docker-prune.mjs          lists what would go, deletes nothing
//
// 1. Build-time packages npm installs anyway: typeorm declares ts-node as an optional peer, and npm
//    keeps an optional peer that is also a devDependency ("devOptional") under --omit=dev. So
//    typescript, ts-node, @swc/core (and what only they need) would ship; no service loads them.
// 2. For the self-hosted LTS image only: the packages of the vendor-hosted services that the
//    self-hosted tracking server never loads (no Postgres, no Kafka, no mail, no passwords).
// 3. Files no running service reads: source maps, TypeScript declarations, Markdown, and
//    better-sqlite3's C sources and build intermediates (its compiled .node addon stays). Licence and
//    notice files stay whatever their extension.
// Nothing outside node_modules/ is touched; the script needs only Node itself.
import { existsSync, lstatSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Packages no service loads at run time, although npm installs them with --omit=dev. */
export const BUILD_ONLY = ['typescript', 'ts-node', '@swc/core', '@types/node'];

/** Loaded only by the vendor-hosted services; the self-hosted LTS never requires them. */
export const NOT_IN_LTS = [
  'typeorm',
  '@nestjs/typeorm',
  'pg',
  'kafkajs',
  'nodemailer',
  'date-holidays',
  '@node-rs/argon2',
  'luxon',
];

/** Files left out of every package (by name). */
const STRIPPED_FILE = /\.(map|d\.ts|d\.mts|d\.cts|md|markdown)$/i;
const KEPT_FILE = /^(licen[cs]e|notice|copying)/i;

/**
 * @typedef {object} LockEntry
 * @property {boolean} [dev]
 * @property {boolean} [optional]
 * @property {boolean} [link]
 * @property {string[]} [os]
 * @property {string[]} [cpu]
 * @property {string[]} [libc]
 * @property {Record<string, string>} [dependencies]
 * @property {Record<string, string>} [optionalDependencies]
 * @property {Record<string, string>} [peerDependencies]
 */

/**
 * The package folders `npm ci --omit=dev` installs on Linux x64 with that C library, by lockfile path.
 * @param {{ packages: Record<string, LockEntry> }} lock
 * @param {'musl' | 'glibc'} libc
 * @returns {Map<string, LockEntry>}
 */
export function installedPackages(lock, libc) {
  /** @type {Map<string, LockEntry>} */
  const installed = new Map();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev || entry.link) continue;
    if (entry.os && !entry.os.includes('linux')) continue;
    if (entry.cpu && !entry.cpu.includes('x64')) continue;
    if (entry.libc && !entry.libc.includes(libc)) continue;
    installed.set(path, entry);
  }
  return installed;
}

/**
 * Node's lookup of dependency `name` from the package at lockfile path `from`: the nearest
 * node_modules/<name> walking up.
 * @param {Map<string, unknown>} installed
 * @param {string} from
 * @param {string} name
 */
function resolveFrom(installed, from, name) {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (installed.has(candidate)) return candidate;
    if (base === '') return undefined;
    const at = base.lastIndexOf('/node_modules/');
    base = at < 0 ? '' : base.slice(0, at);
  }
}

/**
 * The installed packages reachable from the root's dependencies without passing through `excluded`
 * (package names), following dependencies, optional dependencies and (optional) peers.
 * @param {{ packages: Record<string, LockEntry> }} lock
 * @param {Map<string, LockEntry>} installed
 * @param {string[]} excluded
 */
function reachable(lock, installed, excluded) {
  const skip = new Set(excluded);
  /** @type {Set<string>} */
  const seen = new Set();
  /** @type {string[]} */
  const queue = [''];
  while (queue.length > 0) {
    const path = /** @type {string} */ (queue.pop());
    const entry = path === '' ? lock.packages[''] : installed.get(path);
    if (!entry) continue;
    const names = new Set([
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}),
    ]);
    for (const name of names) {
      if (skip.has(name)) continue;
      const target = resolveFrom(installed, path, name);
      if (target && !seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return seen;
}

/**
 * The package folders an image keeps and the ones it drops.
 * @param {{ packages: Record<string, LockEntry> }} lock
 * @param {{ image: 'app' | 'lts', libc: 'musl' | 'glibc' }} options
 */
export function plan(lock, { image, libc }) {
  const installed = installedPackages(lock, libc);
  const excluded = image === 'lts' ? [...BUILD_ONLY, ...NOT_IN_LTS] : BUILD_ONLY;
  const keep = reachable(lock, installed, excluded);
  const drop = [...installed.keys()].filter((path) => !keep.has(path));
  return { keep: [...keep].sort(), drop: drop.sort() };
}

/**
 * Whether a file of a kept package is left out (path relative to node_modules' parent).
 * @param {string} path
 */
export function strippedFile(path) {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (KEPT_FILE.test(name)) return false;
  if (STRIPPED_FILE.test(name)) return true;
  // better-sqlite3: only build/Release/better_sqlite3.node is loaded (through `bindings`).
  const sqlite = /(?:^|\/)node_modules\/better-sqlite3\/(.*)$/.exec(path);
  if (sqlite) {
    const inside = sqlite[1];
    if (inside.startsWith('deps/') || inside.startsWith('src/')) return true;
    if (inside.startsWith('build/')) return inside !== 'build/Release/better_sqlite3.node';
  }
  return false;
}

/**
 * Files of one package folder, without its nested node_modules (those are packages of their own).
 * @param {string} root
 * @param {string} dir  relative to root
 * @returns {{ path: string, size: number }[]}
 */
export function packageFiles(root, dir) {
  /** @type {{ path: string, size: number }[]} */
  const files = [];
  const walk = (/** @type {string} */ relativeDir) => {
    for (const entry of readdirSync(join(root, relativeDir), { withFileTypes: true })) {
      const path = `${relativeDir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (entry.isFile()) {
        files.push({ path, size: lstatSync(join(root, path)).size });
      }
    }
  };
  walk(dir);
  return files;
}

/**
 * Deletes what the plan drops, and the stripped files of what it keeps.
 * @param {string} root  the folder holding node_modules and package-lock.json
 * @param {{ image: 'app' | 'lts', libc: 'musl' | 'glibc' }} options
 */
export function apply(root, options) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const { keep, drop } = plan(lock, options);
  for (const path of drop) rmSync(join(root, path), { recursive: true, force: true });
  let stripped = 0;
  for (const dir of keep) {
    if (!existsSync(join(root, dir))) continue;
    for (const file of packageFiles(root, dir)) {
      if (!strippedFile(file.path)) continue;
      rmSync(join(root, file.path));
      stripped += file.size;
    }
  }
  return { dropped: drop.length, kept: keep.length, strippedBytes: stripped };
}

if (process.argv[1] && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  const args = process.argv.slice(2);
  const option = (/** @type {string} */ name, /** @type {string} */ fallback) => {
    const at = args.indexOf(name);
    return at < 0 ? fallback : args[at + 1];
  };
  const image = option('--image', 'app');
  const libc = option('--libc', 'musl');
  if ((image !== 'app' && image !== 'lts') || (libc !== 'musl' && libc !== 'glibc')) {
    console.error('usage: docker-prune.mjs [--apply] [--image app|lts] [--libc musl|glibc]');
    process.exit(64);
  }
  const root = process.cwd();
  if (args.includes('--apply')) {
    const result = apply(root, { image, libc });
    console.log(
      `docker-prune (${image}): kept ${result.kept} packages, dropped ${result.dropped}, ` +
        `stripped ${(result.strippedBytes / 1e6).toFixed(1)} MB of maps, declarations and build leftovers`,
    );
  } else {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
    console.log(plan(lock, { image, libc }).drop.join('\n'));
  }
}
