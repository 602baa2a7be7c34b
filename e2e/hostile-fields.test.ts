// Hostile-but-valid requests for every API and version the broker serves (e2e/fuzz/generator.ts): maximum-length,
// empty, null and invalid-UTF-8 strings, extreme integers, unknown uuids, empty and huge arrays, a count claiming
// 2^31 elements, unknown tagged fields, extreme client ids. Each valid one must be answered with a well-formed
// response (the malformed count may close its connection instead), and after each API's batch a KafkaJS client on
// other connections produces and reads back a record and the broker is the same process. A broker that died or
// hangs is restarted so that the remaining APIs are still tested, and the API's test fails listing every case.
import { strict as assert } from 'node:assert';
import { ApiKey } from '../broker/src/protocol/apis';
import { useBroker } from './helpers/suite';
import { CaseRunner, type CaseResult } from './fuzz/case-runner';
import { fuzzBrokerOptions, prepareContext, refreshPartitionCount } from './fuzz/context';
import { apiCases, caseName, servedApis, validCase, withPath, INVALID_UTF8_BYTES, type FuzzContext, type Path, type RequestCase } from './fuzz/generator';
import { exitSeen, probe, SideChannel } from './fuzz/health';
import { errorCodes } from './fuzz/responses';
import { Rng } from './fuzz/rng';

const CASE_TIMEOUT_MS = 20_000;
/**
 * Restarts allowed within one API's batch before the rest of its cases are skipped (the test fails either way);
 * STRATA_HOSTILE_MAX_DEATHS raises it to survey every failing case.
 */
const MAX_DEATHS_PER_API = Number(process.env.STRATA_HOSTILE_MAX_DEATHS ?? 3);

const INT32_MAX = 2147483647;
const ErrorCode = { UNKNOWN_TOPIC_OR_PARTITION: 3, INVALID_TOPIC_EXCEPTION: 17, TOPIC_AUTHORIZATION_FAILED: 29 } as const;

