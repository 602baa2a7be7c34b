// Byte vectors derived by hand from the Kafka protocol guide, checked in both directions.
import * as assert from 'assert';
import { ApiKey } from '../../src/protocol/apis';
import { Reader, Writer, decode, encode } from '../../src/protocol/codec';
import {
  decodeRequestBody,
  decodeRequestHeader,
  decodeResponse,
  encodeRequestFrame,
  encodeResponseFrame,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../src/protocol/headers';
import { ApiVersionsResponseSpec, FetchResponseSpec } from '../../src/protocol/schema/messages';
import type { ApiVersionsRequest, ApiVersionsResponse, FetchResponse, MetadataRequest } from '../../src/protocol/schema/types';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');
}

const concat = (chunks: Buffer[]): Buffer => Buffer.concat(chunks);

describe('golden request frames', () => {
  it('ApiVersions v0: header v1, empty body', () => {
    const frame = hex('0000000e 0012 0000 00000001 0004 74657374');
    assert.deepStrictEqual(concat(encodeRequestFrame(ApiKey.ApiVersions, 0, 1, 'test', {})), frame);
    const h = decodeRequestHeader(frame.subarray(4));
    assert.deepStrictEqual(h, { apiKey: 18, apiVersion: 0, correlationId: 1, clientId: 'test', headerVersion: 1, bodyOffset: 14 });
  });

  it('Metadata v1 with one topic, and with null topics (all topics)', () => {
    const one = hex('00000014 0003 0001 00000007 0001 63 00000001 0003 666f6f');
    assert.deepStrictEqual(concat(encodeRequestFrame(ApiKey.Metadata, 1, 7, 'c', { topics: [{ name: 'foo' }] })), one);
    const all = hex('0000000f 0003 0001 00000007 0001 63 ffffffff');
    assert.deepStrictEqual(concat(encodeRequestFrame(ApiKey.Metadata, 1, 7, 'c', { topics: null })), all);

    const frame = one.subarray(4);
    const body = decodeRequestBody<MetadataRequest>(decodeRequestHeader(frame), frame);
    assert.deepStrictEqual(body.topics, [{ name: 'foo', topicId: '00000000-0000-0000-0000-000000000000' }]);
    assert.strictEqual(body.allowAutoTopicCreation, true, 'absent in v1: takes the JSON default');
  });

  it('ApiVersions v3: header v2 (non-compact client id + tagged fields), compact strings', () => {
    const frame = hex('00000018 0012 0003 00000002 0004 74657374 00 04 617070 04 312e30 00');
    const body = { clientSoftwareName: 'app', clientSoftwareVersion: '1.0' };
    assert.deepStrictEqual(concat(encodeRequestFrame(ApiKey.ApiVersions, 3, 2, 'test', body)), frame);
    const h = decodeRequestHeader(frame.subarray(4));
    assert.strictEqual(h.headerVersion, 2);
    assert.strictEqual(h.bodyOffset, 15);
    assert.deepStrictEqual(decodeRequestBody<ApiVersionsRequest>(h, frame.subarray(4)), body);
  });

  it('a null client id is written as length -1', () => {
    assert.deepStrictEqual(concat(encodeRequestFrame(ApiKey.ApiVersions, 0, 1, null, {})), hex('0000000a 0012 0000 00000001 ffff'));
  });

  it('ControlledShutdown v0 uses request header v0 (no client id)', () => {
    const frame = hex('0000000c 0007 0000 00000005 00000009');
    assert.deepStrictEqual(concat(encodeRequestFrame(ApiKey.ControlledShutdown, 0, 5, 'ignored', { brokerId: 9 })), frame);
    const h = decodeRequestHeader(frame.subarray(4));
    assert.strictEqual(h.headerVersion, 0);
    assert.strictEqual(h.bodyOffset, 8);
  });
});

describe('golden response frames', () => {
  it('ApiVersions v0 response (header v0)', () => {
    const frame = hex('00000016 00000001 0000 00000002 0000 0000 0009 0012 0000 0003');
    const body = {
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, minVersion: 0, maxVersion: 9 },
        { apiKey: 18, minVersion: 0, maxVersion: 3 },
      ],
    };
    assert.deepStrictEqual(concat(encodeResponseFrame(ApiKey.ApiVersions, 0, 1, body)), frame);
    const res = decodeResponse<ApiVersionsResponse>(ApiKey.ApiVersions, 0, frame.subarray(4));
    assert.strictEqual(res.correlationId, 1);
    assert.deepStrictEqual(res.body.apiKeys, body.apiKeys);
  });

  it('ApiVersions v3 response: header v0, compact array, tagged fields sorted by tag, defaults omitted', () => {
    const frame = hex(
      '00000020 00000002 0000 02 0012 0000 0004 00 00000000' + // header, errorCode, apiKeys, throttle
        '02 01 08 0000000000000005 03 01 01', // 2 tagged fields: tag 1 (int64 5), tag 3 (bool true)
    );
    const body = {
      errorCode: 0,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
      throttleTimeMs: 0,
      zkMigrationReady: true, // tag 3, given first: still written after tag 1
      finalizedFeaturesEpoch: 5,
      supportedFeatures: [], // tag 0 at its default: omitted
    };
    assert.deepStrictEqual(concat(encodeResponseFrame(ApiKey.ApiVersions, 3, 2, body)), frame);
    const res = decodeResponse<ApiVersionsResponse>(ApiKey.ApiVersions, 3, frame.subarray(4));
    assert.strictEqual(res.body.finalizedFeaturesEpoch, 5);
    assert.strictEqual(res.body.zkMigrationReady, true);
    assert.deepStrictEqual(res.body.finalizedFeatures, []);
  });

  it('skips unknown tagged fields', () => {
    // ApiVersions v3 body with tag 1 (epoch 7) and an unknown tag 42 of 3 bytes.
    const body = hex('0000 01 00000000 02 01 08 0000000000000007 2a 03 aabbcc');
    const r = new Reader(body);
    const res = decode<ApiVersionsResponse>(ApiVersionsResponseSpec, 3, r);
    assert.strictEqual(res.finalizedFeaturesEpoch, 7);
    assert.strictEqual(r.remaining(), 0);
  });

  it('a flexible response (Fetch v12) gets header v1 with an empty tagged-field section', () => {
    const chunks = encodeResponseFrame(ApiKey.Fetch, 12, 9, { responses: [] });
    // size, correlation id, header tags, throttle, error, session, responses (empty), body tags
    assert.deepStrictEqual(concat(chunks), hex('00000011 00000009 00 00000000 0000 00000000 01 00'));
  });
});

