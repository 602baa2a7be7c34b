// The per-connection authentication state machine (security/authenticator.ts) with a manual clock: which APIs
// are admitted in each state, the frame limit before authentication, the delayed close after a failure,
// session expiry and re-authentication (KIP-368), and PLAIN checked against the stored SCRAM credential.
import { strict as assert } from 'node:assert';
import { MetadataImage } from '../../src/cluster/metadata-image';
import { ApiKey } from '../../src/protocol/apis';
import { ErrorCode } from '../../src/protocol/errors';
import { Authenticator, type AuthenticatorConfig } from '../../src/security/authenticator';
import { ANONYMOUS } from '../../src/security/principal';
import { scramCredentialRecord } from '../../src/security/scram-credentials';
import { credentialFromPassword, ScramClient } from '../../src/security/scram';
import { ManualClock } from '../manual-clock';

const plain = (user: string, pw: string) => Buffer.from(`\u0000${user}\u0000${pw}`);

describe('security: authenticator state machine', () => {
  let image: MetadataImage;
  before(async () => {
    image = new MetadataImage();
    for (const u of ['alice', 'bob']) image.apply(scramCredentialRecord(u, 'SCRAM-SHA-512', await credentialFromPassword('SCRAM-SHA-512', `${u}-pw`)));
  });

  function setup(over: Partial<AuthenticatorConfig> = {}) {
    const clock = new ManualClock();
    const closes: string[] = [];
    const results: string[] = [];
    const cfg: AuthenticatorConfig = {
      listenerName: 'SASL_SSL',
      securityProtocol: 'SASL_SSL',
      mechanisms: ['PLAIN', 'SCRAM-SHA-512'],
      image,
      maxReceiveBytes: 524288,
      reauthMs: 0,
      failureDelayMs: 100,
      clock,
      onResult: (l, m, r) => results.push(`${l}/${m}/${r}`),
      ...over,
    };
    const auth = new Authenticator(cfg, (reason) => closes.push(reason));
    return { auth, clock, closes, results };
  }

  it('before authentication: only ApiVersions and SaslHandshake, then only SaslAuthenticate; small frames', async () => {
    const { auth, results } = setup();
    assert.deepEqual(auth.principal, ANONYMOUS);
    assert.equal(auth.frameLimit, 524288);
    assert.deepEqual(auth.admit(ApiKey.ApiVersions), { ok: true });
    assert.deepEqual(auth.admit(ApiKey.SaslHandshake), { ok: true });
    const refused = auth.admit(ApiKey.Metadata);
    assert.equal(refused.ok, false);
    assert.match((refused as { close: string }).close, /during SASL handshake/);
    assert.deepEqual(auth.handshake('PLAIN', 1), { errorCode: ErrorCode.NONE, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] });
    assert.equal(auth.admit(ApiKey.ApiVersions).ok, false);
    assert.deepEqual(auth.admit(ApiKey.SaslAuthenticate), { ok: true });
    const res = await auth.authenticate(plain('alice', 'alice-pw'), 2);
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.deepEqual(auth.principal, { type: 'User', name: 'alice' });
    assert.equal(auth.frameLimit, null);
    assert.deepEqual(auth.admit(ApiKey.Produce), { ok: true });
    assert.equal(res.sessionLifetimeMs, 0);
    assert.deepEqual(results, ['SASL_SSL/PLAIN/success']);
    // After success: another SaslAuthenticate (or handshake without re-authentication) is an illegal state.
    assert.equal((await auth.authenticate(plain('alice', 'alice-pw'), 2)).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    assert.equal(auth.handshake('PLAIN', 1).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  });

  it('a failed login answers SASL_AUTHENTICATION_FAILED, ignores further requests and closes after the delay', async () => {
    const { auth, clock, closes, results } = setup();
    auth.handshake('PLAIN', 1);
    const res = await auth.authenticate(plain('alice', 'wrong'), 1);
    assert.equal(res.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.match(res.errorMessage!, /invalid credentials/);
    assert.deepEqual(auth.admit(ApiKey.ApiVersions), { ok: false, close: null });
    await clock.advance(99);
    assert.deepEqual(closes, []);
    await clock.advance(1);
    assert.equal(closes.length, 1);
    assert.match(closes[0], /^authentication failed/);
    assert.deepEqual(results, ['SASL_SSL/PLAIN/failure']);
  });

  it('an unknown mechanism gets UNSUPPORTED_SASL_MECHANISM and closes; garbage PLAIN tokens fail', async () => {
    const a = setup();
    assert.deepEqual(a.auth.handshake('GSSAPI', 1), { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] });
    await a.clock.advance(100);
    assert.equal(a.closes.length, 1);
    assert.deepEqual(a.results, ['SASL_SSL/UNSUPPORTED/failure']);
    const b = setup();
    b.auth.handshake('PLAIN', 1);
    const res = await b.auth.authenticate(Buffer.from([0xff, 0x00, 0x13]), 1);
    assert.equal(res.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  });

  it('sessions expire after connections.max.reauth.ms; re-authentication renews them but may not change the principal', async () => {
    const { auth, clock, closes } = setup({ reauthMs: 1000 });
    auth.handshake('SCRAM-SHA-512', 1);
    const scram = new ScramClient('SCRAM-SHA-512', 'alice', 'alice-pw');
    const first = await auth.authenticate(scram.firstMessage(), 1);
    const done = await auth.authenticate(await scram.finalMessage(first.authBytes), 1);
    assert.equal(done.errorCode, ErrorCode.NONE);
    assert.equal(done.sessionLifetimeMs, 1000);
    await clock.advance(999);
    assert.deepEqual(auth.admit(ApiKey.Fetch), { ok: true });
    await clock.advance(1);
    const expired = auth.admit(ApiKey.Fetch);
    assert.equal(expired.ok, false);
    assert.match((expired as { close: string }).close, /session expired/);
    // Re-authentication on the same connection renews the session.
    assert.equal(auth.handshake('SCRAM-SHA-512', 1).errorCode, ErrorCode.NONE);
    const again = new ScramClient('SCRAM-SHA-512', 'alice', 'alice-pw');
    const f2 = await auth.authenticate(again.firstMessage(), 1);
    assert.equal((await auth.authenticate(await again.finalMessage(f2.authBytes), 1)).errorCode, ErrorCode.NONE);
    assert.deepEqual(auth.admit(ApiKey.Fetch), { ok: true });
    // Switching to another user on re-authentication fails the connection.
    await clock.advance(1000);
    auth.handshake('SCRAM-SHA-512', 1);
    const bob = new ScramClient('SCRAM-SHA-512', 'bob', 'bob-pw');
    const f3 = await auth.authenticate(bob.firstMessage(), 1);
    const r3 = await auth.authenticate(await bob.finalMessage(f3.authBytes), 1);
    assert.equal(r3.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.match(r3.errorMessage!, /Cannot change principals/);
    await clock.advance(100);
    assert.equal(closes.length, 1);
  });

  it('PLAINTEXT and SSL listeners are authenticated from the start (the TLS principal is kept)', () => {
    const clock = new ManualClock();
    const cfg: AuthenticatorConfig = { listenerName: 'SSL', securityProtocol: 'SSL', mechanisms: [], image, maxReceiveBytes: 512, reauthMs: 0, failureDelayMs: 0, clock };
    const auth = new Authenticator(cfg, () => undefined, { type: 'User', name: 'CN=app,O=Strata' });
    assert.equal(auth.principal.name, 'CN=app,O=Strata');
    assert.equal(auth.frameLimit, null);
    assert.deepEqual(auth.admit(ApiKey.Produce), { ok: true });
    assert.equal(auth.handshake('PLAIN', 1).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  });

  it('SaslHandshake v0 switches to raw SASL tokens', async () => {
    const { auth } = setup();
    auth.handshake('PLAIN', 0);
    assert.equal(auth.expectsRawToken, true);
    assert.deepEqual(await auth.rawToken(plain('bob', 'bob-pw')), Buffer.alloc(0));
    assert.equal(auth.principal.name, 'bob');
    assert.equal(auth.expectsRawToken, false);
  });
});
