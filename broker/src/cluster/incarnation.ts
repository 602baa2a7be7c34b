// The broker's identity on its own disk: `<dataDir>/meta.properties`, in Kafka's format (version=1, node.id,
// cluster.id) plus `incarnation.id`, a random UUID created with the file. A broker registers with it: an
// incarnation the cluster has not seen means an empty (wiped or new) disk, and such a replica must not lead
// before it has caught up (KIP-966). A data dir that belongs to another node or cluster is refused: starting
// on it would serve another broker's logs under this broker's name.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const META_PROPERTIES = 'meta.properties';

export class IncarnationMismatchError extends Error {
  override readonly name = 'IncarnationMismatchError';
}

/** Parses Java-style properties (key=value lines, # and ! comments). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

/**
 * Returns this data dir's incarnation id, creating meta.properties (fsynced, written atomically) when it is absent
 * or lacks one. Throws IncarnationMismatchError when the file names another node id or cluster id.
 */
export async function loadIncarnation(dataDir: string, nodeId: number, clusterId: string): Promise<string> {
  const file = path.join(dataDir, META_PROPERTIES);
  let props: Map<string, string> | null = null;
  try {
    props = parseProperties(await fs.readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (props) {
    const storedNode = props.get('node.id');
    if (storedNode !== undefined && storedNode !== String(nodeId)) {
      throw new IncarnationMismatchError(`${file} belongs to node.id=${storedNode}, but this broker is configured with node id ${nodeId}: use that node id or another data dir`);
    }
    const storedCluster = props.get('cluster.id');
    if (storedCluster !== undefined && storedCluster !== clusterId) {
      throw new IncarnationMismatchError(`${file} belongs to cluster.id=${storedCluster}, but the object store holds cluster ${clusterId}: use another data dir or object store`);
    }
    const id = props.get('incarnation.id');
    if (id) return id;
  }
  const incarnationId = randomUUID();
  const text = ['#Written by Strata: this data dir\'s identity. Delete the dir (not only this file) to start anew.', 'version=1', `node.id=${nodeId}`, `cluster.id=${clusterId}`, `incarnation.id=${incarnationId}`, ''].join('\n');
  await writeDurably(file, text);
  return incarnationId;
}

async function writeDurably(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  const dir = await fs.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