describe('hostile field values for every API the broker serves', function () {
  this.timeout(10 * 60_000);
  const ref = useBroker(fuzzBrokerOptions('hostile'));
  const rng = new Rng(20269);
  let ctx: FuzzContext;
  let side: SideChannel;
  let pid: number | undefined;
  let runner: CaseRunner;

  before(async function () {
    this.timeout(60_000);
    ctx = await prepareContext(ref.broker.host, ref.broker.port, 'hostile');
    side = await SideChannel.open(ref.broker.bootstrap, ctx.topic.name);
    pid = ref.broker.pid;
    runner = new CaseRunner(ref.broker.host, ref.broker.port, CASE_TIMEOUT_MS);
  });

  after(async () => {
    runner?.drop();
    await side?.close();
  });

  /** 'ok', or how the broker failed; a dead or hung broker is replaced so later tests still run. */
  async function brokerState(): Promise<'ok' | 'exited' | 'hangs'> {
    const problem = ref.broker.isAlive() ? await probe(ref.broker.host, ref.broker.port, 10_000) : 'exited';
    if (!problem && ref.broker.pid === pid) return 'ok';
    const state = (await exitSeen(() => ref.broker.isAlive(), 5000)) ? 'exited' : 'hangs';
    runner.drop();
    await ref.broker.kill9();
    await ref.broker.restart();
    pid = ref.broker.pid;
    return state;
  }

  /** Runs cases, collecting every failure; the broker must survive each one. */
  async function runAll(cases: RequestCase[], check?: (c: RequestCase, r: CaseResult) => string | null): Promise<string[]> {
    const failures: string[] = [];
    let deaths = 0;
    for (const c of cases) {
      let r: CaseResult;
      try {
        r = await runner.run(c);
      } catch (err) {
        r = { ok: false, outcome: 'error', detail: (err as Error).message };
      }
      const extra = r.ok && check ? check(c, r) : null;
      if (!r.ok || extra) failures.push(`${caseName(c)}: ${r.ok ? extra : `${r.outcome}: ${r.detail}`}`);
      if (r.ok && !extra) continue;
      const state = await brokerState();
      if (state === 'ok') continue;
      failures.push(`  ^ the broker ${state} after ${caseName(c)} (restarted)`);
      if (++deaths >= MAX_DEATHS_PER_API) {
        failures.push(`stopped after ${deaths} broker deaths; ${cases.length - cases.indexOf(c) - 1} cases not run`);
        break;
      }
    }
    runner.drop();
    return failures;
  }

  /** After a batch: the same process, and a real client on its own connections can produce and consume. */
  async function assertHealthy(after: string, failures: string[]): Promise<void> {
    const before = pid;
    const state = await brokerState();
    if (state !== 'ok') failures.push(`the broker ${state} after ${after}`);
    else {
      try {
        await side.check(after);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    assert.equal(ref.broker.pid, before, `broker process was replaced during ${after}:\n${failures.slice(0, 40).join('\n')}`);
    assert.deepEqual(failures.slice(0, 40), [], `${failures.length} failures in ${after}`);
  }

  for (const api of servedApis()) {
    it(`${api.name} v${api.minVersion}-${api.maxVersion}: every hostile variant is answered and the broker keeps serving`, async () => {
      const cases = apiCases(api, ctx, rng);
      const failures = await runAll(cases);
      await assertHealthy(`${api.name} (${cases.length} cases)`, failures);
    });
  }

  // ---- the inputs named in issue 9, with the answers Kafka gives --------------------------------------------

  function variants(apiKey: number, versions: number[], edits: Array<[label: string, path: Path, value: unknown]>, more: Partial<RequestCase> = {}): RequestCase[] {
    return versions.flatMap((v) => {
      const base = validCase(apiKey, v, ctx, rng);
      let body = base.body;
      for (const [, path, value] of edits) body = withPath(body, path, value);
      return [{ ...base, body, label: edits.map(([l]) => l).join(', '), ...more }];
    });
  }

  const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  const someError = (_c: RequestCase, r: CaseResult): string | null =>
    errorCodes(r.body).some((e) => e !== 0) ? null : `expected an error code, got ${JSON.stringify(errorCodes(r.body))}`;

  it('JoinGroup with a 32,760-byte client.id is answered at every version', async () => {
    const cases = range(0, 9).map((v) => ({ ...validCase(ApiKey.JoinGroup, v, ctx, rng), clientId: 'c'.repeat(32_760), label: 'client.id of 32,760 bytes' }));
    await assertHealthy('JoinGroup 32,760-byte client.id', await runAll(cases));
  });

  it('Metadata naming "" and a topic of >11 KB invalid UTF-8 gets a topic error at every version', async () => {
    const empty = variants(ApiKey.Metadata, range(0, 12), [['topic ""', ['topics', 0, 'name'], '']]);
    const utf8 = variants(ApiKey.Metadata, range(0, 12), [[`topic of ${INVALID_UTF8_BYTES} bytes of invalid UTF-8`, ['topics', 0, 'name'], 'u'.repeat(INVALID_UTF8_BYTES)]], {
      raw: { kind: 'invalid-utf8', path: ['topics', 0, 'name'] },
    });
    await assertHealthy('Metadata "" / invalid UTF-8', await runAll([...empty, ...utf8], someError));
  });

  it('CreateTopics and CreatePartitions asking for ~2^31 (or 50,000) partitions are refused with an error', async () => {
    const cases = [
      ...variants(ApiKey.CreateTopics, range(0, 7), [['numPartitions=2^31-1', ['topics', 0, 'numPartitions'], INT32_MAX], ['not validateOnly', ['validateOnly'], false]]),
      ...variants(ApiKey.CreateTopics, [7], [['numPartitions=50,000', ['topics', 0, 'numPartitions'], 50_000], ['not validateOnly', ['validateOnly'], false]]),
      ...variants(ApiKey.CreatePartitions, range(0, 3), [['count=2^31-1', ['topics', 0, 'count'], INT32_MAX], ['not validateOnly', ['validateOnly'], false]]),
    ];
    await assertHealthy('huge partition counts', await runAll(cases, someError));
  });

  it('Produce to (and DeleteTopics of) __consumer_offsets is refused and committed offsets survive', async () => {
    const commit = variants(ApiKey.OffsetCommit, [8], []);
    await assertHealthy('OffsetCommit', await runAll(commit, (_c, r) => (errorCodes(r.body).every((e) => e === 0) ? null : `commit failed: ${JSON.stringify(errorCodes(r.body))}`)));
    const internal = (_c: RequestCase, r: CaseResult): string | null => {
      const codes = errorCodes(r.body);
      return codes.some((e) => e === ErrorCode.INVALID_TOPIC_EXCEPTION || e === ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        ? null
        : `expected INVALID_TOPIC_EXCEPTION or TOPIC_AUTHORIZATION_FAILED, got ${JSON.stringify(codes)}`;
    };
    const cases = [
      ...variants(ApiKey.Produce, [3, 9, 11], [['topic __consumer_offsets', ['topicData', 0, 'name'], '__consumer_offsets']]),
      ...variants(ApiKey.DeleteTopics, [1, 5], [['topic __consumer_offsets', ['topicNames'], ['__consumer_offsets']]]),
      ...variants(ApiKey.DeleteTopics, [6], [['topic __consumer_offsets', ['topics', 0, 'name'], '__consumer_offsets']]),
    ];
    const failures = await runAll(cases, internal);
    const fetched = variants(ApiKey.OffsetFetch, [7], [['committed offset', ['groupId'], ctx.groupId]]);
    failures.push(
      ...(await runAll(fetched, (_c, r) => {
        const topics = (r.body?.topics ?? []) as Array<{ partitions: Array<{ committedOffset: number }> }>;
        const offset = topics[0]?.partitions[0]?.committedOffset;
        return offset === 1 ? null : `committed offset is ${offset}, expected 1`;
      })),
    );
    await assertHealthy('writes to __consumer_offsets', failures);
  });

  it('Fetch with negative and huge maxBytes and maxWaitMs is answered at once', async () => {
    const cases: RequestCase[] = [];
    for (const maxWaitMs of [-1, INT32_MAX]) {
      for (const maxBytes of [-1, 0, INT32_MAX]) {
        cases.push(...variants(ApiKey.Fetch, [4, 11, 12, 17], [[`maxWaitMs=${maxWaitMs}`, ['maxWaitMs'], maxWaitMs], [`maxBytes=${maxBytes}`, ['maxBytes'], maxBytes]]));
      }
      for (const partitionMaxBytes of [-1, INT32_MAX]) {
        cases.push(...variants(ApiKey.Fetch, [4, 12, 17], [[`maxWaitMs=${maxWaitMs}`, ['maxWaitMs'], maxWaitMs], [`partitionMaxBytes=${partitionMaxBytes}`, ['topics', 0, 'partitions', 0, 'partitionMaxBytes'], partitionMaxBytes]]));
      }
    }
    await assertHealthy('Fetch byte and wait limits', await runAll(cases));
  });

  it('partition indexes out of range get UNKNOWN_TOPIC_OR_PARTITION (or another error), never a crash', async () => {
    await refreshPartitionCount(ctx, ref.broker.host, ref.broker.port);
    const targets: Array<[number, number[], Path]> = [
      [ApiKey.Produce, [3, 9, 11], ['topicData', 0, 'partitionData', 0, 'index']],
      [ApiKey.Fetch, [4, 12, 17], ['topics', 0, 'partitions', 0, 'partition']],
      [ApiKey.ListOffsets, [1, 7, 10], ['topics', 0, 'partitions', 0, 'partitionIndex']],
      [ApiKey.OffsetForLeaderEpoch, [2, 4], ['topics', 0, 'partitions', 0, 'partition']],
      [ApiKey.DeleteRecords, [0, 2], ['topics', 0, 'partitions', 0, 'partitionIndex']],
      [ApiKey.OffsetCommit, [2, 8, 9], ['topics', 0, 'partitions', 0, 'partitionIndex']],
    ];
    const cases = targets.flatMap(([apiKey, versions, path]) =>
      [ctx.topic.partitions, -1, INT32_MAX].flatMap((p) => variants(apiKey, versions, [[`partition ${p}`, path, p]])),
    );
    await assertHealthy('partition indexes out of range', await runAll(cases, someError));
  });
});
