// Kafka's rules for AlterUserScramCredentials (security/scram-credentials.ts) and the credential records in
// the image and its snapshot.
import { strict as assert } from 'node:assert';
import { MetadataImage } from '../../src/cluster/metadata-image';
import { imageToRecords } from '../../src/cluster/metadata-log';
import { ErrorCode } from '../../src/protocol/errors';
import { planScramAlterations } from '../../src/security/scram-credentials';

const up = (name: string, mechanism = 2, iterations = 4096) => ({ name, mechanism, iterations, salt: Buffer.from('salt'), saltedPassword: Buffer.alloc(64, 1) });

describe('security: SCRAM credential alterations', () => {
  it('applies valid users, reports per-user errors, and never stores the salted password', () => {
    const image = new MetadataImage();
    const { records, results } = planScramAlterations(
      image,
      [{ name: 'ghost', mechanism: 1 }],
      [up('alice'), up('alice', 1), up('bob', 2, 100), up('carol', 2, 20000), up('dave', 9), up(''), up('erin'), up('erin')],
    );
    assert.deepEqual(
      results.map((r) => [r.user, ErrorCode[r.errorCode]]),
      [
        ['ghost', 'RESOURCE_NOT_FOUND'],
        ['alice', 'NONE'],
        ['bob', 'UNACCEPTABLE_CREDENTIAL'],
        ['carol', 'UNACCEPTABLE_CREDENTIAL'],
        ['dave', 'UNSUPPORTED_SASL_MECHANISM'],
        ['', 'UNACCEPTABLE_CREDENTIAL'],
        ['erin', 'DUPLICATE_RESOURCE'],
      ],
    );
    assert.equal(records.length, 2);
    for (const r of records) image.apply(r);
    assert.deepEqual([...image.scramCredentials.get('alice')!.keys()].sort(), ['SCRAM-SHA-256', 'SCRAM-SHA-512']);
    assert.ok(!JSON.stringify(records).includes(Buffer.alloc(64, 1).toString('base64')), 'the salted password is not stored');
    // Snapshot round trip, then deletion.
    const copy = new MetadataImage();
    for (const r of imageToRecords(image)) copy.apply(r);
    assert.deepEqual(copy.scramCredentials, image.scramCredentials);
    const del = planScramAlterations(copy, [{ name: 'alice', mechanism: 1 }, { name: 'alice', mechanism: 2 }], []);
    assert.equal(del.results[0].errorCode, ErrorCode.NONE);
    for (const r of del.records) copy.apply(r);
    assert.equal(copy.scramCredentials.has('alice'), false);
  });
});
