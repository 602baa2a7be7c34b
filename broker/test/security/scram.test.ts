// SCRAM against the RFC 7677 §3 test vector (SCRAM-SHA-256: user "user", password "pencil"), both halves: our
// client produces the RFC's client-final message and accepts its server signature, and our server, given the
// RFC's nonce and the credential derived from "pencil", verifies the RFC's proof and answers its signature.
// SCRAM-SHA-512 has no RFC vector: it is checked client against server, plus message syntax and failures.
import { strict as assert } from 'node:assert';
import { MetadataImage } from '../../src/cluster/metadata-image';
import { ScramServer } from '../../src/security/sasl-scram';
import { SaslAuthenticationError } from '../../src/security/sasl-server';
import { scramCredentialRecord } from '../../src/security/scram-credentials';
import {
  credentialFromPassword,
  decodeSaslName,
  encodeSaslName,
  parseClientFirst,
  ScramClient,
  verifyPassword,
  type ScramMechanism,
} from '../../src/security/scram';

const RFC7677 = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
};

async function imageWith(user: string, password: string, m: ScramMechanism, salt?: Buffer): Promise<MetadataImage> {
  const image = new MetadataImage();
  image.apply(scramCredentialRecord(user, m, await credentialFromPassword(m, password, 4096, salt)));
  return image;
}

async function failsWith(p: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof SaslAuthenticationError && message.test(err.message));
}

describe('security: SCRAM (RFC 5802 / RFC 7677)', () => {
  it('client: produces the RFC 7677 client-final message and accepts its server signature', async () => {
    const client = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    assert.equal(client.firstMessage().toString(), RFC7677.clientFirst);
    assert.equal((await client.finalMessage(Buffer.from(RFC7677.serverFirst))).toString(), RFC7677.clientFinal);
    client.verifyServerFinal(Buffer.from(RFC7677.serverFinal));
    assert.throws(() => client.verifyServerFinal(Buffer.from('v=AAAA')), /invalid server signature/);
  });

  it('server: verifies the RFC 7677 proof and answers the RFC signature', async () => {
    const image = await imageWith('user', 'pencil', 'SCRAM-SHA-256', RFC7677.salt);
    const server = new ScramServer('SCRAM-SHA-256', image, () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    const first = await server.evaluate(Buffer.from(RFC7677.clientFirst));
    assert.equal(first.challenge.toString(), RFC7677.serverFirst);
    assert.equal(first.user, undefined);
    const final = await server.evaluate(Buffer.from(RFC7677.clientFinal));
    assert.equal(final.challenge.toString(), RFC7677.serverFinal);
    assert.equal(final.user, 'user');
  });

  for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as ScramMechanism[]) {
    it(`${m}: our client against our server, then a wrong password fails at the proof`, async () => {
      const image = await imageWith('alice', 's3cret', m);
      const ok = new ScramServer(m, image);
      const client = new ScramClient(m, 'alice', 's3cret');
      const sf = await ok.evaluate(client.firstMessage());
      const done = await ok.evaluate(await client.finalMessage(sf.challenge));
      assert.equal(done.user, 'alice');
      client.verifyServerFinal(done.challenge);

      const bad = new ScramServer(m, image);
      const wrong = new ScramClient(m, 'alice', 'guess');
      const sf2 = await bad.evaluate(wrong.firstMessage());
      await failsWith(bad.evaluate(await wrong.finalMessage(sf2.challenge)), /invalid credentials/);
    });
  }

  it('an unknown user gets a stable decoy salt and fails only at the proof', async () => {
    const image = new MetadataImage();
    const salts = [];
    for (let i = 0; i < 2; i++) {
      const server = new ScramServer('SCRAM-SHA-512', image);
      const client = new ScramClient('SCRAM-SHA-512', 'nobody', 'x');
      const sf = await server.evaluate(client.firstMessage());
      salts.push(/s=([^,]+)/.exec(sf.challenge.toString())![1]);
      await failsWith(server.evaluate(await client.finalMessage(sf.challenge)), /invalid credentials/);
    }
    assert.equal(salts[0], salts[1]);
  });

  it('refuses malformed messages, a foreign nonce, a different authzid and delegation tokens', async () => {
    const image = await imageWith('alice', 'pw', 'SCRAM-SHA-256');
    const bad = async (first: string, final?: (serverFirst: string) => string) => {
      const s = new ScramServer('SCRAM-SHA-256', image);
      if (!final) return s.evaluate(Buffer.from(first));
      const sf = await s.evaluate(Buffer.from(first));
      return s.evaluate(Buffer.from(final(sf.challenge.toString())));
    };
    await failsWith(bad('garbage'), /Invalid SCRAM message/);
    await failsWith(bad('\u0000\u0001\u00ff'), /Invalid SCRAM message/);
    await failsWith(bad('p=tls-unique,,n=alice,r=abc'), /channel binding/);
    await failsWith(bad('n,a=bob,n=alice,r=abc'), /authorization id/);
    await failsWith(bad('n,,n=alice,r=abc,tokenauth=true'), /delegation tokens/);
    await failsWith(bad('n,,n=alice,r=abc', () => 'c=biws,r=other,p=AAAA'), /nonce/);
    await failsWith(bad('n,,n=alice,r=abc', (sf) => `c=biws,${sf.split(',')[0]},p=!!`), /Invalid SCRAM message/);
    await failsWith(bad('n,,n=alice,r=abc', (sf) => `c=biws,${sf.split(',')[0]},p=AAAA`), /invalid credentials/);
    const done = new ScramServer('SCRAM-SHA-256', image);
    await failsWith(done.evaluate(Buffer.alloc(10_000, 0x61)), /longer than/);
  });

  it('saslname escaping and parsing', () => {
    assert.equal(encodeSaslName('a=b,c'), 'a=3Db=2Cc');
    assert.equal(decodeSaslName('a=3Db=2Cc'), 'a=b,c');
    assert.throws(() => decodeSaslName('a=4x'), /saslname/);
    const cf = parseClientFirst('n,a=u=2C1,n=u=2C1,r=xyz,ext=1');
    assert.deepEqual([cf.authzid, cf.username, cf.nonce, cf.bare, cf.gs2Header], ['u,1', 'u,1', 'xyz', 'n=u=2C1,r=xyz,ext=1', 'n,a=u=2C1,']);
  });

  it('verifyPassword derives against the stored key', async () => {
    const cred = await credentialFromPassword('SCRAM-SHA-512', 'right');
    assert.equal(await verifyPassword('SCRAM-SHA-512', cred, 'right'), true);
    assert.equal(await verifyPassword('SCRAM-SHA-512', cred, 'wrong'), false);
  });
});
