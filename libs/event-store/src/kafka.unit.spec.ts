import { kafkaConnectionSettings } from './kafka';

describe('kafkajs connection settings', () => {
  it('are plaintext without authentication when no security is configured', () => {
    expect(kafkaConnectionSettings()).toEqual({});
    expect(kafkaConnectionSettings({})).toEqual({});
  });

  it('pass SASL credentials through with their mechanism', () => {
    expect(
      kafkaConnectionSettings({ sasl: { mechanism: 'scram-sha-512', username: 'account', password: 'pw' } }),
    ).toEqual({ sasl: { mechanism: 'scram-sha-512', username: 'account', password: 'pw' } });
  });

  it('use TLS with the system CAs, or trust exactly the configured CA', () => {
    expect(kafkaConnectionSettings({ tls: {} })).toEqual({ ssl: true });
    expect(kafkaConnectionSettings({ tls: { ca: 'PEM' } })).toEqual({ ssl: { ca: ['PEM'] } });
  });

  it('combine TLS and SCRAM, as the Strimzi listener of k8s/ needs', () => {
    expect(
      kafkaConnectionSettings({
        tls: { ca: 'PEM' },
        sasl: { mechanism: 'scram-sha-512', username: 'license', password: 'pw' },
      }),
    ).toEqual({
      ssl: { ca: ['PEM'] },
      sasl: { mechanism: 'scram-sha-512', username: 'license', password: 'pw' },
    });
  });
});
