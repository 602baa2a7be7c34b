// The console's HTTP guards without a cluster: the write routes' 403s (read-only, CSRF token, origin), basic
// auth, probes, and the message browser's server-side limit. The cluster address points at a closed port, so
// any request that got past the guards would fail with 503 (unavailable), never 403.
import { strict as assert } from 'node:assert';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { loadSettings } from '../config';
import { createApp } from '../app';
import { buildContext } from '../main';
import { MAX_LIMIT, parseMessageQuery } from '../pages/messages';
import { freePort } from '../../e2e/helpers/util';

async function serve(env: Record<string, string>): Promise<{ base: string; token: string; close: () => Promise<void> }> {
  const settings = loadSettings({ STRATA_BROKERS: `127.0.0.1:${await freePort()}`, STRATA_TIMEOUT_MS: '2000', ...env });
  const ctx = buildContext(settings);
  const server: Server = await new Promise((resolve) => {
    const s = createApp(ctx).listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    token: ctx.csrf.token,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await ctx.cluster.close();
    },
  };
}

function post(base: string, path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(base + path, { method: 'POST', body: new URLSearchParams(fields), headers, redirect: 'manual' });
}

describe('console HTTP guards', () => {
  it('answers 403 to every write route when read-only, even with the right token', async () => {
    const s = await serve({});
    try {
      for (const path of ['/topics', '/groups/g1/reset-offsets']) {
        const res = await post(s.base, path, { _csrf: s.token, name: 't', topic: 't', to: 'earliest' }, { origin: s.base });
        assert.equal(res.status, 403, path);
        assert.match(await res.text(), /read-only/);
      }
    } finally {
      await s.close();
    }
  });

  it('with writes enabled, refuses a missing or wrong CSRF token and a foreign origin; passes a good one through', async () => {
    const s = await serve({ STRATA_CONSOLE_WRITE_ENABLED: 'true' });
    try {
      const missing = await post(s.base, '/topics', { name: 't' }, { origin: s.base });
      assert.equal(missing.status, 403);
      assert.match(await missing.text(), /form token/);
      const wrong = await post(s.base, '/topics', { name: 't', _csrf: s.token.slice(0, -1) + (s.token.endsWith('A') ? 'B' : 'A') }, { origin: s.base });
      assert.equal(wrong.status, 403);
      const foreign = await post(s.base, '/topics', { name: 't', _csrf: s.token }, { origin: 'http://evil.example' });
      assert.equal(foreign.status, 403);
      assert.match(await foreign.text(), /cross-origin/);
      const foreignReferer = await post(s.base, '/groups/g/reset-offsets', { topic: 't', _csrf: s.token }, { referer: 'http://evil.example/x' });
      assert.equal(foreignReferer.status, 403);
      // Past the guards: the (unreachable) cluster answers, so the status is 503, not 403.
      const good = await post(s.base, '/topics', { name: 't', _csrf: s.token }, { origin: s.base });
      assert.equal(good.status, 503, await good.text());
    } finally {
      await s.close();
    }
  });

  it('basic auth guards pages and static files but not the probes; /readyz is 503 while the cluster is unreachable', async () => {
    const s = await serve({ STRATA_CONSOLE_USERNAME: 'admin', STRATA_CONSOLE_PASSWORD: 's3cret' });
    try {
      assert.equal((await fetch(`${s.base}/healthz`)).status, 200);
      const ready = await fetch(`${s.base}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(await ready.text(), /cluster unreachable/);
      const anon = await fetch(`${s.base}/static/console.css`);
      assert.equal(anon.status, 401);
      assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic/);
      const wrong = await fetch(`${s.base}/static/console.css`, { headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
      assert.equal(wrong.status, 401);
      const ok = await fetch(`${s.base}/static/console.css`, { headers: { authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}` } });
      assert.equal(ok.status, 200);
      assert.match(ok.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    } finally {
      await s.close();
    }
  });

  it('caps the message browser limit server-side and refuses malformed positions', () => {
    assert.equal(parseMessageQuery({ limit: '1000000' }).limit, MAX_LIMIT);
    assert.equal(parseMessageQuery({}).limit, 20);
    assert.deepEqual(parseMessageQuery({ offset: '5', partition: '2' }).start, { offset: 5 });
    assert.deepEqual(parseMessageQuery({ timestamp: '2026-01-01T00:00:00Z' }).start, { timestamp: Date.parse('2026-01-01T00:00:00Z') });
    assert.equal(parseMessageQuery({}).start, 'beginning');
    assert.throws(() => parseMessageQuery({ offset: '-1' }), /offset must be an integer/);
    assert.throws(() => parseMessageQuery({ format: 'xml' }), /format must be one of text, json, hex/);
    assert.throws(() => parseMessageQuery({ limit: ['1', '2'] }), /expected one value/);
  });
});
