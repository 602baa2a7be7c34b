// The client half of SASL: SCRAM against RFC 7677's example conversation, and PLAIN/SCRAM over a scripted transport.
import { strict as assert } from 'assert';
import { ApiKey } from '../../src/protocol/apis';
import { ErrorCode, KafkaError } from '../../src/protocol/errors';
import { ScramClient, authenticate, saslName, scramKeys } from '../../src/protocol/sasl-client';

describe('SASL client', () => {
  it('produces RFC 7677 SCRAM-SHA-256 messages and checks the server signature', () => {
    const c = new ScramClient('sha256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    assert.equal(c.firstMessage().toString(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = c.finalMessage(Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
    assert.equal(final.toString(), 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    c.verifyServerFinal(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='));
    assert.throws(() => c.verifyServerFinal(Buffer.from('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')), /signature does not match/);
    assert.throws(() => c.verifyServerFinal(Buffer.from('e=invalid-proof')), /invalid-proof/);
  });

  it('refuses a server nonce that does not extend its own', () => {
    const c = new ScramClient('sha512', 'u', 'p', 'abc');
    assert.throws(() => c.finalMessage(Buffer.from('r=xyz123,s=AAAA,i=4096')), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.throws(() => c.finalMessage(Buffer.from('r=abc,s=AAAA,i=4096')), /nonce/);
    assert.throws(() => c.finalMessage(Buffer.from('r=abcd,s=AAAA,i=0')), /malformed/);
  });

  it('escapes = and , in user names', () => {
    assert.equal(saslName('a=b,c'), 'a=3Db=2Cc');
  });

  it('runs PLAIN and SCRAM-SHA-512 through SaslHandshake and SaslAuthenticate', async () => {
    const sent: Array<{ apiKey: number; body: Record<string, unknown> }> = [];
    const salt = Buffer.from('salty');
    const keys = scramKeys('sha512', 'secret', salt, 4096);
    let clientFirstBare = '';
    let serverFirst = '';
    const transport = {
      async request<T>(apiKey: number, _v: number, body: object): Promise<T> {
        sent.push({ apiKey, body: body as Record<string, unknown> });
        if (apiKey === ApiKey.SaslHandshake) return { errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] } as T;
        const bytes = (body as { authBytes: Buffer }).authBytes.toString();
        if (bytes.startsWith('\0')) return { errorCode: 0, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n } as T;
        if (bytes.startsWith('n,,')) {
          clientFirstBare = bytes.slice(3);
          const nonce = /r=([^,]+)/.exec(bytes)![1]!;
          serverFirst = `r=${nonce}SERVER,s=${salt.toString('base64')},i=4096`;
          return { errorCode: 0, errorMessage: null, authBytes: Buffer.from(serverFirst), sessionLifetimeMs: 0n } as T;
        }
        const withoutProof = bytes.slice(0, bytes.indexOf(',p='));
        const { createHmac } = await import('node:crypto');
        const sig = createHmac('sha512', keys.serverKey).update(`${clientFirstBare},${serverFirst},${withoutProof}`).digest('base64');
        return { errorCode: 0, errorMessage: null, authBytes: Buffer.from(`v=${sig}`), sessionLifetimeMs: 3_600_000n } as T;
      },
    };
    await authenticate(transport, { mechanism: 'PLAIN', username: 'alice', password: 'pw' });
    assert.equal((sent[1]!.body.authBytes as Buffer).toString(), '\0alice\0pw');
    const r = await authenticate(transport, { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'secret' });
    assert.equal(r.sessionLifetimeMs, 3_600_000);
    assert.deepEqual(sent.map((s) => s.apiKey), [17, 36, 17, 36, 36]);
    await assert.rejects(authenticate(transport, { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'wrong' }), /signature does not match/);
  });

  it('reports a refused mechanism and a failed authentication with their Kafka errors', async () => {
    const refuse = { request: async <T>() => ({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['PLAIN'] }) as T };
    await assert.rejects(authenticate(refuse, { mechanism: 'SCRAM-SHA-256', username: 'a', password: 'b' }), /offers PLAIN/);
    const fail = {
      request: async <T>(apiKey: number) =>
        (apiKey === ApiKey.SaslHandshake ? { errorCode: 0, mechanisms: ['PLAIN'] } : { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'bad password', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n }) as T,
    };
    await assert.rejects(authenticate(fail, { mechanism: 'PLAIN', username: 'a', password: 'b' }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.SASL_AUTHENTICATION_FAILED && /bad password/.test(e.message));
  });
});
