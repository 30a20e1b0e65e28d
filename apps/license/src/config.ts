import {
  SigningKeyRing,
  parseVerificationKeys,
  readAccessTokenVerifierConfig,
  signingKeyFrom,
  type AccessTokenVerifierConfig,
} from '@otl/auth';
import { Catalog, CatalogError } from './catalog/catalog';
import { ConfigError, EnvReader, readCommonConfig, type CommonConfig } from '@otl/platform';

export interface LicenseConfig extends CommonConfig {
  catalogFile: string;
  /** Loaded and validated at start-up: a bad catalog stops the service like a bad variable. */
  catalog: Catalog;
  /** The vendor's hosted License Tracking Server, written into vendor-hosted licence files. */
  vendorTrackingUrl: string;
  /** Signs licence files; previous public keys stay listed so old files keep verifying. */
  fileKeys: SigningKeyRing;
  accessTokens: AccessTokenVerifierConfig;
  consumerGroup: string;
}

export const SERVICE_NAME = 'license';
export const DEFAULT_PORT = 3105;

export function loadConfig(source: Record<string, string | undefined> = process.env): LicenseConfig {
  const env = new EnvReader(source);
  const common = readCommonConfig(env, SERVICE_NAME, DEFAULT_PORT);
  const catalogFile = env.string('LICENSE_CATALOG_FILE', { default: 'apps/license/catalog.v1.json' });
  const vendorTrackingUrl = env.url('VENDOR_TRACKING_URL', {
    default: 'http://127.0.0.1:3106',
    protocols: ['http', 'https'],
  });
  const signingKey = env.string('LICENSE_SIGNING_KEY', {
    hint: 'an Ed25519 PKCS#8 PEM private key, or base64 of the PEM',
  });
  const kid = env.string('LICENSE_SIGNING_KEY_ID', { default: '', pattern: /^[\x21-\x7e]{0,128}$/ });
  const previous = env.string('LICENSE_PREVIOUS_KEYS', { default: '' });
  const consumerGroup = env.string('LICENSE_CONSUMER_GROUP', {
    default: 'license.purchases',
    pattern: /^[A-Za-z0-9._-]{1,200}$/,
  });
  const accessTokens = readAccessTokenVerifierConfig(env);
  env.done();
  let fileKeys: SigningKeyRing;
  try {
    fileKeys = new SigningKeyRing(
      signingKeyFrom(signingKey, kid || undefined),
      parseVerificationKeys(previous),
    );
  } catch (error) {
    throw new ConfigError([`LICENSE_SIGNING_KEY / LICENSE_PREVIOUS_KEYS: ${(error as Error).message}`]);
  }
  let catalog: Catalog;
  try {
    catalog = Catalog.load(catalogFile);
  } catch (error) {
    if (error instanceof CatalogError) {
      throw new ConfigError(
        error.problems.map((problem) => `LICENSE_CATALOG_FILE (${catalogFile}): ${problem}`),
      );
    }
    throw error;
  }
  return { ...common, catalogFile, catalog, vendorTrackingUrl, fileKeys, accessTokens, consumerGroup };
}
