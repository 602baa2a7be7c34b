// JSON behind the charts: series of {x: epoch ms, y} points, one dataset per line, in the shape console.js
// (console/web/charts.ts) hands to Chart.js. Shared with the browser code by structure only (ChartPayload).
import type { ConsoleContext } from './context';
import { METRIC_CHARTS, targetLabel } from './pages/brokers';

export interface ChartPayload {
  /** Unit shown on the y axis. */
  unit: string;
  /** How often the browser re-fetches (the sampling interval). */
  refreshMs: number;
  datasets: Array<{ label: string; data: Array<{ x: number; y: number | null }> }>;
}

export function lagChart(ctx: ConsoleContext, groupId: string): ChartPayload {
  return {
    unit: 'records',
    refreshMs: ctx.settings.sampleIntervalMs,
    datasets: [{ label: `lag of ${groupId}`, data: ctx.lag.points(groupId).map((p) => ({ x: p.t, y: p.lag })) }],
  };
}

/** null for an unknown series key. */
export function metricsChart(ctx: ConsoleContext, key: string): ChartPayload | null {
  const c = METRIC_CHARTS.find((m) => m.key === key);
  if (!c) return null;
  return {
    unit: c.key.endsWith('Bytes') || c.key.startsWith('bytes') ? 'bytes' : 'requests',
    refreshMs: ctx.settings.sampleIntervalMs,
    datasets: ctx.metrics.state().map((t) => ({ label: targetLabel(t), data: t.points.map((p) => ({ x: p.t, y: p[c.field] })) })),
  };
}
