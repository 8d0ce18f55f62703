import { scaleLinear } from 'd3-scale';
import { area, line } from 'd3-shape';

/** What a forecast picture shows. */
export interface ForecastPlotData {
  readonly history: readonly number[];
  readonly point: readonly number[];
  /** Lower and upper edge of the shaded band (e.g. the 10 % and 90 % quantiles). */
  readonly band?: {
    readonly lower: readonly number[];
    readonly upper: readonly number[];
    readonly label: string;
  };
  readonly title?: string;
}

const escape = (text: string) => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * SVG of the history, the point forecast and a quantile band (d3 scales and path generators;
 * no DOM needed). History steps are 0 … n−1, forecast steps n … n+h−1 (joined to the last value).
 */
export function forecastPlotSvg(data: ForecastPlotData, width = 900, height = 360): string {
  const margin = { top: 32, right: 20, bottom: 30, left: 60 };
  const n = data.history.length;
  const h = data.point.length;
  const all = [
    ...data.history,
    ...data.point,
    ...(data.band?.lower ?? []),
    ...(data.band?.upper ?? []),
  ];
  const x = scaleLinear()
    .domain([0, n + h - 1])
    .range([margin.left, width - margin.right]);
  const y = scaleLinear()
    .domain([Math.min(...all), Math.max(...all)])
    .nice()
    .range([height - margin.bottom, margin.top]);
  const path = line<[number, number]>()
    .x((d) => x(d[0]))
    .y((d) => y(d[1]));
  const historyPath = path(data.history.map((v, i) => [i, v]));
  const forecastPath = path([
    [n - 1, data.history[n - 1]],
    ...data.point.map((v, i): [number, number] => [n + i, v]),
  ]);
  const band = data.band
    ? area<number>()
        .x((i) => x(n + i))
        .y0((i) => y(data.band!.lower[i]))
        .y1((i) => y(data.band!.upper[i]))(data.point.map((_, i) => i))
    : null;
  const yTicks = y.ticks(6);
  const xTicks = x.ticks(8).filter((t) => Number.isInteger(t));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    data.title ? `<text x="${margin.left}" y="18" font-size="14">${escape(data.title)}</text>` : '',
    ...yTicks.map(
      (t) =>
        `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="${margin.left - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`,
    ),
    ...xTicks.map(
      (t) =>
        `<text x="${x(t)}" y="${height - margin.bottom + 16}" text-anchor="middle">${t}</text>`,
    ),
    band
      ? `<path d="${band}" fill="#1f77b4" fill-opacity="0.2" stroke="none"><title>${escape(data.band!.label)}</title></path>`
      : '',
    `<path d="${historyPath}" fill="none" stroke="#333" stroke-width="1.2"/>`,
    `<path d="${forecastPath}" fill="none" stroke="#1f77b4" stroke-width="2"/>`,
    `<line x1="${x(n - 1)}" x2="${x(n - 1)}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="#999" stroke-dasharray="4 3"/>`,
    `<text x="${width - margin.right}" y="18" text-anchor="end"><tspan fill="#333">— history</tspan>  <tspan fill="#1f77b4">— forecast${data.band ? ` ▮ ${escape(data.band.label)}` : ''}</tspan></text>`,
    `</svg>`,
  ].join('\n');
}
