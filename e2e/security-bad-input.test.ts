// Hostile and careless clients against a SASL listener, over TCP to a broker process: garbage SASL tokens,
// SASL requests out of order, a 100 MiB frame announced before authentication (closed on its size prefix,
// without the broker's memory growing), 1,000 failed logins (the broker keeps serving; every failure counted),
// raw tokens after SaslHandshake v0, sessions that expire (connections.max.reauth.ms) unless the client
// re-authenticates (ours by hand, the Java client by itself), and credentials that survive a restart.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { requireJavaClient, runJava, summary } from './helpers/java';
import { useBroker } from './helpers/suite';
import { freePort, seededBytes, waitFor, withTimeout } from './helpers/util';
import { KafkaClient, type SaslCredentials } from '../broker/src/protocol/client';
import { ApiKey } from '../broker/src/protocol/apis';
import { ErrorCode, KafkaError } from '../broker/src/protocol/errors';
import type { SaslAuthenticateResponse, SaslHandshakeResponse } from '../broker/src/protocol/schema/types';
import { saltedPassword } from '../broker/src/security/scram';
import { decodeResponse, encodeRequestFrame } from '../broker/src/protocol/headers';
import { FrameReader } from '../broker/src/protocol/frame-reader';

const ADMIN: SaslCredentials = { mechanism: 'SCRAM-SHA-512', username: 'admin', password: 'admin-secret' };
const REAUTH_MS = 3000;

