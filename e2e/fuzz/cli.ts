// `npm run fuzz`: a long protocol-fuzzing campaign against a broker process (default 1,000,000 frames).
// On a crash or hang it saves the frames in flight and the last frames sent under .tmp/fuzz-crashes/<time>/,
// replays the suspects one by one against a fresh broker to find the culprit (saved as culprit.hex, ready to be
// copied into e2e/fuzz/regressions/), starts a fresh broker and goes on until the frame count is reached.
//
//   npm run fuzz -- --frames 2000000 --seed 7 --connections 32 --exclude-api JoinGroup,Metadata
//   env: STRATA_FUZZ_FRAMES, STRATA_FUZZ_SEED, STRATA_FUZZ_CONNECTIONS, STRATA_FUZZ_MAX_SECONDS
import * as path from 'node:path';
import { apiName } from '../../broker/src/protocol/apis';
import { BrokerProcess } from '../helpers/broker-process';
import { fuzzBrokerOptions, prepareContext, targetOf } from './context';
import { crashesRoot, crashSignature, describeSent, saveDeath, writeFrameFile } from './crash-files';
import { DEFAULT_OPTIONS, frameApi, fuzzCorpus, runFuzz, type Death, type FuzzOptions, type SentFrame } from './fuzzer';
import { probe } from './health';
import { replayFrame } from './replay';

interface CliOptions extends FuzzOptions {
  maxRestarts: number;
  triage: boolean;
  help: boolean;
}

const USAGE = `npm run fuzz -- [--frames N] [--seed N] [--connections N] [--batch N] [--max-seconds N]
                 [--response-timeout-ms N] [--exclude-api Api1,Api2] [--max-restarts N] [--no-triage]
Sends N mutated frames (default 1,000,000) built from valid requests of every API and version the broker serves
to a broker process; a crash or hang saves its frames under .tmp/fuzz-crashes/ and replays them to find the culprit.
Environment: STRATA_FUZZ_FRAMES, STRATA_FUZZ_SEED, STRATA_FUZZ_CONNECTIONS, STRATA_FUZZ_MAX_SECONDS.
`;

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  const o: CliOptions = {
    ...DEFAULT_OPTIONS,
    frames: Number(env.STRATA_FUZZ_FRAMES ?? 1_000_000),
    seed: Number(env.STRATA_FUZZ_SEED ?? Date.now() % 1_000_000),
    connections: Number(env.STRATA_FUZZ_CONNECTIONS ?? 16),
    maxMs: Number(env.STRATA_FUZZ_MAX_SECONDS ?? 0) * 1000,
    batch: 10_000,
    maxRestarts: 100,
    triage: true,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--frames': o.frames = Number(value()); break;
      case '--seed': o.seed = Number(value()); break;
      case '--connections': o.connections = Number(value()); break;
      case '--batch': o.batch = Number(value()); break;
      case '--max-seconds': o.maxMs = Number(value()) * 1000; break;
      case '--response-timeout-ms': o.responseTimeoutMs = Number(value()); break;
      case '--exclude-api': o.excludeApis = value().split(',').filter(Boolean); break;
      case '--max-restarts': o.maxRestarts = Number(value()); break;
      case '--no-triage': o.triage = false; break;
      case '--help': o.help = true; break;
      default: throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  for (const k of ['frames', 'seed', 'connections', 'batch', 'maxMs', 'maxRestarts'] as const) {
    if (!Number.isFinite(o[k]) || o[k] < 0) throw new Error(`bad value for ${k}: ${o[k]}`);
  }
  return o;
}

