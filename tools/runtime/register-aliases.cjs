'use strict';
// Resolves the workspace aliases (@otl/<lib>) of compiled services to the compiled
// library code under dist/out-tsc, so `node -r ./tools/runtime/register-aliases.cjs <main.js>`
// runs a service without a bundler. The alias table is tsconfig.base.json's `paths`.
const Module = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const outDir = path.join(root, 'dist', 'out-tsc');
const { compilerOptions } = require(path.join(root, 'tsconfig.base.json'));

const aliases = new Map(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    alias,
    path.join(outDir, target.replace(/\.ts$/, '.js')),
  ]),
);

const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveWorkspaceAlias(request, ...rest) {
  const target = aliases.get(request);
  return resolve.call(this, target ?? request, ...rest);
};
