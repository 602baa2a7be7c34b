// Human-readable byte counts for tables and console pages.
import { strict as assert } from 'node:assert';
import { formatBytes } from '../units';

describe('formatBytes', () => {
  it('prints exact bytes below 1 KiB, one decimal below 10 units, whole units above', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1.0 KiB');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(20 * 1024 + 100), '20 KiB');
    assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GiB');
    assert.equal(formatBytes(3 * 1024 ** 6), '3072 PiB');
  });

  it('shows unknown sizes as "-"', () => {
    assert.equal(formatBytes(null), '-');
    assert.equal(formatBytes(Number.NaN), '-');
  });
});