describe('records are zero-copy', () => {
  it('Fetch response frames carry the record buffers themselves as chunks', () => {
    const a = Buffer.alloc(4096, 1);
    const b = Buffer.alloc(2048, 2);
    const body = {
      responses: [{ topicId: '5f1c0a55-9e3c-4b9a-8d3e-2a1b3c4d5e6f', partitions: [{ partitionIndex: 0, records: [a, b] }] }],
    };
    const chunks = encodeResponseFrame(ApiKey.Fetch, 13, 1, body);
    assert.ok(chunks.includes(a) && chunks.includes(b), 'the record buffers are chunks of the frame');
    const frame = Buffer.concat(chunks);
    assert.strictEqual(frame.readInt32BE(0), frame.length - 4);
    const res = decodeResponse<FetchResponse>(ApiKey.Fetch, 13, frame.subarray(4));
    const records = res.body.responses[0].partitions[0].records as Buffer;
    assert.deepStrictEqual(records, Buffer.concat([a, b]));
    assert.strictEqual(records.buffer, frame.buffer, 'decoded records are a slice of the input');
  });

  it('a small Writer keeps chunk order when big buffers are interleaved with scalars', () => {
    const w = new Writer(16);
    const big = Buffer.alloc(1000, 7);
    for (let i = 0; i < 50; i++) w.writeInt32(i);
    encode(FetchResponseSpec, 4, { responses: [{ topic: 't', partitions: [{ records: big }] }] }, w);
    w.writeInt16(-2);
    const out = w.toBuffer();
    assert.strictEqual(out.length, w.length);
    for (let i = 0; i < 50; i++) assert.strictEqual(out.readInt32BE(i * 4), i);
    assert.strictEqual(out.readInt16BE(out.length - 2), -2);
    const body = decode<FetchResponse>(FetchResponseSpec, 4, new Reader(out, 200, out.length - 2));
    assert.deepStrictEqual(body.responses[0].partitions[0].records, big);
  });
});

describe('header versions', () => {
  it('request header: v2 when flexible, v1 otherwise, v0 only for ControlledShutdown v0', () => {
    assert.strictEqual(requestHeaderVersion(ApiKey.Produce, 8), 1);
    assert.strictEqual(requestHeaderVersion(ApiKey.Produce, 9), 2);
    assert.strictEqual(requestHeaderVersion(ApiKey.Fetch, 11), 1);
    assert.strictEqual(requestHeaderVersion(ApiKey.Fetch, 12), 2);
    assert.strictEqual(requestHeaderVersion(ApiKey.ApiVersions, 2), 1);
    assert.strictEqual(requestHeaderVersion(ApiKey.ApiVersions, 3), 2);
    assert.strictEqual(requestHeaderVersion(ApiKey.ApiVersions, 99), 2, 'future versions of known apis stay flexible');
    assert.strictEqual(requestHeaderVersion(ApiKey.ControlledShutdown, 0), 0);
    assert.strictEqual(requestHeaderVersion(ApiKey.ControlledShutdown, 1), 1);
    assert.strictEqual(requestHeaderVersion(ApiKey.ControlledShutdown, 3), 2);
    assert.strictEqual(requestHeaderVersion(999, 0), 1, 'unknown api keys: v1 layout');
  });

  it('response header: v1 when flexible, v0 otherwise, always v0 for ApiVersions', () => {
    assert.strictEqual(responseHeaderVersion(ApiKey.Metadata, 8), 0);
    assert.strictEqual(responseHeaderVersion(ApiKey.Metadata, 9), 1);
    assert.strictEqual(responseHeaderVersion(ApiKey.ApiVersions, 3), 0);
    assert.strictEqual(responseHeaderVersion(ApiKey.ApiVersions, 4), 0);
    assert.strictEqual(responseHeaderVersion(999, 0), 0);
  });

  it('parses the header of an unknown api key with the v1 layout', () => {
    const frame = hex('03e7 0005 0000002a 0003 616263 deadbeef');
    assert.deepStrictEqual(decodeRequestHeader(frame), {
      apiKey: 999,
      apiVersion: 5,
      correlationId: 42,
      clientId: 'abc',
      headerVersion: 1,
      bodyOffset: 13,
    });
  });

  it('parses the header of a future ApiVersions version so the broker can answer UNSUPPORTED_VERSION', () => {
    const frame = hex('0012 0063 00000003 0001 78 00 ff');
    const h = decodeRequestHeader(frame);
    assert.strictEqual(h.apiVersion, 99);
    assert.strictEqual(h.clientId, 'x');
    assert.strictEqual(h.bodyOffset, 12);
  });
});
