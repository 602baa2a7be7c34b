// The repeatable key=value and name flags of topic create/alter-config: what they accept and refuse (usage).
import { strict as assert } from 'node:assert';
import { AdminError } from '../../admin/errors';
import { keyValues, names, parseKeyValue } from '../key-values';

const usage = (pattern: RegExp) => (e: unknown) => e instanceof AdminError && e.kind === 'usage' && pattern.test(e.message);

describe('stratactl key=value flags', () => {
  it('splits at the first "=", keeping "=" and emptiness in the value', () => {
    assert.deepEqual(parseKeyValue('--config', 'a=b'), ['a', 'b']);
    assert.deepEqual(parseKeyValue('--config', 'sasl.jaas=x=y'), ['sasl.jaas', 'x=y']);
    assert.deepEqual(parseKeyValue('--config', 'empty='), ['empty', '']);
  });

  it('refuses text without a key or without "="', () => {
    assert.throws(() => parseKeyValue('--config', 'novalue'), usage(/--config expects key=value, got "novalue"/));
    assert.throws(() => parseKeyValue('--set', '=v'), usage(/--set expects key=value/));
  });

  it('collects repeated flags and refuses a key given twice', () => {
    const collect = keyValues('--config');
    assert.deepEqual(collect('b=2', collect('a=1', undefined)), { a: '1', b: '2' });
    assert.throws(() => collect('a=3', { a: '1' }), usage(/--config a is given twice/));
  });

  it('collects names and refuses an empty one', () => {
    const collect = names('--delete');
    assert.deepEqual(collect('b', collect('a', undefined)), ['a', 'b']);
    assert.throws(() => collect(' ', []), usage(/--delete expects a name/));
  });
});
