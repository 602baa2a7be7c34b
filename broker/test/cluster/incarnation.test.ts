// meta.properties: created with a fresh incarnation id when absent, the same id on every later start, and a
// clear refusal when the data dir belongs to another node or cluster.
import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IncarnationMismatchError, loadIncarnation, META_PROPERTIES, parseProperties } from '../../src/cluster/incarnation';

describe('incarnation (meta.properties)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-incarnation-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('creates the file in Kafka format with a new incarnation id, and returns the same id afterwards', async () => {
    const id = await loadIncarnation(dir, 3, 'c1');
    assert.match(id, /^[0-9a-f-]{36}$/);
    const props = parseProperties(await fsp.readFile(path.join(dir, META_PROPERTIES), 'utf8'));
    assert.equal(props.get('version'), '1');
    assert.equal(props.get('node.id'), '3');
    assert.equal(props.get('cluster.id'), 'c1');
    assert.equal(props.get('incarnation.id'), id);
    assert.equal(await loadIncarnation(dir, 3, 'c1'), id);
  });

  it('a wiped data dir gets a new incarnation', async () => {
    const first = await loadIncarnation(dir, 1, 'c1');
    await fsp.rm(path.join(dir, META_PROPERTIES));
    assert.notEqual(await loadIncarnation(dir, 1, 'c1'), first);
  });

  it('refuses a data dir of another node id or cluster id, naming both', async () => {
    await loadIncarnation(dir, 1, 'c1');
    await assert.rejects(loadIncarnation(dir, 2, 'c1'), (err: Error) => err instanceof IncarnationMismatchError && /node\.id=1/.test(err.message) && /node id 2/.test(err.message));
    await assert.rejects(loadIncarnation(dir, 1, 'c2'), (err: Error) => err instanceof IncarnationMismatchError && /cluster\.id=c1/.test(err.message) && /c2/.test(err.message));
  });

  it('adds an incarnation id to a Kafka meta.properties that has none, keeping the identity checks', async () => {
    await fsp.writeFile(path.join(dir, META_PROPERTIES), '#comment\nversion=1\nnode.id=4\ncluster.id=abc\n');
    const id = await loadIncarnation(dir, 4, 'abc');
    assert.equal(parseProperties(await fsp.readFile(path.join(dir, META_PROPERTIES), 'utf8')).get('incarnation.id'), id);
  });
});
