// The protocol fuzzer in CI (a bounded count of mutated frames built from valid and hostile requests of every
// API; `npm run fuzz` runs the long campaign), and the replay of every input that once crashed the broker
// (e2e/fuzz/regressions/*.hex). The broker must never die or hang, every answer must be well formed, and
// afterwards a real client still produces and consumes on the same broker process.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { useBroker } from './helpers/suite';
import { fuzzBrokerOptions, prepareContext, targetOf } from './fuzz/context';
import { crashSignature, readFrameFile, regressionFiles, saveDeath } from './fuzz/crash-files';
import { fuzzCorpus, runFuzz } from './fuzz/fuzzer';
import { caseFrame } from './fuzz/frames';
import { apiCases, caseName, servedApis, type FuzzContext } from './fuzz/generator';
import { Rng } from './fuzz/rng';
import { API_SPECS } from '../broker/src/protocol/apis';
import { decode, Reader } from '../broker/src/protocol/codec';
import { decodeRequestHeader } from '../broker/src/protocol/headers';
import { exitSeen, probe, SideChannel } from './fuzz/health';
import { replayFrame } from './fuzz/replay';

describe('request generator (no broker)', function () {
  this.timeout(60_000);
  const ctx: FuzzContext = { topic: { name: 'gen-data', id: '01234567-89ab-cdef-0123-456789abcdef', partitions: 2 }, groupId: 'gen-group', scratchPrefix: 'gen-scratch' };

  it('covers every served API and version; every case decodes completely with the broker codec unless malformed on purpose', () => {
    const rng = new Rng(1);
    const problems: string[] = [];
    const seen = new Set<string>();
    let hostile = 0;
    for (const api of servedApis()) {
      for (const c of apiCases(api, ctx, rng)) {
        seen.add(`${c.apiKey}:${c.version}`);
        if (c.label !== 'valid') hostile++;
        const payload = caseFrame(c, 7).subarray(4);
        let error: string | null = null;
        try {
          const h = decodeRequestHeader(payload);
          const r = new Reader(payload, h.bodyOffset);
          decode(API_SPECS.get(c.apiKey)!.request, c.version, r);
          if (r.remaining() !== 0) error = `${r.remaining()} bytes left over`;
        } catch (err) {
          error = (err as Error).message;
        }
        if (c.malformed ? error === null : error !== null) problems.push(`${caseName(c)}: ${error ?? 'decodes although malformed'}`);
      }
    }
    const expected = servedApis().reduce((n, a) => n + a.maxVersion - a.minVersion + 1, 0);
    assert.equal(seen.size, expected, 'one valid case per served version');
    assert.ok(hostile > 20 * expected, `only ${hostile} hostile cases`);
    assert.deepEqual(problems.slice(0, 20), []);
  });
});

/** Sized so the run takes well under a minute on the loaded 2-core CI machine; STRATA_FUZZ_CI_FRAMES overrides. */
const CI_FRAMES = Number(process.env.STRATA_FUZZ_CI_FRAMES ?? 20_000);
const CI_SEED = Number(process.env.STRATA_FUZZ_SEED ?? 20269);

describe('protocol fuzzer (bounded run)', function () {
  this.timeout(5 * 60_000);
  const ref = useBroker(fuzzBrokerOptions('fuzz-ci'));

  it(`${CI_FRAMES} mutated frames of every API: the broker never dies or hangs and every answer is well formed`, async () => {
    const ctx = await prepareContext(ref.broker.host, ref.broker.port, 'fuzz-ci');
    const side = await SideChannel.open(ref.broker.bootstrap, ctx.topic.name);
    try {
      const pid = ref.broker.pid;
      const corpus = fuzzCorpus(ctx, CI_SEED);
      const result = await runFuzz(targetOf(ref.broker), corpus, { frames: CI_FRAMES, seed: CI_SEED, connections: 16, batch: 5000 });
      const s = result.stats;
      console.log(
        `      fuzz: ${s.sent} frames in ${(s.elapsedMs / 1000).toFixed(1)} s (${Math.round((s.sent * 1000) / Math.max(1, s.elapsedMs))}/s): ` +
          `answered ${s.answered}, closed ${s.closed}, unanswered ${s.unanswered}, timeouts ${s.timeouts}`,
      );
      if (result.death) {
        const log = ref.broker.logTail(80);
        const dir = saveDeath(result.death, log, `ci-${result.death.kind}`);
        const suspects = result.death.suspects.map((f) => `  #${f.index} ${f.base} [${f.ops.join('; ')}]`).join('\n');
        assert.fail(
          `the broker ${result.death.kind === 'exit' ? 'died' : result.death.kind} after ${s.sent} frames: ${result.death.detail}\n` +
            `signature: ${crashSignature(log, result.death)}\nframes in flight:\n${suspects}\nsaved to ${dir}`,
        );
      }
      assert.deepEqual(
        result.malformed.slice(0, 10).map((m) => `${m.frame.base} [${m.frame.ops.join('; ')}]: ${m.problem}`),
        [],
        `${result.malformed.length} malformed responses`,
      );
      assert.equal(s.sent, CI_FRAMES, 'every frame was sent');
      assert.equal(ref.broker.pid, pid, 'the broker process was replaced');
      await side.check('the fuzz run');
    } finally {
      await side.close();
    }
  });
});

describe('fuzz regressions: inputs that once crashed the broker', function () {
  this.timeout(60_000);
  const ref = useBroker(fuzzBrokerOptions('fuzz-regressions'));
  let pid: number | undefined;

  before(function () {
    pid = ref.broker.pid;
  });

  afterEach(async function () {
    // One failing regression must not take the others down with it.
    if (!ref.broker.isAlive() || (await probe(ref.broker.host, ref.broker.port, 10_000))) {
      await ref.broker.kill9();
      await ref.broker.restart();
      pid = ref.broker.pid;
    }
  });

  const files = regressionFiles();
  it('has regression inputs to replay', () => {
    assert.ok(files.length > 0, 'e2e/fuzz/regressions/ holds no .hex files');
  });

  for (const file of files) {
    it(path.basename(file), async () => {
      const { frame, comments } = readFrameFile(file);
      const outcome = await replayFrame(ref.broker.host, ref.broker.port, frame, 20_000);
      const about = comments.join('\n');
      assert.notEqual(outcome.kind, 'timeout', `no answer and no close within 20 s\n${about}`);
      if (outcome.kind === 'answered') assert.equal(outcome.problem, null, `malformed response\n${about}`);
      const problem = ref.broker.isAlive() ? await probe(ref.broker.host, ref.broker.port, 10_000) : 'the broker process exited';
      const exited = problem !== null && (await exitSeen(() => ref.broker.isAlive(), 5000));
      assert.equal(problem, null, `the broker ${exited ? 'exited' : 'does not answer'} after the replay (${outcome.kind})\n${about}`);
      assert.equal(ref.broker.pid, pid, 'the broker process was replaced');
    });
  }
});
