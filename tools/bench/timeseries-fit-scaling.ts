// How fit time grows with the AR order p for AR-Net (gradient descent, cost linear in p per
// step) and least-squares AR (normal equations, cost n·p² + p³), on one long series, in one run.
// Usage: npx tsx tools/bench/timeseries-fit-scaling.ts [length=6000] [repeats=3]
import { fitArNet, fitLeastSquaresAr } from '@nextx/timeseries';
import { simulateAr } from '@nextx/timeseries/testing';
import { median, report } from './paired';

const length = Number(process.argv[2] ?? 6000);
const repeats = Number(process.argv[3] ?? 3);
const orders = [16, 64, 256, 1024];
const series = simulateAr([0.2, 0.3, -0.4], length + 1024, 42);

function timesMs(fn: () => void): number[] {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const started = performance.now();
    fn();
    times.push(performance.now() - started);
  }
  return times;
}

console.log(
  `series length ${series.length}, median of ${repeats} fits, AR-Net with its automatic epochs (same step count for every p)`,
);
console.log('    p | arnet ms | x prev |    ar ms | x prev | ar / arnet');
let prev: { arnet: number; ar: number } | undefined;
const all = new Map<number, { arnet: number[]; ar: number[] }>();
for (const p of orders) {
  let steps = 0;
  const arnetTimes = timesMs(() => (steps = fitArNet(series, { order: p, seed: 1 }).steps));
  const arTimes = timesMs(() => fitLeastSquaresAr(series, p));
  all.set(p, { arnet: arnetTimes, ar: arTimes });
  const [arnet, ar] = [median(arnetTimes), median(arTimes)];
  const grow = (now: number, before?: number) =>
    before ? (now / before).toFixed(1).padStart(6) : '     -';
  console.log(
    `${String(p).padStart(5)} | ${arnet.toFixed(0).padStart(8)} | ${grow(arnet, prev?.arnet)} | ${ar.toFixed(0).padStart(8)} | ${grow(ar, prev?.ar)} | ${(ar / arnet).toFixed(2).padStart(10)}   (${steps} AR-Net steps)`,
  );
  prev = { arnet, ar };
}
console.log('p grows 4x per row: linear cost shows as ~4x, quadratic as ~16x.');
// Growth from p = 256 to p = 1024 (4×), per repeat: linear cost gives ~4, quadratic ~16.
const [lo, hi] = [all.get(256)!, all.get(1024)!];
report({
  bench: 'timeseries-fit-scaling',
  metric: 'AR-Net fit time growth, p 256 → 1024',
  values: hi.arnet.map((t, i) => t / lo.arnet[i]!),
});
report({
  bench: 'timeseries-fit-scaling',
  metric: 'least-squares AR fit time growth, p 256 → 1024',
  values: hi.ar.map((t, i) => t / lo.ar[i]!),
});
