/**
 * Chart geometry for the PDF report: series scaled into a box (PDF coordinates, y growing
 * downwards as pdfkit draws), axis ticks at round numbers, bars. Pure numbers, so the
 * drawing can be checked without reading a PDF.
 */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

/** A linear map from [d0, d1] onto [r0, r1]; a degenerate domain maps to the middle of the range. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/** The least and greatest of all the series' values, widened to include `include` (e.g. 0). */
export function extent(series: readonly (readonly number[])[], include: readonly number[] = []): [number, number] {
  const values = [...series.flat(), ...include].filter(Number.isFinite);
  if (values.length === 0) return [0, 1];
  return [Math.min(...values), Math.max(...values)];
}

/**
 * Round tick values covering [min, max]: steps of 1, 2 or 5 × 10^k, about `count` of them
 * (the classic "nice numbers" of Heckbert's Graphics Gems).
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max === min) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    return niceTicks(min - pad, max + pad, count);
  }
  const rough = (max - min) / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  // Integer multiples of the step, rounded to its decimals so 0.1 + 0.2 prints as 0.3 and zero as 0.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const ticks: number[] = [];
  for (let k = Math.floor(min / step); k <= Math.ceil(max / step); k++) ticks.push(Number((k * step).toFixed(decimals)) + 0);
  return ticks;
}

/**
 * The polyline of dated values in the box: time t on [t0, t1] from the box's left to its
 * right edge, the value on [lo, hi] from its bottom to its top (PDF y grows downwards).
 */
export function timePolyline(points: readonly { t: number; value: number }[], box: Box, time: [number, number], domain: [number, number]): Point[] {
  const x = linearScale(time[0], time[1], box.x, box.x + box.width);
  const y = linearScale(domain[0], domain[1], box.y + box.height, box.y);
  return points.map((p) => ({ x: x(p.t), y: y(p.value) }));
}

export interface Bar {
  label: string;
  value: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Horizontal bars, one per row, longest for the greatest value (from 0): each row
 * `box.height / n` tall with a gap of a quarter of it.
 */
export function horizontalBars(items: readonly { label: string; value: number }[], box: Box): Bar[] {
  const max = Math.max(0, ...items.map((i) => i.value));
  const row = items.length ? box.height / items.length : 0;
  const scale = linearScale(0, max || 1, 0, box.width);
  return items.map((item, k) => ({
    label: item.label,
    value: item.value,
    x: box.x,
    y: box.y + k * row + row * 0.125,
    width: scale(Math.max(0, item.value)),
    height: row * 0.75,
  }));
}
