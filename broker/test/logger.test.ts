import { strict as assert } from 'node:assert';
import { REDACTED, addSecret, formatLine, redactFields } from '../src/logger';

const TIME = new Date('2026-01-02T03:04:05.678Z');

describe('logger', () => {
  it('writes one JSON object per line with time, level, component, msg and the fields', () => {
    const line = formatLine('json', TIME, 'warn', 'broker/network', 'closing connection', { remote: '127.0.0.1:5000', api: 'Produce', correlationId: 7 });
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
    assert.deepEqual(JSON.parse(line), {
      time: '2026-01-02T03:04:05.678Z',
      level: 'warn',
      component: 'broker/network',
      msg: 'closing connection',
      remote: '127.0.0.1:5000',
      api: 'Produce',
      correlationId: 7,
    });
  });

  it('keeps the fixed keys when a field has the same name, and writes bigints and errors', () => {
    const parsed = JSON.parse(formatLine('json', TIME, 'info', 'c', 'm', { level: 'x', msg: 'y', offset: 2n ** 63n - 1n, err: new Error('boom') }));
    assert.equal(parsed.level, 'info');
    assert.equal(parsed.msg, 'm');
    assert.equal(parsed.offset, '9223372036854775807');
    assert.match(parsed.err, /^Error: boom\n/);
  });

  it('writes human-readable text on request', () => {
    assert.equal(formatLine('text', TIME, 'info', 'broker', 'broker started', { nodeId: 1, dir: 'a b' }), '2026-01-02T03:04:05.678Z INFO  [broker] broker started nodeId=1 dir="a b"\n');
  });

  it('redacts every field whose name looks like a secret, at any depth', () => {
    const fields = {
      password: 'p',
      saslMechanism: 'PLAIN',
      s3SecretAccessKey: 'k',
      s3AccessKeyId: 'AKIA',
      Authorization: 'Bearer t',
      nested: { apiToken: 't', list: [{ credentials: 'c', fine: 1 }] },
      topic: 'orders',
    };
    assert.deepEqual(redactFields(fields), {
      password: REDACTED,
      saslMechanism: REDACTED,
      s3SecretAccessKey: REDACTED,
      s3AccessKeyId: REDACTED,
      Authorization: REDACTED,
      nested: { apiToken: REDACTED, list: [{ credentials: REDACTED, fine: 1 }] },
      topic: 'orders',
    });
    for (const format of ['json', 'text'] as const) {
      const line = formatLine(format, TIME, 'info', 'c', 'm', fields);
      for (const secret of ['Bearer t', 'AKIA']) assert.ok(!line.includes(secret), `${format}: ${line}`);
    }
  });

  it('cuts a registered secret value out of the message and of fields with innocent names', () => {
    addSecret('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    for (const format of ['json', 'text'] as const) {
      const line = formatLine(format, TIME, 'error', 'tier', 'S3 said: bad key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', {
        detail: 'signature of wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      });
      assert.ok(!line.includes('wJalrXUtnFEMI'), line);
      assert.ok(line.includes(REDACTED), line);
    }
  });

  it('ignores secrets too short to cut out without damaging ordinary text', () => {
    addSecret('a');
    assert.equal(JSON.parse(formatLine('json', TIME, 'info', 'c', 'a cat', {})).msg, 'a cat');
  });
});
