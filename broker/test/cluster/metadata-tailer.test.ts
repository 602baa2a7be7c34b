// MetadataTailer: a broker's image follows entries other brokers append (poll on an injected clock, or poke),
// listeners run after each batch and their errors never stop the tailer.
import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MetadataTailer } from '../../src/cluster/metadata-tailer';
import { ManualClock } from '../manual-clock';
import { metadataNode, until, type TestNode } from './metadata-node';
import { silentLogger } from '../coordinator/helpers';

const spec = (name: string) => ({ name, numPartitions: 1, replicationFactor: 1, configs: {} });

describe('MetadataTailer', () => {
  let dir: string;
  let a: TestNode;
  let b: TestNode;
  let clock: ManualClock;
  let tailer: MetadataTailer;
  let seen: string[][];
  let failures: number;

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-tailer-'));
    a = await metadataNode(dir, 1);
    b = await metadataNode(dir, 2);
    await a.controller.bootstrap('cluster', 'h', 1);
    clock = new ManualClock();
    tailer = new MetadataTailer(b.log, b.image, { pollIntervalMs: 100, clock, logger: silentLogger });
    seen = [];
    failures = 0;
    tailer.onChange(async () => {
      failures++;
      throw new Error('listener failure (expected by the test)');
    });
    tailer.onChange(async () => void seen.push([...b.image.topicsByName.keys()].sort()));
  });
  afterEach(async () => {
    tailer.stop();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('applies entries written by another broker at the next poll and runs the listeners', async () => {
    tailer.start();
    await a.controller.createTopic(spec('t1'), false);
    assert.equal(b.image.topicsByName.has('t1'), false);
    await clock.advance(100);
    await until(() => seen.some((s) => s.includes('t1')), 'the tailer applied t1 and ran the listeners');
    assert.ok(failures >= 1, 'the failing listener ran too, and did not stop the next one');
    assert.equal(b.log.position, a.log.position);
  });

  it('poke catches up at once and resolves after the listeners ran', async () => {
    tailer.start();
    await a.controller.createTopic(spec('t2'), false);
    await tailer.poke();
    assert.ok(b.image.topicsByName.has('t2'));
    assert.deepEqual(seen.at(-1), ['t2']);
    const runs = seen.length;
    await tailer.poke(); // nothing new: no listener run
    assert.equal(seen.length, runs);
  });

  it('runs the listeners for entries a controller operation applied while catching up after a conflict', async () => {
    await a.controller.createTopic(spec('t3'), false);
    await b.controller.createTopic(spec('t4'), false); // loses position 1, catches up (applies t3), writes again
    await until(() => seen.some((s) => s.includes('t3')), 'listeners saw the entries applied by the conflict catch-up');
  });

  it('stops polling when stopped', async () => {
    tailer.start();
    tailer.stop();
    await a.controller.createTopic(spec('t5'), false);
    await clock.advance(1000);
    assert.equal(clock.pendingTimers, 0);
    assert.equal(b.image.topicsByName.has('t5'), false);
  });
});
