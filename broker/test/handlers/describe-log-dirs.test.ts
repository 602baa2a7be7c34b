// The DescribeLogDirs handler on fake partitions: the data dir lists every hosted partition with its local size,
// the object store lists only tiered partitions this broker leads with their remote bytes, the topics filter
// selects, v4 carries the volume's size (and -1 for the bucket), the answer encodes at every served version, and
// without DESCRIBE on the cluster nothing is listed.
import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import * as path from 'node:path';
import handler from '../../src/handlers/describe-log-dirs';
import type { RequestContext } from '../../src/handlers/handler';
import { API_SPECS } from '../../src/protocol/apis';
import { decode, encode, Reader, Writer } from '../../src/protocol/codec';
import { ErrorCode } from '../../src/protocol/errors';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse } from '../../src/protocol/schema/types';
import type { Authorizer } from '../../src/security/authorizer';
import type { BrokerServices } from '../../src/services';
import { testRequestContext } from '../security/context';

interface FakePartition {
  topic: string;
  index: number;
  isLeader: boolean;
  local: number;
  /** remote.storage.enable; remote bytes when the partition has a remote side with a manifest. */
  tiered: boolean;
  remote?: number;
}

const PARTITIONS: FakePartition[] = [
  { topic: 'b-tiered', index: 1, isLeader: true, local: 300, tiered: true, remote: 4096 },
  { topic: 'b-tiered', index: 0, isLeader: true, local: 100, tiered: true, remote: 0 },
  { topic: 'a-plain', index: 0, isLeader: true, local: 50, tiered: false },
  // A follower's view of the manifest is not kept current: not listed under the object store.
  { topic: 'c-follower', index: 0, isLeader: false, local: 70, tiered: true, remote: 999 },
];

function context(version: number, opts: { authorizer?: Authorizer; objectStoreType?: 'local' | 's3' } = {}): RequestContext {
  const dataDir = os.tmpdir();
  const services = {
    config: { dataDir, objectStoreType: opts.objectStoreType ?? 'local', objectStoreDir: '/srv/objects', s3Bucket: 'bkt', s3Prefix: 'strata/' },
    replicas: {
      all: () =>
        PARTITIONS.map((p) => ({
          topic: p.topic,
          index: p.index,
          isLeader: p.isLeader,
          log: {
            sizeBytes: p.local,
            config: { remoteStorageEnable: p.tiered },
            remoteLog: { sizeBytes: p.remote ?? 0, isActive: p.remote !== undefined },
          },
        })),
    },
  } as unknown as BrokerServices;
  return testRequestContext(services, { apiVersion: version, clientId: 'admin', authorizer: opts.authorizer });
}

async function describe_(version: number, topics: DescribeLogDirsRequest['topics'], opts?: Parameters<typeof context>[1]): Promise<DescribeLogDirsResponse> {
  return (await handler.handle({ topics }, context(version, opts)))!;
}

const sizes = (r: DescribeLogDirsResponse['results'][number]) => r.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}:${p.partitionSize}`));

describe('DescribeLogDirs handler', () => {
  it('lists every hosted partition in the data dir and the tiered, led ones in the object store', async () => {
    const res = await describe_(4, null);
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.equal(res.results.length, 2);
    const [data, store] = res.results;
    assert.equal(data!.logDir, path.resolve(os.tmpdir()));
    assert.deepEqual(sizes(data!), ['a-plain-0:50', 'b-tiered-0:100', 'b-tiered-1:300', 'c-follower-0:70']);
    assert.ok(data!.totalBytes > 0 && data!.usableBytes >= 0 && data!.usableBytes <= data!.totalBytes, JSON.stringify(data));
    assert.equal(store!.logDir, 'file:///srv/objects');
    assert.deepEqual(sizes(store!), ['b-tiered-0:0', 'b-tiered-1:4096']);
    assert.deepEqual([store!.totalBytes, store!.usableBytes], [-1, -1]);
    for (const r of res.results) {
      assert.equal(r.errorCode, ErrorCode.NONE);
      for (const t of r.topics) for (const p of t.partitions) assert.deepEqual([p.offsetLag, p.isFutureKey], [0, false]);
    }
  });

  it('names an S3 store by bucket and prefix', async () => {
    const res = await describe_(4, null, { objectStoreType: 's3' });
    assert.equal(res.results[1]!.logDir, 's3://bkt/strata/');
  });

  it('describes only the named partitions this broker hosts', async () => {
    const res = await describe_(2, [
      { topic: 'b-tiered', partitions: [1, 7, 1] },
      { topic: 'missing', partitions: [0] },
      { topic: 'a-plain', partitions: [] },
    ]);
    assert.deepEqual(sizes(res.results[0]!), ['b-tiered-1:300']);
    assert.deepEqual(sizes(res.results[1]!), ['b-tiered-1:4096']);
  });

  it('answers CLUSTER_AUTHORIZATION_FAILED with no log dir without DESCRIBE on the cluster', async () => {
    const denyAll: Authorizer = { enabled: true, authorize: () => false, authorizeByResourceType: () => false };
    const res = await describe_(3, null, { authorizer: denyAll });
    assert.equal(res.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    assert.deepEqual(res.results, []);
  });

  it('encodes at every served version, with the volume sizes only from v4', async () => {
    const spec = API_SPECS.get(handler.apiKey)!.response;
    for (let v = handler.minVersion; v <= handler.maxVersion; v++) {
      const w = new Writer();
      encode(spec, v, await describe_(v, null), w);
      const back = decode<DescribeLogDirsResponse>(spec, v, new Reader(w.toBuffer(), 0));
      assert.deepEqual(sizes(back.results[1]!), ['b-tiered-0:0', 'b-tiered-1:4096'], `v${v}`);
      assert.equal(back.results[0]!.totalBytes > 0, v >= 4, `v${v} totalBytes ${back.results[0]!.totalBytes}`);
    }
  });
});
