import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@otl/platform';
import { loadSelfHostedConfig, SHIPPED_VENDOR_KEYS_FILE } from './config';
import { loadVendorKeys } from './vendor-keys';

const dir = mkdtempSync(join(tmpdir(), 'lts-keys-'));
const jwk = () => ({
  ...generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }),
  alg: 'EdDSA',
  use: 'sig',
});
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const problem = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('vendor keys', () => {
  it('reads the Ed25519 public keys of a JWKS by kid', () => {
    const keys = loadVendorKeys(
      file('two.json', {
        keys: [
          { ...jwk(), kid: 'a' },
          { ...jwk(), kid: 'b' },
        ],
      }),
    );
    expect([...keys.byKid.keys()]).toEqual(['a', 'b']);
    expect(keys.byKid.get('a')?.asymmetricKeyType).toBe('ed25519');
  });

  it('refuses an empty, broken or doubtful key file, naming the problem', () => {
    const { d } = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    const cases: [unknown, RegExp][] = [
      [{ keys: [] }, /lists no key/],
      ['{ not json', /cannot be read as JSON/],
      [[], /not a JWKS/],
      [{ keys: [{ ...jwk() }] }, /keys\[0\] has no kid/],
      [
        {
          keys: [
            { ...jwk(), kid: 'a' },
            { ...jwk(), kid: 'a' },
          ],
        },
        /keys\[1\] repeats kid "a"/,
      ],
      [{ keys: [{ ...jwk(), kid: 'a', d }] }, /private key/],
      [{ keys: [{ kty: 'RSA', kid: 'a', n: 'x', e: 'AQAB' }] }, /not OKP\/Ed25519/],
      [{ keys: [{ ...jwk(), kid: 'a', use: 'enc' }] }, /use "enc"/],
    ];
    cases.forEach(([content, expected], index) => {
      expect(problem(() => loadVendorKeys(file(`bad-${index}.json`, content)))).toMatch(expected);
    });
    expect(problem(() => loadVendorKeys(join(dir, 'missing.json')))).toMatch(/cannot be read/);
  });

  it('ships an empty key set, so a build without the vendor key refuses to start', () => {
    expect(problem(() => loadVendorKeys(SHIPPED_VENDOR_KEYS_FILE))).toMatch(/lists no key/);
  });
});

describe('self-hosted configuration', () => {
  const keysFile = file('config.json', { keys: [{ ...jwk(), kid: 'k' }] });

  it('has the defaults of the contract and resolves paths', () => {
    const config = loadSelfHostedConfig({ LTS_DATA_DIR: 'some/dir', LTS_VENDOR_KEYS_FILE: keysFile });
    expect(config).toMatchObject({
      port: 3106,
      timing: { leaseTtlSeconds: 600, heartbeatSeconds: 180 },
      rateLimitPerMinute: 1200,
      dataDir: join(process.cwd(), 'some/dir'),
    });
    expect([...config.vendorKeys.byKid.keys()]).toEqual(['k']);
  });

  it('names each bad variable', () => {
    expect(problem(() => loadSelfHostedConfig({ LTS_VENDOR_KEYS_FILE: keysFile }))).toMatch(
      /LTS_DATA_DIR is required/,
    );
    expect(
      problem(() =>
        loadSelfHostedConfig({
          LTS_DATA_DIR: dir,
          LTS_VENDOR_KEYS_FILE: keysFile,
          LTS_LEASE_TTL_SECONDS: '60',
          LTS_HEARTBEAT_SECONDS: '60',
        }),
      ),
    ).toMatch(/LTS_HEARTBEAT_SECONDS \(60\) must be shorter/);
  });
});
