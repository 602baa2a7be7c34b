// The generator: comment stripping, version ranges, and that the committed output is what it generates.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { emitApiKeys, emitMessages, emitTypes, loadMessage, parseVersions, stripComments } from '../../scripts/gen-protocol';

/** The repository root, found from the compiled test's location (dist/ or .tmp/…). */
function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'broker', 'src', 'protocol', 'schema', 'spec.ts'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

describe('gen-protocol', () => {
  it('strips // comments but not // inside strings', () => {
    const text = '{ // comment "x"\n  "a": "http://x", // trailing\n  "b": "q\\"//" }\n// end';
    assert.deepStrictEqual(JSON.parse(stripComments(text)), { a: 'http://x', b: 'q"//' });
  });

  it('parses version ranges', () => {
    assert.deepStrictEqual(parseVersions('3+'), { min: 3, max: 32767 });
    assert.deepStrictEqual(parseVersions('0-12'), { min: 0, max: 12 });
    assert.deepStrictEqual(parseVersions('4'), { min: 4, max: 4 });
    assert.deepStrictEqual(parseVersions('none'), { min: 0, max: -1 });
    assert.throws(() => parseVersions('1-'));
  });

  it('resolves common structs inline and parses defaults', () => {
    const m = loadMessage(`{
      "apiKey": 99, "type": "request", "name": "DemoRequest", "validVersions": "0-1", "flexibleVersions": "1+",
      "fields": [
        { "name": "Items", "type": "[]Item", "versions": "0+" },
        { "name": "Limit", "type": "int32", "versions": "1+", "default": "0x7fffffff" },
        { "name": "Label", "type": "string", "versions": "0+", "nullableVersions": "0+", "default": "null" }
      ],
      "commonStructs": [{ "name": "Item", "versions": "0+", "fields": [{ "name": "Id", "type": "int64", "versions": "0+", "default": "-1" }] }]
    }`);
    assert.strictEqual(m.fields[0].name, 'items');
    assert.deepStrictEqual(m.fields[0].struct?.fields.map((f) => [f.name, f.default]), [['id', -1]]);
    assert.strictEqual(m.fields[1].default, 0x7fffffff);
    assert.strictEqual(m.fields[2].default, null);
    assert.match(emitTypes([m]), /export interface DemoRequestItem \{\n {2}\/\*\* v0\+ \*\/\n {2}id: number;/);
  });

  it('the committed schema files are exactly what the generator produces', function () {
    const root = repoRoot();
    const inDir = path.resolve(root, '..', 'shared', 'kafka-protocol', 'message');
    if (!fs.existsSync(inDir)) this.skip();
    const messages = fs
      .readdirSync(inDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => loadMessage(fs.readFileSync(path.join(inDir, f), 'utf8')))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const schemaDir = path.join(root, 'broker', 'src', 'protocol', 'schema');
    const read = (f: string): string => fs.readFileSync(path.join(schemaDir, f), 'utf8');
    assert.strictEqual(read('messages.ts'), emitMessages(messages), 'run npm run gen:protocol');
    assert.strictEqual(read('types.ts'), emitTypes(messages), 'run npm run gen:protocol');
    assert.strictEqual(read('api-keys.ts'), emitApiKeys(messages), 'run npm run gen:protocol');
  });
});
