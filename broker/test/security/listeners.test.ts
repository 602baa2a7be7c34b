// listeners / advertised.listeners / listener.security.protocol.map as Kafka reads them (security/listeners.ts),
// through loadConfig so invalid combinations fail at start with a ConfigError.
import { strict as assert } from 'node:assert';
import { ConfigError, loadConfig } from '../../src/config';
import { advertisedEndpoints, resolveListeners } from '../../src/security/listeners';
import { rfc2253 } from '../../src/security/tls-context';
import { describeBrokerConfigs } from '../../src/log/topic-config';

const tlsFiles = ['--ssl-certificate-location', '/c.pem', '--ssl-key-location', '/k.pem'];

describe('security: listeners config', () => {
  it('without listeners: one PLAINTEXT listener on host:port, advertised as advertisedHost:advertisedPort', () => {
    const cfg = loadConfig(['--port', '9000', '--advertised-host', 'kafka.example', '--advertised-port', '19000'], {});
    assert.deepEqual(resolveListeners(cfg), [
      { name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '0.0.0.0', port: 9000, advertisedHost: 'kafka.example', advertisedPort: 19000 },
    ]);
  });

  it('several listeners with protocols from the map, advertised per listener', () => {
    const cfg = loadConfig(
      [
        '--listeners', 'PLAINTEXT://:9092,internal://10.0.0.5:9094,SASL_SSL://0.0.0.0:9093',
        '--advertised-listeners', 'SASL_SSL://kafka.example:443',
        '--listener-security-protocol-map', 'PLAINTEXT:PLAINTEXT,INTERNAL:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
        '--advertised-host', 'pod-0',
        ...tlsFiles,
      ],
      {},
    );
    const ls = resolveListeners(cfg);
    assert.deepEqual(
      ls.map((l) => `${l.name} ${l.securityProtocol} ${l.host}:${l.port} -> ${l.advertisedHost}:${l.advertisedPort}`),
      ['PLAINTEXT PLAINTEXT 0.0.0.0:9092 -> pod-0:9092', 'INTERNAL SASL_PLAINTEXT 10.0.0.5:9094 -> 10.0.0.5:9094', 'SASL_SSL SASL_SSL 0.0.0.0:9093 -> kafka.example:443'],
    );
    assert.deepEqual(advertisedEndpoints(ls, [9092, 9094, 9093])[2], { listener: 'SASL_SSL', host: 'kafka.example', port: 443, securityProtocol: 'SASL_SSL' });
  });

  it('refuses what cannot work', () => {
    const bad = (args: string[], message: RegExp) =>
      assert.throws(() => loadConfig(args, {}), (e: unknown) => e instanceof ConfigError && message.test(e.message));
    bad(['--listeners', 'PLAINTEXT:9092'], /expected NAME:\/\/host:port/);
    bad(['--listeners', 'FOO://:9092'], /FOO has no security protocol/);
    bad(['--listeners', 'PLAINTEXT://:9092,PLAINTEXT://:9093'], /appears twice/);
    bad(['--listeners', 'PLAINTEXT://:9092,SSL://:9092', ...tlsFiles], /share port 9092/);
    bad(['--listeners', 'SASL_SSL://:9093'], /needs sslCertificateLocation/);
    bad(['--listeners', 'SSL://:9093', '--ssl-client-auth', 'required', ...tlsFiles], /needs sslCaLocation/);
    bad(['--listeners', 'PLAINTEXT://:9092', '--advertised-listeners', 'SSL://x:1'], /not in listeners/);
    bad(['--listener-security-protocol-map', 'A:TLS'], /listener.security.protocol.map/);
  });

  it('DescribeConfigs never shows the bootstrap users (their passwords)', () => {
    const cfg = loadConfig(['--sasl-bootstrap-users', 'admin:s3cret-pw'], {});
    const entry = describeBrokerConfigs(cfg).find((e) => e.name === 'strata.sasl.bootstrap.users')!;
    assert.equal(entry.isSensitive, true);
  });

  it('client certificate subjects become RFC 2253 DNs, most specific first', () => {
    assert.equal(rfc2253('C=US\nO=Strata\nOU=team\nCN=app'), 'CN=app,OU=team,O=Strata,C=US');
  });
});
