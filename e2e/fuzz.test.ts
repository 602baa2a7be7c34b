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
import { exitSeen, probe, SideChannel } from './fuzz/health';
import { replayFrame } from './fuzz/replay';

/** Sized so the run takes well under a minute on the loaded 2-core CI machine; STRATA_FUZZ_CI_FRAMES overrides. */
const CI_FRAMES = Number(process.env.STRATA_FUZZ_CI_FRAMES ?? 30_000);
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
      const result = await runFuzz(targetOf(ref.broker), corpus, { frames: CI_FRAMES, seed: CI_SEED, connections: 8, batch: 5000 });
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
