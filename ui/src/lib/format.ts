/** Sizes as people read them, for every page that shows one. Pure. */

/** "512 MB", "7.8 GB", "1.9 TB": binary units, one decimal, trailing ".0" dropped. */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "?";
  const units = ["B", "KB", "MB", "GB", "TB", "PB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : +v.toFixed(1)} ${units[i]}`;
}
