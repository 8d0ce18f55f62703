import { describe, expect, it } from 'vitest';
import { forecastPlotSvg } from './forecast-plot';

describe('forecastPlotSvg', () => {
  it('draws history, forecast and band as paths inside a valid SVG', () => {
    const svg = forecastPlotSvg({
      history: [1, 2, 3, 4],
      point: [5, 6],
      band: { lower: [4, 4.5], upper: [6, 7.5], label: '10–90 %' },
      title: 'CO2 <ppm>',
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(3);
    expect(svg).toContain('CO2 &#60;ppm&#62;');
    expect(svg).not.toContain('NaN');
  });
});
