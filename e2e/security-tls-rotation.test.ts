// Server certificate rotation without a restart, as cert-manager does it: the PEM files of an SSL listener are
// replaced on disk; new connections get the new certificate (checked on the certificate the client sees),
// connections opened before keep working, and a half-written rotation (a key that does not match the
// certificate) keeps the previous certificate until the files are consistent again. Also mutual TLS with
// ssl.client.auth=required: no certificate, no connection.
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { useBroker } from './helpers/suite';
import { freePort, makeTempDir, removeTempDir, waitFor } from './helpers/util';
import { TestCa } from './helpers/test-ca';
import { KafkaClient } from '../broker/src/protocol/client';
import { ApiKey } from '../broker/src/protocol/apis';

describe('security: TLS certificate rotation and required client certificates', function () {
  this.timeout(120_000);
  const dir = makeTempDir('sec-tls');
  const live = { cert: `${dir}/live.pem`, key: `${dir}/live.key` };
  let ca: TestCa;
  let sslPort = 0;
  let mtlsPort = 0;
  let client: { cert: string; key: string };

  before(async () => {
    ca = new TestCa(dir);
    const first = ca.issue('broker-1', '/O=Strata/CN=broker-gen-1', { server: true });
    fs.copyFileSync(first.cert, live.cert);
    fs.copyFileSync(first.key, live.key);
    client = ca.issue('client', '/O=Strata/CN=app');
    sslPort = await freePort();
    mtlsPort = await freePort();
  });
  after(() => removeTempDir(dir));

  const ref = useBroker({
    name: 'sec-tls',
    extraArgs: (port) => [
      '--listeners', `PLAINTEXT://127.0.0.1:${port},SSL://127.0.0.1:${sslPort}`,
      '--ssl-certificate-location', live.cert,
      '--ssl-key-location', live.key,
      '--ssl-ca-location', ca.cert,
      '--ssl-reload-check-interval-ms', '200',
    ],
  });

  /** The subject CN of the certificate a new TLS connection to the SSL listener is given. */
  function servedCn(port = sslPort): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca: fs.readFileSync(ca.cert) }, () => {
        const cn = s.getPeerX509Certificate()!.subject.split('\n').find((l) => l.startsWith('CN='))!.slice(3);
        s.end();
        resolve(cn);
      });
      s.once('error', reject);
    });
  }

  /** Replaces the live files the way a Secret update lands: each file written whole (rename). */
  function install(files: { cert: string; key: string }, which: Array<'cert' | 'key'> = ['cert', 'key']): void {
    for (const k of which) {
      fs.copyFileSync(files[k], `${live[k]}.tmp`);
      fs.renameSync(`${live[k]}.tmp`, live[k]);
    }
  }

  /** strata_tls_certificate_expiry_timestamp_seconds as the broker reports it. */
  const expiryMetric = async () => Number(/^strata_tls_certificate_expiry_timestamp_seconds (\S+)$/m.exec(await ref.broker.metricsText())?.[1]);
  const notAfter = (pem: string) => Date.parse(new X509Certificate(fs.readFileSync(pem)).validTo) / 1000;

  it('new connections get the new certificate; open ones keep working; an inconsistent pair is not used', async () => {
    assert.equal(await servedCn(), 'broker-gen-1');
    const initialExpiry = await expiryMetric();
    assert.equal(initialExpiry, notAfter(live.cert));
    const open = await KafkaClient.connect({ host: '127.0.0.1', port: sslPort, tls: { ca: fs.readFileSync(ca.cert) } });
    await open.apiVersions();

    // Half a rotation: the new certificate with the old key. Not usable: generation 1 stays.
    const second = ca.issue('broker-2', '/O=Strata/CN=broker-gen-2', { server: true, days: 3 });
    install(second, ['cert']);
    await waitFor(() => ref.broker.logTail(100).includes('cannot be used yet') || undefined, { timeoutMs: 10_000, what: 'the broker to notice the mismatched pair' });
    assert.equal(await servedCn(), 'broker-gen-1');

    // The key follows: generation 2 is served to new connections.
    install(second, ['key']);
    await waitFor(async () => (await servedCn()) === 'broker-gen-2' || undefined, { timeoutMs: 10_000, what: 'the rotated certificate to be served' });
    // The expiry gauge follows the certificate served (one more day: issued for 3 days instead of 2).
    assert.equal(await expiryMetric(), notAfter(second.cert));
    assert.ok(notAfter(second.cert) > initialExpiry + 80_000);
    const after = await KafkaClient.connect({ host: '127.0.0.1', port: sslPort, tls: { ca: fs.readFileSync(ca.cert) } });
    await after.request(ApiKey.Metadata, 1, { topics: null });
    await after.close();

    // The connection opened before the rotation still works.
    await open.request(ApiKey.Metadata, 1, { topics: null });
    await open.close();
  });

  describe('ssl.client.auth=required', () => {
    const mtls = useBroker({
      name: 'sec-mtls',
      extraArgs: (port) => [
        '--listeners', `PLAINTEXT://127.0.0.1:${port},SSL://127.0.0.1:${mtlsPort}`,
        '--ssl-certificate-location', live.cert,
        '--ssl-key-location', live.key,
        '--ssl-ca-location', ca.cert,
        '--ssl-client-auth', 'required',
        '--log-level', 'debug',
      ],
    });

    it('refuses a client without a certificate; a client with one is served as its subject', async () => {
      const ca_ = fs.readFileSync(ca.cert);
      const without = await KafkaClient.connect({ host: '127.0.0.1', port: mtlsPort, timeoutMs: 10_000, tls: { ca: ca_ } })
        .then(async (c) => {
          // TLS 1.3: the refusal arrives after the client's handshake completes, on the first read.
          await c.apiVersions();
          return c;
        })
        .catch((err: Error) => err);
      assert.ok(without instanceof Error, 'a client without a certificate must not be served');
      const withCert = await KafkaClient.connect({
        host: '127.0.0.1',
        port: mtlsPort,
        tls: { ca: ca_, cert: fs.readFileSync(client.cert), key: fs.readFileSync(client.key) },
      });
      await withCert.request(ApiKey.Metadata, 1, { topics: null });
      await withCert.close();
      await waitFor(() => mtls.broker.logTail(200).includes('"principal":"User:CN=app,O=Strata"') || undefined, {
        timeoutMs: 10_000,
        what: 'the client certificate principal in the log',
      });
      const metrics = await mtls.broker.metricsText();
      assert.match(metrics, /^strata_authentication_total\{listener="SSL",mechanism="SSL",result="failure"\} [1-9]/m);
      assert.match(metrics, /^strata_authentication_total\{listener="SSL",mechanism="SSL",result="success"\} [1-9]/m);
    });
  });
});
