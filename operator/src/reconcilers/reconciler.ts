// What the controller needs from a reconciler: the kind it handles and one idempotent pass over one object.
import type { ReconcileResult } from '../queue';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };

export interface Reconciler {
  readonly kind: string;
  /** Brings the world in line with the object namespace/name (which may no longer exist). */
  reconcile(namespace: string, name: string): Promise<ReconcileResult | void>;
}
