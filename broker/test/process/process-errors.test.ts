// The process-level handlers: after start-up an unhandled rejection or uncaught exception is logged and counted,
// and the process goes on; during start-up it still ends the process.
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { installProcessErrorHandlers, type ProcessEvents } from '../../src/process-errors';
import { BrokerMetrics } from '../../src/metrics/registry';
import type { Logger } from '../../src/logger';

class FakeProcess extends EventEmitter implements ProcessEvents {
  exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

function recordingLogger(lines: string[]): Logger {
  const log = (msg: string, f?: Record<string, unknown>) => lines.push(`${msg} ${JSON.stringify(f ?? {})}`);
  const l: Logger = { debug: log, info: log, warn: log, error: log, child: () => l };
  return l;
}

describe('process error handlers', () => {
  it('log and count unhandled rejections and uncaught exceptions once the broker runs, without exiting', async () => {
    const proc = new FakeProcess();
    const lines: string[] = [];
    const metrics = new BrokerMetrics({ defaultMetrics: false });
    installProcessErrorHandlers(proc, recordingLogger(lines), () => metrics);
    proc.emit('unhandledRejection', new Error('lost promise'));
    proc.emit('uncaughtException', new Error('thrown in a timer'));
    proc.emit('uncaughtException', 'not even an Error');
    assert.deepEqual(proc.exits, []);
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^unhandledRejection .*lost promise/);
    const text = await metrics.scrape();
    assert.match(text, /strata_process_errors_total\{kind="unhandledRejection"\} 1/);
    assert.match(text, /strata_process_errors_total\{kind="uncaughtException"\} 2/);
  });

  it('exit the process while the broker is still starting', () => {
    const proc = new FakeProcess();
    installProcessErrorHandlers(proc, recordingLogger([]), () => null);
    proc.emit('uncaughtException', new Error('during start-up'));
    assert.deepEqual(proc.exits, [1]);
  });
});