describe('security: bad input before and during authentication', function () {
  this.timeout(180_000);
  let saslPort = 0;
  before(async () => {
    saslPort = await freePort();
  });
  const ref = useBroker({
    name: 'sec-bad',
    extraArgs: (port) => [
      '--listeners', `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
      '--sasl-enabled-mechanisms', 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      '--sasl-bootstrap-users', 'admin:admin-secret',
      '--connections-max-reauth-ms', String(REAUTH_MS),
    ],
  });

  const connect = (sasl?: SaslCredentials) => KafkaClient.connect({ host: '127.0.0.1', port: saslPort, timeoutMs: 30_000, sasl });

  async function failures(mechanism: string): Promise<number> {
    const m = new RegExp(`^strata_authentication_total\\{listener="SASL_PLAINTEXT",mechanism="${mechanism}",result="failure"\\} (\\d+)`, 'm').exec(await ref.broker.metricsText());
    return m ? Number(m[1]) : 0;
  }

  /** Resolves once the broker has closed the client's connection (further requests fail). */
  async function closedByBroker(c: KafkaClient): Promise<void> {
    await withTimeout(
      assert.rejects(c.request(ApiKey.ApiVersions, 0, {}), /closed/),
      10_000,
      'the broker closing the connection',
    );
  }

  function countLines(text: string): number {
    return fs.readFileSync(ref.broker.logPath, 'utf8').split(text).length - 1;
  }

  function rssBytes(): number {
    const status = fs.readFileSync(`/proc/${ref.broker.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
  }

  it('garbage SaslAuthenticate bytes: SASL_AUTHENTICATION_FAILED, then the connection closes', async () => {
    for (const [i, mechanism] of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].entries()) {
      for (const token of [seededBytes(i + 1, 300), Buffer.alloc(0), Buffer.from('n,,n=admin,r=')]) {
        const c = await connect();
        const hs = await c.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism });
        assert.equal(hs.errorCode, ErrorCode.NONE);
        const res = await c.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, { authBytes: token });
        assert.equal(res.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, `${mechanism} with ${token.length} bytes`);
        assert.ok(res.errorMessage);
        await closedByBroker(c);
      }
    }
  });

  it('SASL out of order: authenticate before the handshake, an unknown mechanism, a second handshake', async () => {
    const early = await connect();
    await assert.rejects(early.request(ApiKey.SaslAuthenticate, 1, { authBytes: Buffer.from('x') }), /closed/);
    const unknown = await connect();
    const res = await unknown.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism: 'GSSAPI'.repeat(1000) });
    assert.equal(res.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assert.deepEqual(res.mechanisms, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    await closedByBroker(unknown);
    assert.ok((await ref.broker.metricsText()).includes('mechanism="UNSUPPORTED"'), 'a client-chosen mechanism never becomes a label');
    const twice = await connect();
    await twice.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    await assert.rejects(twice.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' }), /closed/);
  });

  it('SaslHandshake v0 (pre-KIP-152 clients): raw SASL tokens without Kafka headers, then requests as usual', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: saslPort });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const reader = new FrameReader(1 << 20);
    const frames: Buffer[] = [];
    socket.on('data', (d: Buffer) => frames.push(...reader.push(d)));
    const nextFrame = () => waitFor(() => frames.shift(), { timeoutMs: 10_000, intervalMs: 10, what: 'a frame from the broker' });
    const write = (chunks: Buffer[]) => socket.write(Buffer.concat(chunks));
    try {
      write(encodeRequestFrame(ApiKey.SaslHandshake, 0, 1, 'raw', { mechanism: 'PLAIN' }));
      assert.equal(decodeResponse<SaslHandshakeResponse>(ApiKey.SaslHandshake, 0, await nextFrame()).body.errorCode, ErrorCode.NONE);
      const token = Buffer.from('\u0000admin\u0000admin-secret');
      const size = Buffer.alloc(4);
      size.writeInt32BE(token.length);
      write([size, token]);
      assert.equal((await nextFrame()).length, 0, 'PLAIN answers an empty token');
      write(encodeRequestFrame(ApiKey.Metadata, 1, 2, 'raw', { topics: null }));
      const md = decodeResponse<{ brokers: Array<{ port: number }> }>(ApiKey.Metadata, 1, await nextFrame()).body;
      assert.deepEqual(md.brokers.map((b) => b.port), [saslPort]);
    } finally {
      socket.destroy();
    }
  });

  it('a 100 MiB frame announced before authentication closes the connection without being read', async () => {
    const rssBefore = rssBytes();
    const socket = net.connect({ host: '127.0.0.1', port: saslPort });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('error', () => undefined); // the broker resets the connection while we write
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(100 * 1024 * 1024);
    socket.write(prefix);
    // Keep sending body bytes until the broker hangs up (it should at once, on the prefix).
    const chunk = Buffer.alloc(1024 * 1024, 0x41);
    let sent = 0;
    let open = true;
    void closed.then(() => (open = false));
    while (open && sent < 100) {
      if (!socket.write(chunk)) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
      sent++;
    }
    await withTimeout(closed, 10_000, 'the broker closing a connection that announced 100 MiB before authenticating');
    assert.ok(sent < 100, `the broker read ${sent} MiB before closing`);
    const grew = rssBytes() - rssBefore;
    assert.ok(grew < 32 * 1024 * 1024, `broker RSS grew by ${(grew / 1048576).toFixed(1)} MiB`);
    await waitFor(() => ref.broker.logTail(200).includes('exceeds sasl.server.max.receive.size (524288)') || undefined, {
      timeoutMs: 10_000,
      what: 'the close reason in the broker log',
    });
    console.log(`      100 MiB announced: closed after ${sent} MiB sent by the client; broker RSS change ${(grew / 1048576).toFixed(1)} MiB`);
  });

  it('1,000 failed logins: every one refused and counted, the broker keeps answering', async () => {
    const before = await failures('PLAIN');
    const started = Date.now();
    // A PLAINTEXT client pings throughout: the broker must keep serving while logins fail.
    const pinger = await KafkaClient.connect({ host: '127.0.0.1', port: ref.broker.port });
    let pinging = true;
    let pings = 0;
    let slowest = 0;
    const pingLoop = (async () => {
      while (pinging) {
        const t = Date.now();
        await pinger.request(ApiKey.ApiVersions, 0, {});
        slowest = Math.max(slowest, Date.now() - t);
        pings++;
      }
    })();
    let next = 0;
    const worker = async () => {
      while (next < 1000) {
        const i = next++;
        await assert.rejects(
          connect({ mechanism: 'PLAIN', username: i % 2 ? 'admin' : `nobody-${i}`, password: `guess-${i}` }),
          (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.SASL_AUTHENTICATION_FAILED,
        );
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    pinging = false;
    await pingLoop;
    await pinger.close();
    const seconds = (Date.now() - started) / 1000;
    assert.equal((await failures('PLAIN')) - before, 1000);
    assert.ok(pings > 0);
    assert.ok(slowest < 5000, `an ApiVersions took ${slowest} ms during the failed logins`);
    // The right password still works afterwards.
    const ok = await connect({ mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' });
    await ok.request(ApiKey.Metadata, 1, { topics: null });
    await ok.close();
    console.log(`      1,000 failed PLAIN logins in ${seconds.toFixed(1)} s; ${pings} pings meanwhile, slowest ${slowest} ms`);
  });

  it('the Java client re-authenticates by itself (KIP-368): no connection is closed for an expired session', async () => {
    requireJavaClient();
    const props = path.join(ref.broker.baseDir, 'java-sasl.properties');
    fs.writeFileSync(
      props,
      [
        'security.protocol=SASL_PLAINTEXT',
        'sasl.mechanism=SCRAM-SHA-512',
        'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";',
      ].join('\n'),
    );
    const env = { STRATA_CLIENT_PROPERTIES: props };
    const bs = `127.0.0.1:${saslPort}`;
    const topic = `reauth-${Date.now()}`;
    const expiredBefore = countLines('SASL session expired');
    const counters = async () => {
      const text = await ref.broker.metricsText();
      const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
      return {
        logins: value(/^strata_authentication_total\{listener="SASL_PLAINTEXT",mechanism="SCRAM-SHA-512",result="success"\} (\d+)/m),
        connections: value(/^strata_connections_total (\d+)/m),
      };
    };
    const start = await counters();
    summary(await runJava('create-topic', [bs, topic, 1], 60_000, env), 'create-topic');
    summary(await runJava('produce', [bs, topic, 3, 'none'], 60_000, env), 'produce');
    // One consumer polling for three sessions' worth of time (it asks for more records than exist).
    const consumed = summary(await runJava('consume', [bs, topic, 4, 3 * REAUTH_MS], 60_000, env), 'consume');
    assert.equal(consumed.count, 3);
    const end = await counters();
    const reauthentications = end.logins - start.logins - (end.connections - start.connections);
    assert.ok(reauthentications > 0, `expected re-authentications: ${end.logins - start.logins} logins on ${end.connections - start.connections} connections`);
    assert.equal(countLines('SASL session expired'), expiredBefore, 'no Java connection was closed for an expired session');
    console.log(`      Java client: ${reauthentications} re-authentications on open connections`);
  });

  it('connections.max.reauth.ms: re-authentication renews the session; without it the connection closes at its next request', async () => {
    const c = await KafkaClient.connect({ host: '127.0.0.1', port: saslPort });
    const first = await c.authenticate(ADMIN);
    assert.equal(first.sessionLifetimeMs, REAUTH_MS);
    const renewed = await c.authenticate(ADMIN); // KIP-368: a new handshake on the open connection
    assert.equal(renewed.sessionLifetimeMs, REAUTH_MS);
    const authenticatedAt = Date.now();
    await c.request(ApiKey.Metadata, 1, { topics: null });
    // Re-authenticating as someone else is refused.
    const other = await KafkaClient.connect({ host: '127.0.0.1', port: saslPort, sasl: ADMIN });
    await other.request(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [],
      upsertions: [{ name: 'eve', mechanism: 2, iterations: 4096, salt: Buffer.from('salt-of-eve'), saltedPassword: await saltedPassword('SCRAM-SHA-512', 'eve-pw', Buffer.from('salt-of-eve'), 4096) }],
    });
    await KafkaClient.connect({ host: '127.0.0.1', port: saslPort, sasl: { mechanism: 'SCRAM-SHA-512', username: 'eve', password: 'eve-pw' } }).then((e) => e.close());
    await assert.rejects(
      other.authenticate({ mechanism: 'SCRAM-SHA-512', username: 'eve', password: 'eve-pw' }),
      (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.SASL_AUTHENTICATION_FAILED && /Cannot change principals/.test(e.message),
    );
    // Without re-authentication, the first request after the session ends closes the connection.
    const closedAt = await waitFor(
      async () => {
        try {
          await c.request(ApiKey.Metadata, 1, { topics: null });
          return undefined;
        } catch {
          return Date.now();
        }
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the expired session to be closed' },
    );
    assert.ok(closedAt - authenticatedAt >= REAUTH_MS - 50, `closed after ${closedAt - authenticatedAt} ms`);
    await waitFor(() => ref.broker.logTail(200).includes('SASL session expired') || undefined, { timeoutMs: 10_000, what: 'the expiry in the log' });
  });

  it('credentials live in the metadata log: a changed password survives a restart, and bootstrap users never overwrite it', async () => {
    const admin = await connect(ADMIN);
    const salt = Buffer.from('rotated-salt');
    const res = await admin.request<{ results: Array<{ errorCode: number }> }>(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [],
      upsertions: [{ name: 'admin', mechanism: 2, iterations: 4096, salt, saltedPassword: await saltedPassword('SCRAM-SHA-512', 'rotated-pw', salt, 4096) }],
    });
    assert.deepEqual(res.results.map((r) => r.errorCode), [ErrorCode.NONE]);
    await admin.close();
    await ref.broker.restart(); // started again with --sasl-bootstrap-users admin:admin-secret
    await connect({ mechanism: 'SCRAM-SHA-512', username: 'admin', password: 'rotated-pw' }).then((c) => c.close());
    await connect({ mechanism: 'PLAIN', username: 'admin', password: 'rotated-pw' }).then((c) => c.close());
    await assert.rejects(connect(ADMIN), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.SASL_AUTHENTICATION_FAILED);
    // SCRAM-SHA-256 was not changed: the bootstrap password still works there.
    await connect({ mechanism: 'SCRAM-SHA-256', username: 'admin', password: 'admin-secret' }).then((c) => c.close());
  });
});
