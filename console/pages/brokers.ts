// `/brokers`: the brokers from Metadata, and charts of the sampled Prometheus metrics (when configured).
import type { ConsoleContext } from '../context';
import type { MetricsTarget } from '../samplers/metrics-targets';
import { html, type Html } from '../html';
import { chart, table } from '../layout';

export const METRIC_CHARTS = [
  { key: 'bytesIn', field: 'bytesInPerSec', label: 'Bytes in per second' },
  { key: 'bytesOut', field: 'bytesOutPerSec', label: 'Bytes out per second' },
  { key: 'requests', field: 'requestsPerSec', label: 'Requests per second' },
  { key: 'localBytes', field: 'localBytes', label: 'Local log bytes' },
  { key: 'remoteBytes', field: 'remoteBytes', label: 'Remote (tiered) bytes' },
] as const;

/** A chart series' name: the broker's node id when discovered from Metadata, else the configured URL. */
export const targetLabel = (t: MetricsTarget): string => (t.nodeId === null ? t.url : `node ${t.nodeId}`);

export async function brokersPage(ctx: ConsoleContext): Promise<Html> {
  const md = await ctx.cluster.metadata([]);
  const targets = ctx.metrics.state();
  return html`${table(
    ['Node', 'Host', 'Port', 'Rack', 'Role'],
    md.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack ?? '–', b.nodeId === md.controllerId ? 'controller' : '']),
    { id: 'brokers' },
  )}
<h2>Metrics</h2>
${
  !ctx.metrics.configured
    ? html`<p class="notice" id="metrics-not-configured">Broker metrics charts are not configured: set STRATA_CONSOLE_METRICS_PORT to the brokers’ metrics port (each broker from Metadata is scraped) or STRATA_CONSOLE_METRICS_URLS to their Prometheus /metrics URLs (comma-separated).</p>`
    : html`${table(
        ['Metrics URL', 'Node', 'Samples', 'Last scrape'],
        targets.map((t) => [t.url, t.nodeId ?? '–', t.points.length, t.lastError ? html`<span class="bad">${t.lastError}</span>` : t.points.length === 0 ? 'not yet' : 'ok']),
        { id: 'metrics-targets' },
      )}
<div class="charts">${METRIC_CHARTS.map((c) => chart(`metrics-${c.key}`, `/api/metrics/${c.key}`, c.label))}</div>`
}`;
}
