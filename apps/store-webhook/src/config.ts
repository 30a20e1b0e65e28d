import { ConfigError, EnvReader, readCommonConfig, type CommonConfig } from '@otl/platform';
import { SECRET_PATTERN, decodeSecret } from './webhooks/signature';

export interface StoreWebhookConfig extends CommonConfig {
  /** HMAC keys of every active `whsec_` secret (more than one during rotation). */
  webhookKeys: Buffer[];
  timestampToleranceSeconds: number;
  retryAfterSeconds: number;
}

export const SERVICE_NAME = 'store-webhook';
export const DEFAULT_PORT = 3101;

export function loadConfig(source: Record<string, string | undefined> = process.env): StoreWebhookConfig {
  const env = new EnvReader(source);
  const common = readCommonConfig(env, SERVICE_NAME, DEFAULT_PORT);
  const secrets = env.list('STORE_WEBHOOK_SECRET', {
    item: SECRET_PATTERN,
    hint: 'one or more comma-separated whsec_<base64> secrets',
  });
  const timestampToleranceSeconds = env.int('STORE_WEBHOOK_TOLERANCE_SECONDS', {
    default: 300,
    min: 1,
    max: 3600,
  });
  const retryAfterSeconds = env.int('RETRY_AFTER_SECONDS', { default: 5, min: 1, max: 3600 });
  env.done();
  const webhookKeys = secrets.map((secret, index) => {
    try {
      return decodeSecret(secret);
    } catch (error) {
      throw new ConfigError([`STORE_WEBHOOK_SECRET entry ${index + 1}: ${(error as Error).message}`]);
    }
  });
  return { ...common, webhookKeys, timestampToleranceSeconds, retryAfterSeconds };
}
