// A broker's metadata side for cluster unit tests: its MetadataLog, image and Controller over a shared object
// store directory, and a way to wait for conditions that involve real file I/O.
import { Controller } from '../../src/cluster/controller';
import type { MetadataImage } from '../../src/cluster/metadata-image';
import { MetadataLog } from '../../src/cluster/metadata-log';
import { LocalObjectStore } from '../../src/tier/local-object-store';
import { silentLogger } from '../coordinator/helpers';

export interface TestNode {
  log: MetadataLog;
  image: MetadataImage;
  controller: Controller;
}

/** A broker's metadata side (log, image, controller) over the object store in `dir`. */
export async function metadataNode(dir: string, nodeId: number, snapshotEvery = 500): Promise<TestNode> {
  const log = new MetadataLog(new LocalObjectStore(dir), 'c/', snapshotEvery);
  const image = await log.load();
  return { log, image, controller: new Controller(image, log, nodeId, { logger: silentLogger }) };
}

/** Resolves once `check` is true; fails after `timeoutMs` of real time, naming `what`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
