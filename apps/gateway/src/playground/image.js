// Image page: POST /v1/image/generate as SSE; progress messages carry VAR's per-scale preview
// PNGs, the last message the images.
import {
  base64ToBytes,
  clamp,
  describeModel,
  downloadLink,
  familyLabel,
  formatMs,
  generationRunner,
  initModelPage,
  modelRef,
  numberValue,
  samplingControls,
  seedValue,
  setStatus,
  stream,
} from './api.js';

const $ = (id) => document.getElementById(id);
const form = $('form');
const modelSelect = $('model');
const classInput = $('class-label');
const numImages = $('num-images');
const seedInput = $('seed');
const speculative = $('speculative');
const lantern = $('lantern');
const status = $('status');
const errorBox = $('error');
const progress = $('progress');
const preview = $('preview');
const previewCaption = $('preview-caption');
const previews = $('previews');
const images = $('images');
const summary = $('summary');
const downloads = $('downloads');

let models = [];
let readSampling = () => ({});
const urls = [];

const run = generationRunner({
  form,
  generate: $('generate'),
  cancel: $('cancel'),
  status,
  error: errorBox,
});

function current() {
  return models[Number(modelSelect.value)];
}

function applyModel() {
  const info = current();
  if (!info) return;
  describeModel($('model-info'), info);
  const details = info.image ?? {};
  const classes = details.numClasses ?? 0;
  if (classes > 0) {
    classInput.max = String(classes - 1);
    classInput.value = String(clamp(numberValue(classInput, 0), 0, classes - 1));
    $('class-hint').textContent =
      `0 … ${classes - 1}; ${details.imageSize ?? '?'}×${details.imageSize ?? '?'} pixels`;
  }
  speculative.disabled = !details.hasDraft;
  if (!details.hasDraft) speculative.checked = false;
  syncLantern();
  // Continuous tokens (xAR, MAR) have no codebook to filter; xAR's noise is its solver's own.
  const family = String(info.family ?? '');
  const continuous = family.endsWith('_XAR') || family.endsWith('_MAR');
  const omit = continuous ? ['topK', 'topP', 'minP'] : [];
  if (family.endsWith('_XAR')) omit.push('temperature');
  readSampling = samplingControls($('sampling'), info.defaults, { omit });
}

/** LANTERN relaxes discrete (raster) speculative decoding only. */
function syncLantern() {
  lantern.disabled = !speculative.checked || !String(current()?.family ?? '').endsWith('_RASTER');
  if (lantern.disabled) lantern.checked = false;
}

speculative.addEventListener('change', syncLantern);

function revokeAll() {
  while (urls.length > 0) URL.revokeObjectURL(urls.pop());
}

function pngUrl(b64) {
  const url = URL.createObjectURL(new Blob([base64ToBytes(b64)], { type: 'image/png' }));
  urls.push(url);
  return url;
}

function reset() {
  revokeAll();
  preview.hidden = true;
  preview.removeAttribute('src');
  previewCaption.textContent = 'No preview yet.';
  previews.replaceChildren();
  images.replaceChildren();
  summary.textContent = '';
  downloads.replaceChildren();
  progress.value = 0;
  progress.max = 1;
}

function onProgress(p) {
  const total = p.total ?? 0;
  const step = p.step ?? 0;
  if (total > 0) {
    progress.max = total;
    progress.value = step;
  }
  setStatus(
    status,
    `${p.stage || 'step'} ${step} of ${total} · ${formatMs(p.elapsedMs)}`,
    'running',
  );
  if (p.previewPng) {
    const url = pngUrl(p.previewPng);
    preview.src = url;
    preview.alt = `Preview after ${p.stage || 'step'} ${step} of ${total}`;
    preview.hidden = false;
    previewCaption.textContent = `After ${p.stage || 'step'} ${step} of ${total}`;
    const figure = document.createElement('figure');
    figure.setAttribute('role', 'listitem');
    const img = document.createElement('img');
    img.src = url;
    img.alt = `Preview after ${p.stage || 'step'} ${step}`;
    const caption = document.createElement('figcaption');
    caption.textContent = String(step);
    figure.append(img, caption);
    previews.append(figure);
  }
}

function onImages(result, classLabel) {
  const pngs = result.png ?? [];
  pngs.forEach((b64, i) => {
    const bytes = base64ToBytes(b64);
    const blob = new Blob([bytes], { type: 'image/png' });
    const url = URL.createObjectURL(blob);
    urls.push(url);
    const figure = document.createElement('figure');
    const img = document.createElement('img');
    img.src = url;
    img.alt = `Generated image ${i + 1} of ${pngs.length}, class ${classLabel}`;
    img.className = 'result';
    const caption = document.createElement('figcaption');
    caption.textContent = `#${i + 1}`;
    figure.append(img, caption);
    images.append(figure);
    downloads.append(
      downloadLink(blob, `image-${result.settings?.seed ?? 'x'}-${i + 1}.png`, `PNG #${i + 1}`),
    );
  });
  progress.value = progress.max;
  const s = result.settings ?? {};
  const parts = [
    `${pngs.length} image${pngs.length === 1 ? '' : 's'}`,
    `${result.steps ?? 0} steps`,
    formatMs(result.elapsedMs),
    `seed ${s.seed ?? '?'}`,
  ];
  if (s.speculative)
    parts.push(`speculative, ${(Number(result.acceptanceRate ?? 0) * 100).toFixed(1)} % accepted`);
  summary.textContent = parts.join(' · ');
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const info = current();
  if (!info) return;
  reset();
  const request = {
    model: modelRef(info),
    classLabel: numberValue(classInput, 0),
    numImages: numberValue(numImages, 1),
    seed: seedValue(seedInput),
    sampling: readSampling(),
    speculative: speculative.checked,
    lantern: lantern.checked,
  };
  void run(async (signal) => {
    let final;
    await stream(
      'v1/image/generate',
      request,
      (message) => {
        if (message.progress) onProgress(message.progress);
        if (message.images) {
          final = message.images;
          onImages(message.images, request.classLabel);
        }
      },
      { signal },
    );
    if (!final) throw new Error('the stream ended without images');
    // Wait for the images to decode so "done" means they are on screen.
    await Promise.all(
      [...images.querySelectorAll('img')].map((img) => img.decode().catch(() => undefined)),
    );
    setStatus(status, `Done: ${summary.textContent}`, 'done');
  });
});

function onModels(list) {
  models = list;
  applyModel();
  $('generate').disabled = models.length === 0;
}

modelSelect.addEventListener('change', applyModel);
void initModelPage({
  select: modelSelect,
  service: 'image',
  prefer: (m) => m.family === 'MODEL_FAMILY_VAR',
  status,
  error: errorBox,
  onLoaded: onModels,
  readyText: (list) =>
    `${list.length} model${list.length === 1 ? '' : 's'} (${[...new Set(list.map((m) => familyLabel(m.family)))].join(', ')}). Press Generate.`,
});
