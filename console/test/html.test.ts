import { strict as assert } from 'node:assert';
import { escapeHtml, html, query, url } from '../html';
import { table } from '../layout';

describe('console html escaping', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    const name = `<script>alert("x")</script>' onmouseover=alert(1) \``;
    const out = html`<a title="${name}">${name}</a>`.text;
    assert.ok(!out.includes('<script>'), out);
    assert.ok(!/title="[^"]*"[^>]*onmouseover/.test(out), 'attribute breakout');
    assert.equal(out, `<a title="${escapeHtml(name)}">${escapeHtml(name)}</a>`);
    assert.equal(escapeHtml(`&<>"'\``), '&amp;&lt;&gt;&quot;&#39;&#96;');
  });

  it('passes nested html through once, joins arrays, drops null/undefined/false, prints numbers', () => {
    const items = ['a<b', 'c&d'];
    const out = html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>${null}${undefined}${false}${0}`.text;
    assert.equal(out, '<ul><li>a&lt;b</li><li>c&amp;d</li></ul>0');
  });

  it('does not treat a string that looks like markup as html, even inside an array', () => {
    assert.equal(html`${['<b>', html`<i>`]}`.text, '&lt;b&gt;<i>');
  });

  it('tables escape cells and headings', () => {
    const out = table(['<h>'], [['<td>']]).text;
    assert.ok(out.includes('<th>&lt;h&gt;</th>') && out.includes('<td>&lt;td&gt;</td>'), out);
  });

  it('url encodes each interpolation as one path segment; query encodes values', () => {
    assert.equal(url`/topics/${'a/b?c#d e'}/messages`, '/topics/a%2Fb%3Fc%23d%20e/messages');
    assert.equal(query({ partition: 1, offset: undefined, format: 'a&b' }), '?partition=1&format=a%26b');
    assert.equal(query({}), '');
  });
});
