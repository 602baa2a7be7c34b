// The pure parts of admin/configs.ts: building IncrementalAlterConfigs operations, the change that makes
// overrides match a wanted set (what the operator applies), and picking a topic's overrides.
import { strict as assert } from 'node:assert';
import { changeToMatch, configOperations, topicOverrides, type ConfigEntry } from '../configs';
import { AdminError } from '../errors';

const entry = (name: string, value: string | null, source: string): ConfigEntry => ({ name, value, source, isDefault: source === 'DEFAULT', readOnly: false, sensitive: false });

describe('admin configs', () => {
  it('turns a change into SET and DELETE operations', () => {
    assert.deepEqual(configOperations({ set: { 'retention.ms': '1000' }, delete: ['cleanup.policy', 'cleanup.policy'] }), [
      { name: 'retention.ms', configOperation: 0, value: '1000' },
      { name: 'cleanup.policy', configOperation: 1, value: null },
    ]);
    assert.deepEqual(configOperations({}), []);
  });

  it('refuses a key that is both set and deleted', () => {
    assert.throws(() => configOperations({ set: { a: '1' }, delete: ['a'] }), (e: unknown) => e instanceof AdminError && e.kind === 'usage' && /config a is both set and deleted/.test(e.message));
  });

  it('computes the change that makes the overrides exactly the wanted ones', () => {
    const current = new Map<string, string | null>([['retention.ms', '1000'], ['max.message.bytes', '4096'], ['cleanup.policy', 'delete']]);
    const want = new Map([['retention.ms', '7200000'], ['cleanup.policy', 'delete'], ['segment.ms', '60000']]);
    assert.deepEqual(changeToMatch(current, want), { set: { 'retention.ms': '7200000', 'segment.ms': '60000' }, delete: ['max.message.bytes'] });
    assert.deepEqual(changeToMatch(want, want), { set: {}, delete: [] });
  });

  it('keeps only the values set on the topic itself as overrides', () => {
    const overrides = topicOverrides([entry('retention.ms', '1000', 'TOPIC'), entry('segment.bytes', '1073741824', 'DEFAULT'), entry('log.dirs', '/d', 'STATIC_BROKER')]);
    assert.deepEqual([...overrides], [['retention.ms', '1000']]);
  });
});
