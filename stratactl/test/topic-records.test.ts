// The flag parsers of stratactl topic consume: where to start reading.
import { strict as assert } from 'node:assert';
import { AdminError } from '../../admin/errors';
import { parseOffset, parseTimestamp } from '../commands/topic-records';

const usage = (e: unknown) => e instanceof AdminError && e.kind === 'usage';

describe('stratactl topic consume flags', () => {
  it('parses --offset as beginning, end, an absolute offset or the last n', () => {
    assert.equal(parseOffset('beginning'), 'beginning');
    assert.equal(parseOffset('end'), 'end');
    assert.deepEqual(parseOffset('42'), { offset: 42 });
    assert.deepEqual(parseOffset('-5'), { fromEnd: 5 });
    for (const bad of ['', 'soon', '1.5', '--3', '99999999999999999999']) assert.throws(() => parseOffset(bad), usage, bad);
  });

  it('parses --timestamp as epoch milliseconds or ISO-8601', () => {
    assert.equal(parseTimestamp('1700000000000'), 1700000000000);
    assert.equal(parseTimestamp('2024-01-02T03:04:05.678Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    for (const bad of ['yesterday', '-5', '2024-13-45T00:00:00Z']) assert.throws(() => parseTimestamp(bad), usage, bad);
  });
});
