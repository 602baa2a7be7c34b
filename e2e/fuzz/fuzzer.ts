// The protocol fuzzer: mutated frames built from the generator's requests, sent over many TCP connections to a
// broker process. Each connection sends one frame and waits for its answer (or the close); a response must be
// well formed (responses.ts). After every batch the broker must be the same live process and answer
// ApiVersions and Metadata on a fresh connection. On a death or hang the run stops and reports the frames in
// flight and the last frames sent, so the caller can save them and find the culprit.
import { RawConnection } from '../helpers/wire';
import { caseFrame } from './frames';
import { apiCases, caseName, servedApis, type FuzzContext } from './generator';
import { exitSeen, probe } from './health';
import { mutate } from './mutate';
import { expectationOf, responseProblem } from './responses';
import { Rng } from './rng';

/** The broker under test, as the fuzzer sees it. */
export interface FuzzTarget {
  host: string;
  port: number;
  pid(): number | undefined;
  isAlive(): boolean;
}

export interface SentFrame {
  index: number;
  /** The request the frame was made from, e.g. 'JoinGroup v5 clientId=max-length'. */
  base: string;
  ops: string[];
  frame: Buffer;
}

export interface FuzzOptions {
  frames: number;
  seed: number;
  /** Concurrent connections. */
  connections: number;
  /** Frames between liveness probes. */
  batch: number;
  /** A response slower than this abandons the connection (counted, not a failure: Fetch and JoinGroup may wait). */
  responseTimeoutMs: number;
  /** A probe slower than this means the broker hangs. */
  probeTimeoutMs: number;
  /** Stop after this long even if fewer frames were sent (0 = no limit). */
  maxMs: number;
  /** How many of the last frames sent are kept for a crash report. */
  history: number;
  /** Fraction of frames sent unmutated. */
  unmutated: number;
  /** Skip these APIs (by name), e.g. to fuzz past a known crash. */
  excludeApis: string[];
  onBatch?: (stats: FuzzStats) => void;
}

export const DEFAULT_OPTIONS: FuzzOptions = {
  frames: 100_000,
  seed: 1,
  connections: 16,
  batch: 5000,
  responseTimeoutMs: 3000,
  probeTimeoutMs: 15_000,
  maxMs: 0,
  history: 256,
  unmutated: 0.1,
  excludeApis: [],
};

export interface FuzzStats {
  sent: number;
  answered: number;
  closed: number;
  /** Produce acks=0 (no answer expected) and frames whose size prefix was cut on purpose. */
  unanswered: number;
  timeouts: number;
  elapsedMs: number;
}

export interface Death {
  kind: 'exit' | 'hang' | 'replaced';
  detail: string;
  /** Frames sent but not answered when the death was seen, and the last ones abandoned unanswered: the likeliest culprits, newest first. */
  suspects: SentFrame[];
  history: SentFrame[];
}

export interface Malformed {
  frame: SentFrame;
  problem: string;
}

export interface FuzzResult {
  stats: FuzzStats;
  death?: Death;
  malformed: Malformed[];
  /** Requests that got no answer within responseTimeoutMs, by base request (for the report). */
  slow: Map<string, number>;
}

/** Base frames: every served API and version, valid and hostile, except huge ones (they slow every mutation). */
export function fuzzCorpus(ctx: FuzzContext, seed: number, excludeApis: readonly string[] = []): Array<{ name: string; frame: Buffer }> {
  const rng = new Rng(seed);
  const out: Array<{ name: string; frame: Buffer }> = [];
  for (const api of servedApis()) {
    if (excludeApis.includes(api.name)) continue;
    for (const c of apiCases(api, ctx, rng)) {
      const frame = caseFrame(c, 0);
      if (frame.length <= 64 * 1024) out.push({ name: caseName(c), frame });
    }
  }
  return out;
}

