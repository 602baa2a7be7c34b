// Sends one saved frame on a fresh connection and reports what the broker did with it: used to find the culprit
// among a crash's suspects and by the regression test.
import { RawConnection } from '../helpers/wire';
import { expectationOf, responseProblem } from './responses';

export type ReplayOutcome =
  | { kind: 'answered'; problem: string | null }
  | { kind: 'closed' }
  | { kind: 'no-response-expected' }
  | { kind: 'timeout' };

export async function replayFrame(host: string, port: number, frame: Buffer, timeoutMs: number): Promise<ReplayOutcome> {
  const conn = await RawConnection.open(host, port, timeoutMs);
  try {
    conn.write(frame);
    if (expectationOf(frame).noResponse) {
      // Produce acks=0: nothing comes back; close politely so the broker still reads the whole frame first.
      conn.end();
      return (await conn.waitClosed(timeoutMs)) ? { kind: 'no-response-expected' } : { kind: 'timeout' };
    }
    const o = await conn.next(timeoutMs);
    if (o.kind === 'frame') return { kind: 'answered', problem: responseProblem(frame, o.frame) };
    return { kind: o.kind };
  } finally {
    conn.destroy();
  }
}
