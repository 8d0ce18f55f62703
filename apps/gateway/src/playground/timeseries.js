// Time-series page: POST /v1/timeseries/forecast (unary JSON; Accept: text/csv for the CSV),
// drawn with Chart.js (vendor/chart.js/dist/chart.umd.js, loaded as a classic script: window.Chart).
import {
  ApiError,
  clamp,
  describeModel,
  downloadLink,
  fetchBlob,
  formatMs,
  generationRunner,
  initModelPage,
  numberValue,
  postJson,
  samplingControls,
  seedValue,
  setStatus,
  showError,
  clearError,
} from './api.js';

const $ = (id) => document.getElementById(id);
const form = $('form');
const modelSelect = $('model');
const seriesInput = $('series');
const horizonInput = $('horizon');
const seasonInput = $('season');
const qLow = $('q-low');
const qHigh = $('q-high');
const pathsInput = $('paths');
const seedInput = $('seed');
const orderInput = $('order');
const holdoutInput = $('holdout');
const status = $('status');
const errorBox = $('error');
const facts = $('facts');
const downloads = $('downloads');
const csvButton = $('csv');

let models = [];
let readSampling = () => ({});
let chart;

const run = generationRunner({
  form,
  generate: $('generate'),
  cancel: $('cancel'),
  status,
  error: errorBox,
});
const current = () => models[Number(modelSelect.value)];

const METHODS = {
  MODEL_FAMILY_AUTO: 'METHOD_AUTO',
  MODEL_FAMILY_AR: 'METHOD_AR',
  MODEL_FAMILY_ARNET: 'METHOD_ARNET',
  MODEL_FAMILY_CHRONOS: 'METHOD_CHRONOS',
};
const isPretrained = (info) => info?.family === 'MODEL_FAMILY_CHRONOS';

function applyModel() {
  const info = current();
  if (!info) return;
  describeModel($('model-info'), info);
  const d = info.timeseries ?? {};
  if (d.maxHorizon) {
    horizonInput.max = String(d.maxHorizon);
    horizonInput.value = String(clamp(numberValue(horizonInput, 24), 1, d.maxHorizon));
  }
  if (d.maxPaths) pathsInput.max = String(d.maxPaths);
  pathsInput.value = String(clamp(numberValue(pathsInput, 0), 0, d.maxPaths || 5000));
  $('paths-hint').textContent = `0 = the default${d.maxPaths ? `; at most ${d.maxPaths}` : ''}`;
  const pretrained = isPretrained(info);
  $('order-field').hidden = pretrained;
  $('sampling').hidden = !pretrained;
  readSampling = pretrained
    ? samplingControls($('sampling'), info.defaults, { omit: ['minP', 'guidanceScale'] })
    : () => ({});
  if (d.contextLength)
    $('model-info').textContent +=
      ` · reads the last ${d.contextLength} values, at most ${d.maxHorizon} steps ahead`;
}

/** Numbers of the textarea: commas, whitespace, or "time,value" lines (the last column). */
function parseSeries() {
  const text = seriesInput.value.trim();
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const table = lines.length > 1 && lines.every((l) => l.split(/[,;\t]/).length === 2);
  const tokens = table
    ? lines.map((l) => l.split(/[,;\t]/)[1].trim())
    : text.split(/[\s,;]+/).filter((t) => t !== '');
  const values = [];
  for (const token of tokens) {
    const n = Number(token);
    if (!Number.isFinite(n)) {
      // A header row of a two-column table is skipped; anything else is reported.
      if (table && values.length === 0) continue;
      throw new ApiError({
        code: 3,
        message: 'the series has a value that is not a number',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [{ field: 'series.values', description: `not a number: “${token}”` }],
          },
        ],
      });
    }
    values.push(n);
  }
  return values;
}

function request() {
  const info = current();
  const all = parseSeries();
  const holdoutCount = clamp(numberValue(holdoutInput, 0), 0, Math.max(0, all.length - 2));
  const values = holdoutCount ? all.slice(0, all.length - holdoutCount) : all;
  const holdout = holdoutCount ? all.slice(all.length - holdoutCount) : [];
  const low = numberValue(qLow, 0.1);
  const high = numberValue(qHigh, 0.9);
  const model = { method: METHODS[info.family] ?? 'METHOD_AUTO' };
  if (isPretrained(info)) {
    const s = readSampling();
    model.chronos = {
      model: info.model?.name ?? '',
      temperature: s.temperature ?? 0,
      topK: s.topK ?? 0,
      topP: s.topP ?? 0,
    };
  } else {
    model.order = numberValue(orderInput, 0);
  }
  return {
    body: {
      series: { values, seasonLength: numberValue(seasonInput, 0) },
      horizon: numberValue(horizonInput, 24),
      quantiles: [low, 0.5, high],
      model,
      numPaths: numberValue(pathsInput, 0),
      seed: seedValue(seedInput),
      ...(holdout.length ? { holdout } : {}),
    },
    values,
    holdout,
    low,
    high,
  };
}

