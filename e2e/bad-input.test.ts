// Malformed and hostile input over raw TCP. Each bad input must at most cost its own connection: after every
// case a KafkaJS producer and a kcat consumer on other connections still work, and the broker process is the
// same one at the end. Requests are built by hand (e2e/helpers/wire.ts), independently of the broker's codec.
import { strict as assert } from 'node:assert';
import { SideChannel } from './helpers/side-channel';
import { kcatConsume, kcatEndOffset, requireKcat } from './helpers/kcat';
import { useBroker } from './helpers/suite';
import { seededBytes, uniqueName } from './helpers/util';
import {
  ApiKey,
  apiVersionsFlexibleFrame,
  apiVersionsV0Frame,
  BATCH,
  ErrorCode,
  metadataFlexibleFrame,
  metadataV1Frame,
  parseApiVersionsV0,
  parseProduceV3,
  produceV3Frame,
  RawConnection,
  recordBatch,
  requestFrame,
  Writer,
} from './helpers/wire';

describe('bad input on the wire', function () {
  this.timeout(60_000);
  const ref = useBroker({ name: 'bad-input', autoCreateTopics: false });
  const probeTopic = uniqueName('bad-probe');
  const crcTopic = uniqueName('bad-crc');
  let side: SideChannel;

  before(async function () {
    requireKcat();
    side = await SideChannel.open(ref.broker, probeTopic);
    await side.createTopic(crcTopic);
  });

  after(async function () {
    await side?.close();
  });

  /** The side channel: a KafkaJS produce on its own long-lived connection, read back by a fresh kcat process. */
  function assertHealthy(after: string): Promise<void> {
    return side.assertHealthy(after);
  }

  async function open(): Promise<RawConnection> {
    return RawConnection.open(ref.broker.host, ref.broker.port);
  }

  it('side channel works before any bad input', async () => {
    await assertHealthy('nothing');
  });

  it('a truncated frame followed by close is dropped', async () => {
    const c = await open();
    c.write(new Writer().int32(100).raw(Buffer.alloc(10, 1)).build());
    c.end();
    assert.ok(await c.waitClosed(5000), 'connection should be closed after our FIN');
    await assertHealthy('truncated frame');
  });

  it('a 2 GiB size prefix (0x7fffffff) closes the connection without waiting for the body', async () => {
    const c = await open();
    c.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 18, 0, 0]));
    assert.ok(await c.waitClosed(5000), 'broker should close a connection announcing a frame over socket.request.max.bytes');
    await assertHealthy('2 GiB size prefix');
  });

  it('a negative size prefix closes the connection', async () => {
    const c = await open();
    c.write(Buffer.from([0xff, 0xff, 0xff, 0xfe, 1, 2, 3, 4]));
    assert.ok(await c.waitClosed(5000));
    await assertHealthy('negative size prefix');
  });

  it('random bytes: unframed garbage closes the connection', async () => {
    const junk = seededBytes(12345, 4096);
    junk[0] |= 0x80; // the first int32, read as a frame size, is negative
    const c = await open();
    c.write(junk);
    assert.ok(await c.waitClosed(5000));
    await assertHealthy('unframed random bytes');
  });

  it('random bytes: correctly framed random payloads are either rejected (close) or answered in order', async () => {
    const outcomes: Record<string, number> = { closed: 0, frame: 0 };
    for (let seed = 1; seed <= 30; seed++) {
      const payload = seededBytes(seed * 7919, 16 + ((seed * 37) % 400));
      const c = await open();
      try {
        c.write(new Writer().int32(payload.length).raw(payload).build());
        const o = await c.next(5000);
        assert.notEqual(o.kind, 'timeout', `seed ${seed}: broker neither answered nor closed within 5 s`);
        if (o.kind === 'frame') {
          assert.equal(o.frame.readInt32BE(0), payload.readInt32BE(4), `seed ${seed}: response correlation id`);
        }
        outcomes[o.kind]++;
      } finally {
        c.destroy();
      }
    }
    assert.ok(outcomes.closed > 0, `expected most random frames to be rejected: ${JSON.stringify(outcomes)}`);
    await assertHealthy('framed random payloads');
  });

  it('a valid request header with a corrupt body closes the connection (Metadata, Produce)', async () => {
    // Metadata v1 claiming 1000 topic names, carrying 3 bytes.
    let c = await open();
    c.write(requestFrame(ApiKey.Metadata, 1, 7, new Writer().int32(1000).raw(Buffer.from([0, 5, 65])).build()));
    assert.ok(await c.waitClosed(5000), 'Metadata with a corrupt body');
    // Produce v3 whose records field says 1000 bytes but the frame ends after 10.
    const body = new Writer()
      .string(null)
      .int16(-1)
      .int32(5000)
      .int32(1)
      .string(crcTopic)
      .int32(1)
      .int32(0)
      .int32(1000)
      .raw(Buffer.alloc(10))
      .build();
    c = await open();
    c.write(requestFrame(ApiKey.Produce, 3, 8, body));
    assert.ok(await c.waitClosed(5000), 'Produce with a corrupt body');
    assert.equal(await kcatEndOffset(ref.broker.bootstrap, crcTopic, 0), 0n, 'nothing written');
    await assertHealthy('corrupt request bodies');
  });

  it('an unknown API key (9999) closes the connection', async () => {
    const c = await open();
    c.write(requestFrame(9999, 0, 11, Buffer.alloc(0)));
    assert.ok(await c.waitClosed(5000));
    await assertHealthy('unknown api key');
  });

  it('ApiVersions v99 is answered in v0 with UNSUPPORTED_VERSION and the supported version list; the connection stays usable', async () => {
    const c = await open();
    try {
      const res = parseApiVersionsV0(await c.request(apiVersionsFlexibleFrame(12, 99)));
      assert.equal(res.correlationId, 12);
      assert.equal(res.errorCode, ErrorCode.UNSUPPORTED_VERSION);
      // KIP-511: the list must at least carry ApiVersions' own range so the client can downgrade (Kafka sends
      // only that entry; sending every API's range is also fine).
      const av = res.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
      assert.ok(av, `ApiVersions missing from ${JSON.stringify(res.apiKeys)}`);
      assert.equal(av.minVersion, 0);
      assert.ok(av.maxVersion >= 3 && av.maxVersion < 99, `ApiVersions range ${JSON.stringify(av)}`);
      // Same connection, supported version: a normal answer with every API's range.
      const ok = parseApiVersionsV0(await c.request(apiVersionsV0Frame(13, 0)));
      assert.equal(ok.correlationId, 13);
      assert.equal(ok.errorCode, ErrorCode.NONE);
      const byKey = new Map(ok.apiKeys.map((k) => [k.apiKey, k]));
      for (const key of [ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.Metadata, ApiKey.ApiVersions]) {
        const k = byKey.get(key);
        assert.ok(k, `api key ${key} missing from ${JSON.stringify(ok.apiKeys)}`);
        assert.ok(k.minVersion >= 0 && k.minVersion <= k.maxVersion, `bad range for api ${key}: ${JSON.stringify(k)}`);
      }
      assert.deepEqual(byKey.get(ApiKey.ApiVersions), av, 'same ApiVersions range in both answers');
    } finally {
      c.destroy();
    }
    await assertHealthy('ApiVersions v99');
  });

  it('Metadata v99 closes the connection or answers UNSUPPORTED_VERSION', async () => {
    const c = await open();
    try {
      c.write(metadataFlexibleFrame(14, 99));
      const o = await c.next(5000);
      assert.notEqual(o.kind, 'timeout', 'no answer and no close within 5 s');
      if (o.kind === 'frame') {
        assert.equal(o.frame.readInt32BE(0), 14);
        assert.ok(o.frame.includes(Buffer.from([0x00, ErrorCode.UNSUPPORTED_VERSION])), 'answer must carry UNSUPPORTED_VERSION (35)');
      }
    } finally {
      c.destroy();
    }
    await assertHealthy('Metadata v99');
  });

  it('Produce: a valid hand-built batch is appended (control), a batch with a wrong CRC gets CORRUPT_MESSAGE and writes nothing', async () => {
    const bs = ref.broker.bootstrap;
    const c = await open();
    try {
      const rec = (s: string) => ({ key: Buffer.from(`k-${s}`), value: Buffer.from(`v-${s}`), headers: [['h', Buffer.from(s)]] as Array<[string, Buffer]> });
      // Control: the same encoder with a correct CRC is accepted, so the rejection below is about the CRC only.
      const good = parseProduceV3(await c.request(produceV3Frame(20, crcTopic, 0, recordBatch([rec('a'), rec('b'), rec('c')]))));
      assert.equal(good.correlationId, 20);
      assert.deepEqual(good.results.map((r) => [r.topic, r.partition, r.errorCode, r.baseOffset]), [[crcTopic, 0, ErrorCode.NONE, 0n]]);
      assert.equal(await kcatEndOffset(bs, crcTopic, 0), 3n);

      // Wrong CRC field.
      const badCrc = recordBatch([rec('x'), rec('y')]);
      badCrc.writeUInt32BE((badCrc.readUInt32BE(BATCH.crcOffset) ^ 0xdeadbeef) >>> 0, BATCH.crcOffset);
      const r1 = parseProduceV3(await c.request(produceV3Frame(21, crcTopic, 0, badCrc)));
      assert.equal(r1.correlationId, 21);
      assert.equal(r1.results.length, 1);
      assert.equal(r1.results[0].errorCode, ErrorCode.CORRUPT_MESSAGE, `wrong CRC: error ${r1.results[0].errorCode}`);

      // Correct CRC field but a flipped byte in a record value.
      const flipped = recordBatch([rec('p'), rec('q')]);
      flipped[flipped.length - 6] ^= 0x01; // last byte of the last record value
      const r2 = parseProduceV3(await c.request(produceV3Frame(22, crcTopic, 0, flipped)));
      assert.equal(r2.results[0].errorCode, ErrorCode.CORRUPT_MESSAGE, `flipped payload byte: error ${r2.results[0].errorCode}`);

      assert.equal(await kcatEndOffset(bs, crcTopic, 0), 3n, 'the end offset must not move for rejected batches');
      const stored = await kcatConsume(bs, crcTopic, { partition: 0, offset: 'beginning', format: '%o|%k|%s|%h\n' });
      assert.deepEqual(stored, ['0|k-a|v-a|h=a', '1|k-b|v-b|h=b', '2|k-c|v-c|h=c']);

      // The connection that sent the corrupt batches is still usable.
      const again = parseProduceV3(await c.request(produceV3Frame(23, crcTopic, 0, recordBatch([rec('d')]))));
      assert.deepEqual(again.results.map((r) => [r.errorCode, r.baseOffset]), [[ErrorCode.NONE, 3n]]);
    } finally {
      c.destroy();
    }
    await assertHealthy('corrupt record batches');
  });

  it('Produce with acks=0: a rejected batch closes the connection (no response can carry the error), as Kafka does', async () => {
    const c = await open();
    try {
      const bad = recordBatch([{ key: Buffer.from('k'), value: Buffer.from('v'), headers: [] }]);
      bad.writeUInt32BE((bad.readUInt32BE(BATCH.crcOffset) ^ 0xdeadbeef) >>> 0, BATCH.crcOffset);
      const before = await kcatEndOffset(ref.broker.bootstrap, crcTopic, 0);
      c.write(produceV3Frame(40, crcTopic, 0, bad, { acks: 0 }));
      assert.ok(await c.waitClosed(5000), 'the broker should close the connection after a failed acks=0 produce');
      assert.equal(await kcatEndOffset(ref.broker.bootstrap, crcTopic, 0), before, 'nothing written');
    } finally {
      c.destroy();
    }
    await assertHealthy('failed acks=0 produce');
  });

  it('pipelined requests on one connection are answered in order', async () => {
    const c = await open();
    try {
      const frames = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? apiVersionsV0Frame(100 + i) : metadataV1Frame(100 + i, [probeTopic])));
      c.write(Buffer.concat(frames));
      for (let i = 0; i < 50; i++) {
        const o = await c.next(10_000);
        assert.equal(o.kind, 'frame', `response ${i}`);
        if (o.kind === 'frame') assert.equal(o.frame.readInt32BE(0), 100 + i, 'responses in request order');
      }
    } finally {
      c.destroy();
    }
    await assertHealthy('pipelined requests');
  });

  it('hundreds of connections opened and dropped mid-request do not hurt the broker', async () => {
    const conns = await Promise.all(Array.from({ length: 200 }, () => open()));
    conns.forEach((c, i) => c.write(metadataV1Frame(i, null).subarray(0, 7 + (i % 10))));
    for (const c of conns) c.destroy();
    await assertHealthy('200 dropped connections');
  });

  it('the broker process is still alive and serving metrics at the end', async () => {
    await assertHealthy('every case');
    assert.match(await ref.broker.metricsText(), /^strata_/m);
  });
});