export async function runFuzz(target: FuzzTarget, corpus: Array<{ name: string; frame: Buffer }>, options: Partial<FuzzOptions>): Promise<FuzzResult> {
  const o = { ...DEFAULT_OPTIONS, ...options };
  const rng = new Rng(o.seed);
  const pid = target.pid();
  const started = Date.now();
  const stats: FuzzStats = { sent: 0, answered: 0, closed: 0, unanswered: 0, timeouts: 0, elapsedMs: 0 };
  const malformed: Malformed[] = [];
  const slow = new Map<string, number>();
  const history: SentFrame[] = [];
  const inFlight = new Map<number, SentFrame>();
  /** Frames abandoned after responseTimeoutMs: the broker may still be working on them (a hang's likely cause). */
  const timedOut: SentFrame[] = [];
  let death: Death | undefined;
  let next = 0;

  const dead = (kind: Death['kind'], detail: string): void => {
    const suspects = [...inFlight.values(), ...timedOut].sort((a, b) => b.index - a.index);
    death ??= { kind, detail, suspects, history: history.slice().reverse() };
  };
  const outOfTime = (): boolean => o.maxMs > 0 && Date.now() - started >= o.maxMs;

  const makeFrame = (index: number): SentFrame => {
    const base = corpus[rng.int(corpus.length)];
    const frame = Buffer.from(base.frame);
    frame.writeInt32BE(index, 8); // a unique correlation id (mutations may still change it)
    if (rng.next() < o.unmutated) return { index, base: base.name, ops: [], frame };
    const m = mutate(frame, corpus[rng.int(corpus.length)].frame, rng);
    return { index, base: base.name, ops: m.desync ? [...m.ops, 'desync'] : m.ops, frame: m.frame };
  };

  const worker = async (batchEnd: number): Promise<void> => {
    let conn: RawConnection | undefined;
    try {
      while (!death && next < batchEnd && !outOfTime()) {
        const sent = makeFrame(next++);
        history.push(sent);
        if (history.length > o.history) history.shift();
        if (!conn) {
          try {
            conn = await RawConnection.open(target.host, target.port, o.probeTimeoutMs);
          } catch (err) {
            // A refused connection usually means the process is exiting; give the exit event a moment to arrive.
            const gone = await exitSeen(() => target.isAlive(), 5000);
            dead(gone ? 'exit' : 'hang', `cannot connect: ${(err as Error).message}`);
            return;
          }
        }
        inFlight.set(sent.index, sent);
        stats.sent++;
        conn.write(sent.frame);
        if (sent.ops.includes('desync')) {
          conn.end(); // what follows on this connection is meaningless; let the broker see the FIN
          conn = undefined;
          stats.unanswered++;
          inFlight.delete(sent.index);
          continue;
        }
        if (expectationOf(sent.frame).noResponse) {
          stats.unanswered++;
          inFlight.delete(sent.index);
          continue;
        }
        const outcome = await conn.next(o.responseTimeoutMs);
        if (outcome.kind === 'frame') {
          stats.answered++;
          const problem = responseProblem(sent.frame, outcome.frame);
          if (problem) malformed.push({ frame: sent, problem });
        } else if (outcome.kind === 'closed') {
          stats.closed++;
          conn = undefined;
          if (!target.isAlive()) {
            dead('exit', 'the broker process exited');
            return;
          }
        } else {
          stats.timeouts++;
          slow.set(sent.base, (slow.get(sent.base) ?? 0) + 1);
          timedOut.push(sent);
          if (timedOut.length > 16) timedOut.shift();
          conn.destroy();
          conn = undefined;
        }
        inFlight.delete(sent.index);
      }
    } finally {
      conn?.destroy();
    }
  };

  while (!death && next < o.frames && !outOfTime()) {
    const batchEnd = Math.min(o.frames, next + o.batch);
    await Promise.all(Array.from({ length: o.connections }, () => worker(batchEnd)));
    if (death) break;
    if (!target.isAlive()) dead('exit', 'the broker process exited');
    else if (target.pid() !== pid) dead('replaced', `pid ${pid} became ${target.pid()}`);
    else {
      const problem = await probe(target.host, target.port, o.probeTimeoutMs);
      if (problem) dead((await exitSeen(() => target.isAlive(), 5000)) ? 'exit' : 'hang', `liveness probe after ${stats.sent} frames: ${problem}`);
    }
    stats.elapsedMs = Date.now() - started;
    o.onBatch?.({ ...stats });
  }
  stats.elapsedMs = Date.now() - started;
  return { stats, death, malformed, slow };
}

/** Exported for the CLI's triage: the api key of a frame as the broker reads it, if its header parses. */
export function frameApi(frame: Buffer): { apiKey: number; version: number } | undefined {
  const h = expectationOf(frame).header;
  return h ? { apiKey: h.apiKey, version: h.apiVersion } : undefined;
}

