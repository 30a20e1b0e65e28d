import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { signBytes, signLicenseFile, verifyLicenseFile, type LicenseFilePayload } from './license-file';

/** RFC 8032 section 7.1, TEST 1: empty message. */
const RFC8032_TEST1 = {
  secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  signature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};

function keyFromSeed(seedHex: string) {
  // PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410).
  const der = Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    Buffer.from(seedHex, 'hex'),
  ]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

describe('licence files', () => {
  it('signs RFC 8032 test vector 1 through the signing code', () => {
    const key = keyFromSeed(RFC8032_TEST1.secret);
    expect(
      Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x ?? '', 'base64url').toString('hex'),
    ).toBe(RFC8032_TEST1.public);
    expect(signBytes(Buffer.alloc(0), key).toString('hex')).toBe(RFC8032_TEST1.signature);
  });

  const payload: LicenseFilePayload = {
    licenseId: '0b8f5c1e-3a52-4d5e-9a40-4f7f6b1de2a1',
    licenseKey: 'OTL1-AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF-GGGG',
    accountId: '7d5e3b1a-0c2f-4e8a-9b4d-1f2e3d4c5b6a',
    trackingMode: 'self-hosted',
    ltsInstanceId: 'lts-1',
    trackingUrl: null,
    entitlements: [{ product: 'web-twain', unit: 'domain', seats: 2, expiresAt: null }],
    issuedAt: '2026-11-27T10:00:00.000Z',
  };

  it('verifies what it signed, and nothing altered or signed by another key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    const file = signLicenseFile(payload, { kid: 'k1', privateKey });
    expect(file).toMatchObject({ format: 'license-file/v1', kid: 'k1', alg: 'EdDSA' });
    expect(JSON.parse(Buffer.from(file.payload, 'base64url').toString())).toEqual(payload);
    expect(verifyLicenseFile(file, (kid) => (kid === 'k1' ? publicKey : undefined))).toEqual(payload);
    expect(verifyLicenseFile(file, () => other.publicKey)).toBeUndefined();
    expect(
      verifyLicenseFile({ ...file, kid: 'k2' }, (kid) => (kid === 'k1' ? publicKey : undefined)),
    ).toBeUndefined();
    const tampered = Buffer.from(
      JSON.stringify({ ...payload, entitlements: [{ ...payload.entitlements[0], seats: 200 }] }),
    );
    expect(
      verifyLicenseFile({ ...file, payload: tampered.toString('base64url') }, () => publicKey),
    ).toBeUndefined();
  });
});
