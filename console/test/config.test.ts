import { strict as assert } from 'node:assert';
import { loadSettings, SettingsError } from '../config';

const base = { STRATA_BROKERS: 'localhost:9092' };

describe('console settings', () => {
  it('defaults: 0.0.0.0:8080, read-only, no metrics, 15 s sampling, no basic auth', () => {
    const s = loadSettings(base);
    assert.equal(s.host, '0.0.0.0');
    assert.equal(s.port, 8080);
    assert.equal(s.writeEnabled, false);
    assert.deepEqual(s.metricsUrls, []);
    assert.equal(s.metricsPort, null);
    assert.equal(s.sampleIntervalMs, 15_000);
    assert.equal(s.auth, null);
    assert.equal(s.connection.brokers, 'localhost:9092');
  });

  it('reads every variable', () => {
    const s = loadSettings({
        ...base,
        STRATA_CONSOLE_SAMPLE_INTERVAL_MS: '500',
        STRATA_CONSOLE_PORT: '9000',
        STRATA_CONSOLE_WRITE_ENABLED: 'true',
        STRATA_CONSOLE_METRICS_URLS: 'http://a:9644/metrics, http://b:9644/metrics',
        STRATA_CONSOLE_METRICS_PORT: '9644',
        STRATA_CONSOLE_USERNAME: 'admin',
        STRATA_CONSOLE_PASSWORD: 'pw',
        STRATA_SASL_USERNAME: 'console',
        STRATA_SASL_PASSWORD: 'secret',
        STRATA_SASL_MECHANISM: 'SCRAM-SHA-256',
    });
    assert.equal(s.port, 9000);
    assert.equal(s.sampleIntervalMs, 500);
    assert.equal(s.writeEnabled, true);
    assert.deepEqual(s.metricsUrls, ['http://a:9644/metrics', 'http://b:9644/metrics']);
    assert.equal(s.metricsPort, 9644);
    assert.deepEqual(s.auth, { username: 'admin', password: 'pw' });
    assert.equal(s.connection.saslMechanism, 'SCRAM-SHA-256');
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['no brokers', {}, /STRATA_BROKERS is required/],
    ['a broker without port', { STRATA_BROKERS: 'localhost' }, /STRATA_BROKERS: bad broker address "localhost": expected host:port/],
    ['a port out of range', { ...base, STRATA_CONSOLE_PORT: '70000' }, /STRATA_CONSOLE_PORT must be an integer from 0 to 65535, got "70000"/],
    ['a non-numeric interval', { ...base, STRATA_CONSOLE_SAMPLE_INTERVAL_MS: '15s' }, /STRATA_CONSOLE_SAMPLE_INTERVAL_MS must be an integer/],
    ['a too-small interval', { ...base, STRATA_CONSOLE_SAMPLE_INTERVAL_MS: '10' }, /from 100/],
    ['a bad boolean', { ...base, STRATA_CONSOLE_WRITE_ENABLED: 'yes' }, /STRATA_CONSOLE_WRITE_ENABLED must be true or false, got "yes"/],
    ['a metrics URL that is not a URL', { ...base, STRATA_CONSOLE_METRICS_URLS: 'broker:9644' }, /must be http:\/\/ or https:\/\//],
    ['a metrics port out of range', { ...base, STRATA_CONSOLE_METRICS_PORT: '0' }, /STRATA_CONSOLE_METRICS_PORT must be an integer from 1 to 65535, got "0"/],
    ['a metrics port that is a URL', { ...base, STRATA_CONSOLE_METRICS_PORT: 'http://b:9644' }, /STRATA_CONSOLE_METRICS_PORT must be an integer/],
    ['basic auth user without password', { ...base, STRATA_CONSOLE_USERNAME: 'admin' }, /needs both STRATA_CONSOLE_USERNAME and STRATA_CONSOLE_PASSWORD/],
    ['basic auth password without user', { ...base, STRATA_CONSOLE_PASSWORD: 'pw' }, /needs both/],
    ['SASL user without password', { ...base, STRATA_SASL_USERNAME: 'u' }, /STRATA_SASL_USERNAME \/ STRATA_SASL_PASSWORD: SASL needs --sasl-username and a password/],
    ['an unknown SASL mechanism', { ...base, STRATA_SASL_MECHANISM: 'GSSAPI', STRATA_SASL_USERNAME: 'u', STRATA_SASL_PASSWORD: 'p' }, /STRATA_SASL_MECHANISM must be one of/],
  ];
  for (const [what, env, message] of bad) {
    it(`refuses ${what} with a message naming the setting`, () => {
      assert.throws(() => loadSettings(env), (err: unknown) => err instanceof SettingsError && message.test(err.message));
    });
  }
});
