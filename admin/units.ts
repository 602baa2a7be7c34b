// Human-readable sizes for tables and pages (binary units, as `ls -h` and Kafka's tools print them); scripts get
// the raw byte counts from json/yaml.
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB"; below 1 KiB the exact count ("512 B"); null → "-". */
export function formatBytes(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '-';
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}
