// Mocha wiring shared by the suites: one broker process per suite, started in `before`, killed and its temp
// dir removed in `after` (which mocha runs even when tests fail), and the broker's log tail printed after
// any failed test so CI output shows what the broker said.
import { BrokerProcess, type BrokerOptions } from './broker-process';

export interface BrokerRef {
  readonly broker: BrokerProcess;
}

export function useBroker(opts: BrokerOptions): BrokerRef {
  let current: BrokerProcess | undefined;
  before(async function () {
    this.timeout(60_000);
    current = await BrokerProcess.start(opts);
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && current) {
      console.log(`--- broker log tail (${current.logPath}) ---\n${current.logTail(40)}\n--- end of broker log ---`);
    }
  });
  after(async function () {
    this.timeout(30_000);
    await current?.cleanup();
  });
  return {
    get broker(): BrokerProcess {
      if (!current) throw new Error('broker not started (see the before hook error)');
      return current;
    },
  };
}
