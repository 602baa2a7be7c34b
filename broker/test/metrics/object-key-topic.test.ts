import { strict as assert } from 'node:assert';
import { objectKeyTopic } from '../../src/metrics/object-key-topic';
import { manifestKey, partitionPrefix, segmentObjectPrefix, topicsPrefix } from '../../src/tier/remote-keys';

describe('object key → topic label', () => {
  const names = new Map([['AAAAAAAAAAAAAAAAAAAAAA', 'orders']]);
  const label = (key: string) => objectKeyTopic('c1', key, (id) => names.get(id));
  const partition = partitionPrefix('c1', 'AAAAAAAAAAAAAAAAAAAAAA', 3);

  it('names the topic of a segment, its manifest and a listing of one of its partitions', () => {
    assert.equal(label(`${segmentObjectPrefix(partition, 42, 0, '0190a8e2-0000-7000-8000-000000000000')}.log`), 'orders');
    assert.equal(label(manifestKey(partition)), 'orders');
    assert.equal(label(partition), 'orders');
  });

  it('labels the metadata log, its snapshots and the cluster id object _metadata', () => {
    assert.equal(label('c1/metadata/log/00000000000000000001'), '_metadata');
    assert.equal(label('c1/metadata/snapshot/'), '_metadata');
    assert.equal(label('cluster.json'), '_metadata');
  });

  it('labels a topic id the metadata does not know _deleted', () => {
    assert.equal(label(`${partitionPrefix('c1', 'BBBBBBBBBBBBBBBBBBBBBB', 0)}manifest.json`), '_deleted');
  });

  it('labels the whole topics/ prefix, other clusters and stray keys _other', () => {
    assert.equal(label(topicsPrefix('c1')), '_other');
    assert.equal(label('c1/topics/AAAAAAAAAAAAAAAAAAAAAA'), '_other');
    assert.equal(label(manifestKey(partitionPrefix('c2', 'AAAAAAAAAAAAAAAAAAAAAA', 0))), '_other');
    assert.equal(label('c1/else/x'), '_other');
    assert.equal(label(''), '_other');
  });

  it('does not take a cluster id that merely starts like this one for it', () => {
    assert.equal(objectKeyTopic('c', manifestKey(partitionPrefix('c1', 'AAAAAAAAAAAAAAAAAAAAAA', 0)), (id) => names.get(id)), '_other');
  });
});