function css(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function draw({ values, holdout, low, high }, response) {
  const n = values.length;
  const at = (offset) => (v, i) => ({ x: offset + i, y: v });
  const quantile = (level) =>
    (response.quantiles ?? []).find((q) => Math.abs(Number(q.level) - level) < 1e-9)?.values ?? [];
  // The forecast starts from the last observation, so the lines join.
  const join = (series) =>
    series.length ? [{ x: n - 1, y: values[n - 1] }, ...series.map(at(n))] : [];
  const datasets = [
    {
      label: 'History',
      data: values.map(at(0)),
      borderColor: css('--text', '#1b1f24'),
      borderWidth: 1.5,
      pointRadius: 0,
    },
    {
      label: `Quantile ${low}`,
      data: join(quantile(low)),
      borderColor: 'rgba(11, 95, 255, 0.35)',
      borderWidth: 1,
      pointRadius: 0,
      fill: false,
    },
    {
      label: `Quantile ${high}`,
      data: join(quantile(high)),
      borderColor: 'rgba(11, 95, 255, 0.35)',
      backgroundColor: 'rgba(11, 95, 255, 0.18)',
      borderWidth: 1,
      pointRadius: 0,
      fill: '-1',
    },
    {
      label: 'Median',
      data: join(quantile(0.5)),
      borderColor: 'rgba(11, 95, 255, 0.6)',
      borderDash: [4, 3],
      borderWidth: 1.5,
      pointRadius: 0,
    },
    {
      label: 'Point forecast',
      data: join(response.point ?? []),
      borderColor: css('--accent', '#0b5fff'),
      borderWidth: 2.5,
      pointRadius: 0,
    },
  ];
  if (holdout.length)
    datasets.push({
      label: 'Held out (actual)',
      data: join(holdout),
      borderColor: '#d97706',
      borderWidth: 1.5,
      pointRadius: 2,
    });
  const config = {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: {
          type: 'linear',
          title: { display: true, text: 'step' },
          ticks: { color: css('--muted', '#57606a') },
          grid: { color: css('--border', '#d0d7de') },
        },
        y: {
          title: { display: true, text: 'value' },
          ticks: { color: css('--muted', '#57606a') },
          grid: { color: css('--border', '#d0d7de') },
        },
      },
      plugins: { legend: { labels: { color: css('--text', '#1b1f24') } } },
    },
  };
  chart?.destroy();
  chart = new window.Chart($('chart'), config);
}

function showFacts(response, holdout) {
  const m = response.model ?? {};
  const s = response.inSample ?? {};
  const rows = [
    ['Method', String(m.method ?? '').replace(/^METHOD_/, '')],
    m.pretrained?.name
      ? [
          'Pretrained model',
          `${m.pretrained.name}${m.pretrained.version ? ` @${m.pretrained.version}` : ''}`,
        ]
      : undefined,
    m.contextLength ? ['Context read', `${m.contextLength} values`] : undefined,
    m.order ? ['AR order', String(m.order)] : undefined,
    m.residualStd ? ['Residual std', Number(m.residualStd).toFixed(3)] : undefined,
    m.epochs ? ['AR-Net epochs', String(m.epochs)] : undefined,
    m.fitMs ? ['Fit time', formatMs(m.fitMs)] : undefined,
    s.points
      ? [
          'In-sample',
          `MAE ${Number(s.mae ?? 0).toFixed(2)} · RMSE ${Number(s.rmse ?? 0).toFixed(2)} · MASE ${Number(s.mase ?? 0).toFixed(3)} (${s.points} points)`,
        ]
      : undefined,
    ['Seed', String(response.seed ?? '?')],
  ];
  const h = response.holdoutScores;
  if (h && holdout.length)
    rows.push([
      'Holdout',
      `MASE ${Number(h.mase ?? 0).toFixed(3)} · WQL ${Number(h.wql ?? 0).toFixed(3)} · CRPS ${Number(h.crps ?? 0).toFixed(2)} (${h.points ?? 0} steps)`,
    ]);
  facts.replaceChildren(
    ...rows.filter(Boolean).flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}

/** Waits until Chart.js has painted (it draws synchronously, the frame is for the layout). */
const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!current()) return;
  downloads.replaceChildren();
  void run(async (signal) => {
    const req = request();
    const started = performance.now();
    const response = await postJson('v1/timeseries/forecast', req.body, { signal });
    const elapsed = performance.now() - started;
    draw(req, response);
    showFacts(response, req.holdout);
    await nextFrame();
    if (chart) chart.canvas.dataset.drawn = 'true';
    setStatus(
      status,
      `Done: ${req.body.horizon} steps from ${req.values.length} values with ${String(response.model?.method ?? '').replace(/^METHOD_/, '')}, answered in ${formatMs(elapsed)}.`,
      'done',
    );
  }, 'Forecasting…');
});

csvButton.addEventListener('click', async () => {
  clearError(errorBox, form);
  csvButton.disabled = true;
  try {
    const req = request();
    const blob = await fetchBlob('v1/timeseries/forecast', 'text/csv', req.body);
    downloads.replaceChildren(downloadLink(blob, 'forecast.csv', 'Save forecast.csv'));
    downloads.querySelector('a')?.focus();
  } catch (e) {
    showError(errorBox, e, form);
  } finally {
    csvButton.disabled = false;
  }
});

function onModels(list) {
  models = list;
  applyModel();
  $('generate').disabled = models.length === 0;
  csvButton.disabled = models.length === 0;
}

modelSelect.addEventListener('change', applyModel);
if (window.Chart) {
  void initModelPage({
    select: modelSelect,
    service: 'timeseries',
    prefer: (m) => m.family === 'MODEL_FAMILY_AUTO',
    status,
    error: errorBox,
    onLoaded: onModels,
    readyText: () => 'Press Forecast.',
  });
} else {
  setStatus(status, 'Chart.js did not load (vendor/chart.js/dist/chart.umd.js).', 'error');
}
