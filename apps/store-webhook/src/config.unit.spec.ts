import { configProblems } from '@otl/testing';
import { loadConfig } from './config';

const valid = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/store_webhook',
  KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9093',
  STORE_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
};

function problemsOf(env: Record<string, string>): string[] {
  return configProblems(() => loadConfig(env));
}

describe('store-webhook configuration', () => {
  it('reads a valid environment with the contract defaults', () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({
      port: 3101,
      kafkaBrokers: ['127.0.0.1:9092', '127.0.0.1:9093'],
      kafkaPartitions: 3,
      timestampToleranceSeconds: 300,
      retryAfterSeconds: 5,
    });
    expect(config.webhookKeys).toHaveLength(1);
  });

  it('takes several comma-separated secrets for rotation', () => {
    const next = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
    expect(
      loadConfig({ ...valid, STORE_WEBHOOK_SECRET: `${valid.STORE_WEBHOOK_SECRET}, ${next}` }).webhookKeys,
    ).toHaveLength(2);
  });

  it('names every missing variable at once', () => {
    const problems = problemsOf({});
    expect(problems.join('\n')).toMatch(/DATABASE_URL/);
    expect(problems.join('\n')).toMatch(/KAFKA_BROKERS/);
    expect(problems.join('\n')).toMatch(/STORE_WEBHOOK_SECRET/);
  });

  it.each([
    ['PORT', 'eighty', /PORT must be an integer/],
    ['PORT', '70000', /PORT must be between/],
    ['DATABASE_URL', 'mysql://x@y/z', /DATABASE_URL must use postgres/],
    ['KAFKA_BROKERS', 'localhost', /KAFKA_BROKERS has an invalid entry/],
    ['STORE_WEBHOOK_SECRET', 'not-a-secret', /STORE_WEBHOOK_SECRET has an invalid entry/],
    ['STORE_WEBHOOK_SECRET', 'whsec_c2hvcnQ=', /STORE_WEBHOOK_SECRET entry 1: .*16 bytes/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of/],
    ['STORE_WEBHOOK_TOLERANCE_SECONDS', '0', /STORE_WEBHOOK_TOLERANCE_SECONDS must be between/],
  ])('refuses %s=%s, naming it', (name, value, message) => {
    expect(problemsOf({ ...valid, [name]: value }).join('\n')).toMatch(message);
  });
});
