import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@otl/testing';
import { MAIN, REGISTER_ALIASES, ROOT, tempDir, vendorKey } from './self-hosted-support';

/** Modules a self-hosted server must never load, directly or through a library. */
const FORBIDDEN = [
  /node_modules\/pg\//,
  /node_modules\/pg-[a-z-]+\//,
  /node_modules\/kafkajs\//,
  /node_modules\/typeorm\//,
  /node_modules\/@nestjs\/typeorm\//,
  /dist\/out-tsc\/libs\/event-store\//,
  /dist\/out-tsc\/libs\/auth\//,
  /dist\/out-tsc\/apps\/tracking\/src\/hosted\//,
];

// Runs the compiled server (LTS_MODE=self-hosted, through the one entry point) in a child process;
// once it answers /health/ready and has served a lease request, the child lists require.cache.
const PROBE = `
  require(process.env.MAIN);
  const url = 'http://127.0.0.1:' + process.env.PORT;
  const deadline = Date.now() + 30000;
  (async function probe() {
    try {
      if ((await fetch(url + '/health/ready')).status === 200) {
        await fetch(url + '/v1/lts/leases', { method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ licenseKey: 'OTL1-6JTXZ-W2TAV-VSAHP-QHV1B-EM8XJ-Y8QAB-7W98', clientId: 'probe' }) });
        process.stdout.write('MODULES ' + JSON.stringify(Object.keys(require.cache)) + '\\n');
        process.exit(0);
      }
    } catch {}
    if (Date.now() > deadline) process.exit(3);
    setTimeout(probe, 100);
  })();
`;

describe('self-hosted LTS: loaded modules', () => {
  it('runs without pg, kafkajs, typeorm, the event store or auth loaded, not even indirectly', async () => {
    const dir = tempDir('lts-modules');
    const result = spawnSync(process.execPath, ['-r', REGISTER_ALIASES, '-e', PROBE], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        MAIN,
        LTS_MODE: 'self-hosted',
        LTS_DATA_DIR: join(dir, 'data'),
        LTS_VENDOR_KEYS_FILE: vendorKey(dir).keysFile,
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
      },
      encoding: 'utf8',
      timeout: 40_000,
    });
    const line = result.stdout.split('\n').find((text) => text.startsWith('MODULES '));
    if (!line) throw new Error(`the probe failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
    const modules = JSON.parse(line.slice('MODULES '.length)) as string[];
    expect(modules.filter((path) => FORBIDDEN.some((pattern) => pattern.test(path)))).toEqual([]);
    // It did load the server it is about: SQLite, Nest, and the self-hosted and shared lease code.
    for (const needed of [
      /node_modules\/better-sqlite3\//,
      /node_modules\/@nestjs\/core\//,
      /dist\/out-tsc\/apps\/tracking\/src\/self-hosted\/sqlite-lease-store\.js$/,
      /dist\/out-tsc\/apps\/tracking\/src\/leases\/leases\.controller\.js$/,
      /dist\/out-tsc\/libs\/licensing\//,
    ]) {
      expect({ needed: needed.source, loaded: modules.some((path) => needed.test(path)) }).toEqual({
        needed: needed.source,
        loaded: true,
      });
    }
  });
});
