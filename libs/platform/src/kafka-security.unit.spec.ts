import { ConfigError, EnvReader, readCommonConfig, readKafkaSecurity } from './config';

const pem = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n';
const files: Record<string, string> = { '/etc/kafka-ca/ca.crt': pem, '/etc/not-a-cert': 'hello\n' };

function readFile(path: string): string {
  const content = files[path];
  if (content === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return content;
}

function read(source: Record<string, string>) {
  const env = new EnvReader(source);
  const security = readKafkaSecurity(env, readFile);
  env.done();
  return security;
}

function problemsOf(source: Record<string, string>): string[] {
  try {
    read(source);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Kafka SASL and TLS settings', () => {
  it('are off when nothing is set (plaintext, no authentication)', () => {
    expect(read({})).toEqual({});
    expect(read({ KAFKA_SASL_MECHANISM: ' ', KAFKA_TLS: 'false' })).toEqual({});
  });

  it.each(['scram-sha-512', 'scram-sha-256', 'plain'] as const)(
    'read SASL %s with its credentials',
    (mechanism) => {
      expect(
        read({
          KAFKA_SASL_MECHANISM: mechanism,
          KAFKA_SASL_USERNAME: 'account',
          KAFKA_SASL_PASSWORD: 's3cret',
        }),
      ).toEqual({ sasl: { mechanism, username: 'account', password: 's3cret' } });
    },
  );

  it('refuse an unknown mechanism, naming the ones it takes', () => {
    const problems = problemsOf({
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'account',
      KAFKA_SASL_PASSWORD: 's3cret',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^KAFKA_SASL_MECHANISM must match .*scram-sha-512, scram-sha-256, plain/),
    ]);
  });

  it('require both the user name and the password with a mechanism, reported together', () => {
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toEqual([
      'KAFKA_SASL_USERNAME is required (required when KAFKA_SASL_MECHANISM is set)',
      'KAFKA_SASL_PASSWORD is required (required when KAFKA_SASL_MECHANISM is set)',
    ]);
  });

  it('refuse credentials without a mechanism rather than silently ignoring them', () => {
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'account', KAFKA_SASL_PASSWORD: 's3cret' })).toEqual([
      expect.stringMatching(/^KAFKA_SASL_USERNAME is set but KAFKA_SASL_MECHANISM is not/),
      expect.stringMatching(/^KAFKA_SASL_PASSWORD is set but KAFKA_SASL_MECHANISM is not/),
    ]);
  });

  it('turn TLS on with the system CAs, or with the CA read from KAFKA_TLS_CA_FILE', () => {
    expect(read({ KAFKA_TLS: 'true' })).toEqual({ tls: {} });
    expect(read({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/etc/kafka-ca/ca.crt' })).toEqual({
      tls: { ca: pem },
    });
  });

  it('refuse a KAFKA_TLS that is not true or false', () => {
    expect(problemsOf({ KAFKA_TLS: 'yes' })).toEqual(['KAFKA_TLS must be one of true, false, got "yes"']);
  });

  it('refuse a CA file that is missing, is not PEM, or comes without KAFKA_TLS=true', () => {
    expect(problemsOf({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/nowhere/ca.crt' })).toEqual([
      expect.stringMatching(/^KAFKA_TLS_CA_FILE cannot be read \(\/nowhere\/ca\.crt\): ENOENT/),
    ]);
    expect(problemsOf({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/etc/not-a-cert' })).toEqual([
      'KAFKA_TLS_CA_FILE (/etc/not-a-cert) holds no PEM certificate (-----BEGIN CERTIFICATE-----)',
    ]);
    expect(problemsOf({ KAFKA_TLS_CA_FILE: '/etc/kafka-ca/ca.crt' })).toEqual([
      'KAFKA_TLS_CA_FILE is set but KAFKA_TLS is not true (set KAFKA_TLS=true to use TLS)',
    ]);
  });

  it('are part of every event-sourced service configuration, reported with its other problems', () => {
    const env = new EnvReader({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_TLS: 'maybe' });
    readCommonConfig(env, 'account', 3104);
    let problems: string[] = [];
    try {
      env.done();
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems.join('\n')).toMatch(/DATABASE_URL is required/);
    expect(problems.join('\n')).toMatch(/KAFKA_SASL_USERNAME is required/);
    expect(problems.join('\n')).toMatch(/KAFKA_TLS must be one of true, false/);
  });
});
