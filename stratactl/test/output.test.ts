import { strict as assert } from 'node:assert';
import { parse as parseYaml } from 'yaml';
import { render, renderTable } from '../output';

describe('stratactl: output formats', () => {
  it('aligns table columns, capitalises headers and shows empty cells as "-"', () => {
    const out = renderTable({ columns: ['name', 'partitions', 'rack'], rows: [['orders', 12, null], ['a', 1, 'eu-1']] });
    assert.equal(out, 'NAME    PARTITIONS  RACK\norders  12          -\na       1           eu-1\n');
  });

  it('prints the data for json and yaml, never the tables', () => {
    const view = { data: { topics: [{ name: 'a', partitions: 3 }] }, tables: ['ignored'] };
    assert.deepEqual(JSON.parse(render(view, 'json')), view.data);
    assert.deepEqual(parseYaml(render(view, 'yaml')), view.data);
  });

  it('prints titled tables and text blocks in order, and key: value lines when a view has no tables', () => {
    const out = render({ data: {}, tables: ['Summary', { title: 'Partitions', columns: ['p'], rows: [[0]] }] }, 'table');
    assert.equal(out, 'Summary\n\nPartitions\nP\n0\n');
    assert.equal(render({ data: { deleted: 'orders', ok: true } }, 'table'), 'deleted: orders\nok: true\n');
  });
});
