// Shape page: POST /v1/shape/generate as SSE. Progress messages carry each octree level's
// preview PNG (level messages its occupancy); the last message the GLB, shown in <model-viewer>
// (vendor/@google/model-viewer, served by the gateway) from a Blob URL.
import {
  base64ToBytes,
  describeModel,
  downloadLink,
  formatMs,
  generationRunner,
  initModelPage,
  modelRef,
  samplingControls,
  seedValue,
  setStatus,
  stream,
} from './api.js';

const $ = (id) => document.getElementById(id);
const form = $('form');
const modelSelect = $('model');
const classSelect = $('class-name');
const resolutionSelect = $('resolution');
const seedInput = $('seed');
const status = $('status');
const errorBox = $('error');
const progress = $('progress');
const levels = $('levels');
const viewer = $('viewer');
const summary = $('summary');
const downloads = $('downloads');
const render = $('render');

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
const current = () => models[Number(modelSelect.value)];

function fill(select, values, label = String) {
  const previous = select.value;
  select.replaceChildren(
    ...values.map((v) => {
      const o = document.createElement('option');
      o.value = String(v);
      o.textContent = label(v);
      return o;
    }),
  );
  if (values.map(String).includes(previous)) select.value = previous;
}

function applyModel() {
  const info = current();
  if (!info) return;
  describeModel($('model-info'), info);
  const d = info.shape ?? {};
  fill(classSelect, d.classes ?? []);
  const resolutions = d.resolutions ?? [];
  fill(resolutionSelect, resolutions, (r) => `${r}³`);
  if (resolutions.length) resolutionSelect.value = String(resolutions[resolutions.length - 1]);
  resolutionSelect.disabled = resolutions.length <= 1;
  readSampling = samplingControls($('sampling'), info.defaults, { omit: ['minP'] });
}

function url(blob) {
  const u = URL.createObjectURL(blob);
  urls.push(u);
  return u;
}

function reset() {
  while (urls.length) URL.revokeObjectURL(urls.pop());
  levels.replaceChildren();
  summary.textContent = '';
  downloads.replaceChildren();
  progress.value = 0;
  progress.max = 1;
  viewer.removeAttribute('src');
  viewer.alt = 'The generated shape (none yet)';
  delete viewer.dataset.loaded;
  $('render-figure').hidden = true;
}

/** The mesh has no colour of its own: a blue-grey like the service's rendered views. */
function tint() {
  try {
    for (const material of viewer.model?.materials ?? []) {
      material.pbrMetallicRoughness.setBaseColorFactor([0.48, 0.56, 0.78, 1]);
      material.pbrMetallicRoughness.setRoughnessFactor(0.7);
      material.pbrMetallicRoughness.setMetallicFactor(0);
    }
  } catch {
    // Keep the mesh's own material.
  }
}

/** Resolves on the viewer's `load` event for `src` (rejects on its `error` event). */
function loadInViewer(src, alt) {
  return new Promise((resolve, reject) => {
    const onLoad = () => {
      viewer.removeEventListener('error', onError);
      tint();
      viewer.dataset.loaded = 'true';
      resolve();
    };
    const onError = (event) => {
      viewer.removeEventListener('load', onLoad);
      reject(new Error(`the viewer could not load the mesh: ${event.detail?.type ?? 'error'}`));
    };
    viewer.addEventListener('load', onLoad, { once: true });
    viewer.addEventListener('error', onError, { once: true });
    viewer.alt = alt;
    viewer.src = src;
  });
}

/** The strip's figure of one octree level (made on its first message: progress or level). */
const figures = new Map();

function levelFigure(level) {
  let entry = figures.get(level);
  if (!entry) {
    const figure = document.createElement('figure');
    figure.setAttribute('role', 'listitem');
    const img = document.createElement('img');
    img.alt = `Level ${level}`;
    img.hidden = true;
    const caption = document.createElement('figcaption');
    caption.textContent = `L${level}`;
    figure.append(img, caption);
    levels.append(figure);
    entry = { img, caption };
    figures.set(level, entry);
  }
  return entry;
}

/** Progress step N (1-based) is octree level N − 1; next-scale models attach its preview. */
function onProgressPreview(p) {
  if (!p.previewPng) return;
  const { img } = levelFigure((p.step ?? 1) - 1);
  img.src = url(new Blob([base64ToBytes(p.previewPng)], { type: 'image/png' }));
  img.hidden = false;
}

function onLevel(message) {
  const level = message.level ?? 0;
  const occ = message.occupancy ?? {};
  const r = occ.resolution ?? 0;
  const { img, caption } = levelFigure(level);
  caption.textContent = `L${level} · ${r}³ · ${occ.occupied ?? 0}`;
  img.alt = `Level ${level}: ${occ.occupied ?? 0} of ${r ** 3} voxels occupied at ${r}³`;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const info = current();
  if (!info) return;
  reset();
  figures.clear();
  const request = {
    model: modelRef(info),
    className: classSelect.value,
    seed: seedValue(seedInput),
    sampling: readSampling(),
    format: 'MESH_FORMAT_GLB',
    resolution: Number(resolutionSelect.value || 0),
  };
  void run(async (signal) => {
    let shape;
    await stream(
      'v1/shape/generate',
      request,
      (message) => {
        if (message.level) onLevel(message.level);
        if (message.progress) {
          const p = message.progress;
          progress.max = p.total || 1;
          progress.value = p.step ?? 0;
          setStatus(
            status,
            `${p.stage || 'step'} ${p.step ?? 0} of ${p.total ?? '?'} · ${formatMs(p.elapsedMs)}`,
            'running',
          );
          onProgressPreview(p);
        }
        if (message.shape) shape = message.shape;
      },
      { signal },
    );
    if (!shape) throw new Error('the stream ended without a shape');
    const glb = new Blob([base64ToBytes(shape.mesh)], { type: 'model/gltf-binary' });
    const occ = shape.occupancy ?? {};
    setStatus(status, 'Loading the mesh into the viewer…', 'running');
    await loadInViewer(
      url(glb),
      `Generated ${shape.settings?.className ?? request.className} shape, ${shape.triangles ?? 0} triangles`,
    );
    if (shape.previewPng) {
      render.src = url(new Blob([base64ToBytes(shape.previewPng)], { type: 'image/png' }));
      render.alt = `Rendered views of the generated ${request.className}`;
      $('render-figure').hidden = false;
    }
    downloads.append(
      downloadLink(glb, `${request.className}-${shape.settings?.seed ?? 'x'}.glb`, 'Download GLB'),
    );
    progress.value = progress.max;
    summary.textContent = [
      `${shape.settings?.className ?? request.className}`,
      `${occ.occupied ?? 0} voxels at ${occ.resolution ?? '?'}³`,
      `${shape.triangles ?? 0} triangles, ${shape.vertices ?? 0} vertices`,
      `${shape.steps ?? 0} steps`,
      formatMs(shape.elapsedMs),
      `seed ${shape.settings?.seed ?? '?'}`,
    ].join(' · ');
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
  service: 'shape',
  prefer: (m) => m.family === 'MODEL_FAMILY_SHAPE_SCALE',
  status,
  error: errorBox,
  onLoaded: onModels,
  readyText: () => 'Press Generate.',
});
