// Sends generated request cases over one raw TCP connection (reopened after the broker closes it) and judges the
// outcome strictly: a valid request, however extreme its values, must be answered with a well-formed response;
// only a deliberately malformed one (`malformed`) may instead close the connection.
import { RawConnection } from '../helpers/wire';
import { caseFrame } from './frames';
import { caseName, type RequestCase } from './generator';
import { decodeResponseBody, expectationOf, responseProblem } from './responses';

export interface CaseResult {
  ok: boolean;
  /** 'answered', 'closed', 'timeout' or 'no response expected'. */
  outcome: string;
  /** What is wrong when !ok. */
  detail?: string;
  /** The decoded response body when answered. */
  body?: Record<string, unknown>;
}

export class CaseRunner {
  private conn: RawConnection | undefined;
  private correlationId = 1000;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  async run(c: RequestCase): Promise<CaseResult> {
    const frame = caseFrame(c, ++this.correlationId);
    this.conn ??= await RawConnection.open(this.host, this.port, this.timeoutMs);
    this.conn.write(frame);
    if (expectationOf(frame).noResponse) return { ok: true, outcome: 'no response expected' };
    const o = await this.conn.next(this.timeoutMs);
    if (o.kind === 'frame') {
      const problem = responseProblem(frame, o.frame);
      if (problem) return { ok: false, outcome: 'answered', detail: `malformed response: ${problem}` };
      const decoded = decodeResponseBody(c.apiKey, c.version, o.frame);
      return { ok: true, outcome: 'answered', body: 'body' in decoded ? decoded.body : undefined };
    }
    this.drop();
    if (o.kind === 'closed') {
      return c.malformed ? { ok: true, outcome: 'closed' } : { ok: false, outcome: 'closed', detail: 'the broker closed the connection instead of answering' };
    }
    return { ok: false, outcome: 'timeout', detail: `no answer within ${this.timeoutMs} ms` };
  }

  /** Runs a case and throws unless it was ok. */
  async expectOk(c: RequestCase): Promise<CaseResult> {
    const r = await this.run(c);
    if (!r.ok) throw new Error(`${caseName(c)}: ${r.outcome}: ${r.detail}`);
    return r;
  }

  drop(): void {
    this.conn?.destroy();
    this.conn = undefined;
  }
}
