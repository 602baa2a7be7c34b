// Browser side of the console: draws every <canvas data-chart-url> with Chart.js (loaded before this script
// from /static/chart.umd.js) from the JSON of that URL ({unit, refreshMs, datasets of {x: ms, y}}), and
// refreshes it every refreshMs. No inline script anywhere: the page's CSP allows only these two files.

declare const Chart: typeof import('chart.js').Chart;

interface ChartPayload {
  unit: string;
  refreshMs: number;
  datasets: Array<{ label: string; data: Array<{ x: number; y: number | null }> }>;
}

const COLOURS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#65a30d'];

async function load(url: string): Promise<ChartPayload> {
  const res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as ChartPayload;
}

function toDatasets(p: ChartPayload) {
  return p.datasets.map((d, i) => ({
    label: d.label,
    data: d.data,
    borderColor: COLOURS[i % COLOURS.length],
    backgroundColor: COLOURS[i % COLOURS.length],
    pointRadius: 2,
    spanGaps: true,
  }));
}

async function draw(canvas: HTMLCanvasElement): Promise<void> {
  const url = canvas.dataset.chartUrl!;
  const payload = await load(url);
  const chart = new Chart(canvas, {
    type: 'line',
    data: { datasets: toDatasets(payload) },
    options: {
      animation: false,
      parsing: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { type: 'linear', ticks: { maxTicksLimit: 8, callback: (v) => new Date(Number(v)).toLocaleTimeString() } },
        y: { beginAtZero: true, title: { display: true, text: payload.unit } },
      },
      plugins: { tooltip: { callbacks: { title: (items) => new Date(items[0]?.parsed.x ?? 0).toLocaleString() } } },
    },
  });
  canvas.dataset.chartReady = 'true';
  const refresh = Math.max(1000, payload.refreshMs);
  setInterval(() => {
    load(url).then(
      (p) => {
        chart.data.datasets = toDatasets(p);
        chart.update();
      },
      () => undefined, // keep the last data; the next refresh tries again
    );
  }, refresh);
}

document.addEventListener('DOMContentLoaded', () => {
  for (const canvas of document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart-url]')) {
    draw(canvas).catch((err: unknown) => {
      canvas.dataset.chartError = String(err);
      canvas.replaceWith(Object.assign(document.createElement('p'), { className: 'error', textContent: `chart unavailable: ${String(err)}` }));
    });
  }
});