/** Replays the suspects, then the most recent frames, one at a time on a fresh broker, until one kills it. */
async function triage(death: Death): Promise<{ culprit: SentFrame; log: string } | undefined> {
  const seen = new Set<number>();
  const candidates = [...death.suspects, ...death.history.slice(0, 64)].filter((s) => !seen.has(s.index) && seen.add(s.index));
  const broker = await BrokerProcess.start(fuzzBrokerOptions('fuzz-triage'));
  try {
    await prepareContext(broker.host, broker.port);
    for (const s of candidates) {
      await replayFrame(broker.host, broker.port, s.frame, 5000).catch(() => undefined); // the outcome does not matter, the probe does
      const problem = broker.isAlive() ? await probe(broker.host, broker.port, 15_000) : 'exited';
      if (problem) return { culprit: s, log: broker.logTail(80) };
    }
    return undefined;
  } finally {
    await broker.cleanup();
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2), process.env);
  if (o.help) {
    process.stdout.write(USAGE);
    return;
  }
  console.log(`fuzz: ${o.frames} frames, seed ${o.seed}, ${o.connections} connections${o.excludeApis.length ? `, excluding ${o.excludeApis.join(',')}` : ''}`);
  const started = Date.now();
  const totals = { sent: 0, answered: 0, closed: 0, unanswered: 0, timeouts: 0 };
  const signatures = new Map<string, { count: number; dir: string; culprit?: string }>();
  let malformed = 0;
  let restarts = 0;
  for (let round = 0; totals.sent < o.frames && restarts <= o.maxRestarts; round++) {
    if (o.maxMs > 0 && Date.now() - started >= o.maxMs) break;
    const broker = await BrokerProcess.start(fuzzBrokerOptions('fuzz'));
    try {
      const ctx = await prepareContext(broker.host, broker.port);
      const corpus = fuzzCorpus(ctx, o.seed + round, o.excludeApis);
      if (round === 0) console.log(`corpus: ${corpus.length} base frames from ${new Set(corpus.map((c) => c.name.split(' ')[0])).size} apis`);
      const result = await runFuzz(targetOf(broker), corpus, {
        ...o,
        frames: o.frames - totals.sent,
        seed: o.seed + round,
        maxMs: o.maxMs > 0 ? Math.max(1, o.maxMs - (Date.now() - started)) : 0,
        onBatch: (s) => {
          const all = totals.sent + s.sent;
          console.log(`  ${all} frames, ${Math.round((s.sent * 1000) / Math.max(1, s.elapsedMs))}/s (answered ${s.answered}, closed ${s.closed}, timeouts ${s.timeouts})`);
        },
      });
      for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += result.stats[k];
      for (const m of result.malformed) {
        const file = path.join(crashesRoot(), 'malformed', `${Date.now()}-${++malformed}.hex`);
        writeFrameFile(file, m.frame.frame, [...describeSent(m.frame), `problem: ${m.problem}`]);
        console.log(`MALFORMED response: ${m.problem} (${m.frame.base}) → ${file}`);
      }
      if (result.slow.size > 0) console.log(`  no answer within ${o.responseTimeoutMs} ms: ${[...result.slow].map(([k, n]) => `${k} ×${n}`).slice(0, 10).join(', ')}`);
      if (!result.death) break;
      restarts++;
      const log = broker.logTail(80);
      const signature = crashSignature(log, result.death);
      const dir = saveDeath(result.death, log, result.death.kind);
      const known = signatures.get(signature);
      console.log(`BROKER ${result.death.kind.toUpperCase()} after ${totals.sent} frames: ${result.death.detail}\n  signature: ${signature}\n  saved to ${dir}`);
      if (known) {
        known.count++;
        continue;
      }
      const entry: { count: number; dir: string; culprit?: string } = { count: 1, dir };
      signatures.set(signature, entry);
      // A hang's culprit would need long waits per suspect to show; its suspects are listed in the saved directory.
      if (o.triage && result.death.kind === 'exit') {
        const found = await triage(result.death);
        if (found) {
          const api = frameApi(found.culprit.frame);
          entry.culprit = path.join(dir, 'culprit.hex');
          writeFrameFile(entry.culprit, found.culprit.frame, [
            ...describeSent(found.culprit),
            `api: ${api ? `${apiName(api.apiKey)} v${api.version}` : 'header does not parse'}`,
            `broker: ${crashSignature(found.log)}`,
          ]);
          console.log(`  culprit: ${found.culprit.base} [${found.culprit.ops.join('; ')}] → ${entry.culprit}`);
        } else {
          console.log('  no single suspect reproduces it on a fresh broker (needs state or a combination)');
        }
      }
    } finally {
      await broker.cleanup();
    }
  }
  const secs = (Date.now() - started) / 1000;
  console.log(`\nfuzz done: ${totals.sent} frames in ${secs.toFixed(0)} s (${Math.round(totals.sent / secs)}/s); answered ${totals.answered}, closed ${totals.closed}, unanswered ${totals.unanswered}, timeouts ${totals.timeouts}`);
  console.log(`broker deaths: ${restarts}, distinct: ${signatures.size}, malformed responses: ${malformed}`);
  for (const [sig, e] of signatures) console.log(`  ×${e.count} ${sig}\n     ${e.culprit ?? e.dir}`);
  process.exitCode = signatures.size > 0 || malformed > 0 ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
