// Video page: POST /v1/video/clips as SSE (frames as they are decoded, then the encoded clip),
// and long clips as jobs: POST /v1/video/jobs, GET /v1/video/jobs/{id}/events (SSE),
// POST /v1/video/jobs/{id}/cancel, GET /v1/video/jobs/{id}/output.
import {
  ApiError,
  base64ToBytes,
  clearError,
  describeModel,
  downloadLink,
  fetchBlob,
  formatMs,
  generationRunner,
  getJson,
  initModelPage,
  modelRef,
  numberValue,
  postJson,
  samplingControls,
  seedValue,
  setStatus,
  showError,
  stream,
} from './api.js';

const $ = (id) => document.getElementById(id);
const form = $('form');
const modelSelect = $('model');
const digitsInput = $('digits');
const randomMotions = $('random-motions');
const motionsBox = $('motions');
const framesInput = $('frames');
const fpsInput = $('fps');
const seedInput = $('seed');
const formatSelect = $('format');
const status = $('status');
const errorBox = $('error');
const progress = $('progress');
const frameCanvas = $('frame');
const frameCaption = $('frame-caption');
const strip = $('frames-strip');
const clipFigure = $('clip-figure');
const clipBox = $('clip-box');
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

const current = () => models[Number(modelSelect.value)];

function revokeAll() {
  while (urls.length > 0) URL.revokeObjectURL(urls.pop());
}

function blobUrl(blob) {
  const url = URL.createObjectURL(blob);
  urls.push(url);
  return url;
}

// ---- conditions from the model's VideoModelDetails ----

function parseDigits() {
  return digitsInput.value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
}

function options(select, values, selected) {
  select.replaceChildren(
    ...values.map((v) => {
      const o = document.createElement('option');
      o.value = String(v);
      o.textContent = String(v);
      return o;
    }),
  );
  select.value = String(values.includes(selected) ? selected : values[0]);
}

/** One row of x / y / vx / vy selects per digit, from the model's positions and velocities. */
function renderMotions() {
  motionsBox.replaceChildren();
  const details = current()?.video;
  if (randomMotions.checked || !details) return;
  const step = Math.max(1, details.positionStep ?? 1);
  const positions = [];
  for (let p = 0; p <= (details.maxPosition ?? 0); p += step) positions.push(p);
  const velocities = (details.velocities ?? []).map(Number);
  parseDigits().forEach((digit, i) => {
    const fieldset = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.textContent = `Object ${i + 1} (digit ${digit})`;
    fieldset.append(legend);
    const grid = document.createElement('div');
    grid.className = 'grid';
    const defaults = {
      x: positions[Math.min(i * 2, positions.length - 1)],
      y: positions[Math.floor(positions.length / 2)],
      vx: velocities.find((v) => v > 0) ?? velocities[0],
      vy: velocities.find((v) => v < 0) ?? velocities[0],
    };
    for (const axis of ['x', 'y', 'vx', 'vy']) {
      const id = `motion-${i}-${axis}`;
      const wrap = document.createElement('div');
      wrap.className = 'field';
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = { x: 'x (px)', y: 'y (px)', vx: 'vx (px/frame)', vy: 'vy (px/frame)' }[
        axis
      ];
      const select = document.createElement('select');
      select.id = id;
      select.dataset.axis = axis;
      select.dataset.field = `clip.motions[${i}].${axis}`;
      options(select, axis.startsWith('v') ? velocities : positions, defaults[axis]);
      wrap.append(label, select);
      grid.append(wrap);
    }
    fieldset.append(grid);
    motionsBox.append(fieldset);
  });
}

function readMotions() {
  if (randomMotions.checked) return [];
  return [...motionsBox.querySelectorAll('fieldset')].map((fs) => {
    const motion = {};
    for (const select of fs.querySelectorAll('select'))
      motion[select.dataset.axis] = Number(select.value);
    return motion;
  });
}

function applyModel() {
  const info = current();
  if (!info) return;
  describeModel($('model-info'), info);
  const d = info.video ?? {};
  const maxObjects = d.maxObjects ?? 1;
  $('digits-hint').textContent =
    `Comma-separated digits 0–9, 1 … ${maxObjects} moving objects; ${d.frameSize ?? '?'}×${d.frameSize ?? '?'} frames, context ${d.contextFrames ?? '?'} frames.`;
  const digits = parseDigits().slice(0, maxObjects);
  digitsInput.value = (digits.length ? digits : [3]).join(',');
  if (d.frameSize) {
    frameCanvas.width = d.frameSize;
    frameCanvas.height = d.frameSize;
  }
  readSampling = samplingControls($('sampling'), info.defaults, { omit: ['guidanceScale'] });
  renderMotions();
}

randomMotions.addEventListener('change', renderMotions);
digitsInput.addEventListener('change', renderMotions);

/** The ClipSpec of the form (frames overridable, for jobs). */
function clipSpec(frames) {
  return {
    model: modelRef(current()),
    digits: parseDigits(),
    motions: readMotions(),
    frames,
    fps: numberValue(fpsInput, 8),
    seed: seedValue(seedInput),
    sampling: readSampling(),
  };
}

// ---- GenerateClip ----

function reset() {
  revokeAll();
  strip.replaceChildren();
  clipBox.replaceChildren();
  clipFigure.hidden = true;
  summary.textContent = '';
  downloads.replaceChildren();
  progress.value = 0;
  progress.max = 1;
  frameCanvas.getContext('2d').clearRect(0, 0, frameCanvas.width, frameCanvas.height);
  frameCaption.textContent = 'Latest frame';
}

async function onFrame(frame, total) {
  const blob = new Blob([base64ToBytes(frame.png)], { type: 'image/png' });
  const bitmap = await createImageBitmap(blob);
  const ctx = frameCanvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(bitmap, 0, 0, frameCanvas.width, frameCanvas.height);
  bitmap.close();
  const index = frame.index ?? 0;
  frameCaption.textContent = `Frame ${index + 1} of ${total}`;
  const figure = document.createElement('figure');
  figure.setAttribute('role', 'listitem');
  const img = document.createElement('img');
  img.src = blobUrl(blob);
  img.alt = `Frame ${index + 1}`;
  const caption = document.createElement('figcaption');
  caption.textContent = `${index + 1} · ${formatMs(frame.generationMs)}`;
  figure.append(img, caption);
  strip.append(figure);
}

/** Shows an encoded clip (mp4 → <video>, gif → <img>) and resolves once it can play. */
async function showClip(box, blob, label) {
  box.replaceChildren();
  const url = blobUrl(blob);
  if (blob.type.startsWith('video/')) {
    const video = document.createElement('video');
    video.className = 'clip';
    video.controls = true;
    video.loop = true;
    video.muted = true;
    video.playsInline = true;
    video.setAttribute('aria-label', label);
    const ready = new Promise((resolve, reject) => {
      video.addEventListener('loadeddata', resolve, { once: true });
      video.addEventListener(
        'error',
        () => reject(new Error(`the browser cannot play this ${blob.type} clip`)),
        { once: true },
      );
    });
    video.src = url;
    box.append(video);
    await ready;
    await video.play().catch(() => undefined); // autoplay may be refused: the controls remain
    return video;
  }
  const img = document.createElement('img');
  img.className = 'clip pixelated';
  img.alt = label;
  img.src = url;
  img.width = 256;
  img.height = 256;
  box.append(img);
  await img.decode().catch(() => undefined);
  return img;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!current()) return;
  reset();
  const frames = numberValue(framesInput, 16);
  const request = { clip: clipSpec(frames), format: formatSelect.value };
  void run(async (signal) => {
    let clip;
    let framesSeen = 0;
    await stream(
      'v1/video/clips',
      request,
      async (message) => {
        if (message.progress) {
          const p = message.progress;
          progress.max = p.total || frames;
          progress.value = p.step ?? 0;
          setStatus(
            status,
            `${p.stage || 'frame'} ${p.step ?? 0} of ${p.total ?? frames} · ${formatMs(p.elapsedMs)}`,
            'running',
          );
        }
        if (message.frame) {
          framesSeen++;
          await onFrame(message.frame, frames);
        }
        if (message.clip) clip = message.clip;
      },
      { signal },
    );
    if (!clip) throw new Error('the stream ended without a clip');
    const blob = new Blob([base64ToBytes(clip.data)], {
      type: clip.mimeType || (clip.format === 'gif' ? 'image/gif' : 'video/mp4'),
    });
    clipFigure.hidden = false;
    await showClip(clipBox, blob, `Generated clip, ${clip.frames} frames at ${clip.fps} fps`);
    downloads.append(
      downloadLink(
        blob,
        `clip-${clip.used?.seed ?? 'x'}.${clip.format || 'mp4'}`,
        `Download ${String(clip.format || 'mp4').toUpperCase()}`,
      ),
    );
    progress.value = progress.max;
    const motions = (clip.used?.motions ?? [])
      .map((m) => `(${m.x ?? 0},${m.y ?? 0}) → (${m.vx ?? 0},${m.vy ?? 0})`)
      .join(' ');
    summary.textContent = [
      `${clip.frames ?? framesSeen} frames at ${clip.fps ?? '?'} fps`,
      `${Number(clip.framesPerSecond ?? 0).toFixed(1)} frames/s generated`,
      `${clip.steps ?? 0} steps`,
      formatMs(clip.elapsedMs),
      `seed ${clip.used?.seed ?? '?'}`,
      motions && `motions ${motions}`,
    ]
      .filter(Boolean)
      .join(' · ');
    setStatus(status, `Done: ${summary.textContent}`, 'done');
  });
});

// ---- jobs ----

const jobForm = $('job-form');
const jobSubmit = $('job-submit');
const jobCancel = $('job-cancel');
const jobDownload = $('job-download');
const jobStatus = $('job-status');
const jobError = $('job-error');
const jobProgress = $('job-progress');
const jobFacts = $('job-facts');
const jobOutput = $('job-output');
const jobEvents = $('job-events');
const jobKey = $('job-key');

const FINAL = new Set([
  'JOB_STATE_SUCCEEDED',
  'JOB_STATE_FAILED',
  'JOB_STATE_CANCELLED',
  'JOB_STATE_DEAD_LETTERED',
]);
let watched; // { jobId, controller, format }

const stateLabel = (s) =>
  String(s ?? 'JOB_STATE_UNSPECIFIED')
    .replace(/^JOB_STATE_/, '')
    .replace(/_/g, ' ')
    .toLowerCase();

function newKey() {
  jobKey.value = `playground-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

function time(ms) {
  const n = Number(ms ?? 0);
  return n > 0 ? new Date(n).toLocaleTimeString() : '—';
}

function showJob(job) {
  const state = job.state ?? 'JOB_STATE_UNSPECIFIED';
  const done = job.chunksDone ?? 0;
  const total = job.chunksTotal ?? 0;
  jobProgress.max = Math.max(1, total);
  jobProgress.value = state === 'JOB_STATE_SUCCEEDED' ? jobProgress.max : done;
  const facts = [
    ['Job', job.jobId],
    ['State', stateLabel(state)],
    ['Chunks', `${done} of ${total || '?'}`],
    ['Attempts', String(job.attempts ?? 0)],
    ['Submitted', time(job.submittedAtMs)],
    ['Started', time(job.startedAtMs)],
    ['Finished', time(job.finishedAtMs)],
  ];
  if (job.error) facts.push(['Error', job.error]);
  jobFacts.replaceChildren(
    ...facts.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v ?? '';
      return [dt, dd];
    }),
  );
  const final = FINAL.has(state);
  if (final && jobStatus.dataset.jobState !== state) void refreshJobs();
  jobStatus.dataset.jobState = state;
  setStatus(
    jobStatus,
    `Job ${stateLabel(state)}${total ? ` · ${done}/${total} chunks` : ''}${job.error ? ` · ${job.error}` : ''}`,
    final
      ? state === 'JOB_STATE_SUCCEEDED'
        ? 'done'
        : state === 'JOB_STATE_CANCELLED'
          ? 'cancelled'
          : 'error'
      : 'running',
  );
  jobCancel.disabled = final;
  jobDownload.disabled = state !== 'JOB_STATE_SUCCEEDED';
}

function logEvent(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  jobEvents.append(li);
}

/** Follows a job's WatchJob stream (SSE over fetch, so the API key header goes along). */
async function watch(job, format) {
  watched?.controller.abort();
  const controller = new AbortController();
  watched = { jobId: job.jobId, controller, format, state: job.state };
  jobEvents.replaceChildren();
  jobOutput.replaceChildren();
  clearError(jobError, [jobForm, form]);
  showJob(job);
  let sequence = '0';
  for (let attempt = 0; attempt < 4 && !controller.signal.aborted; attempt++) {
    try {
      const query = sequence !== '0' ? `?afterSequence=${encodeURIComponent(sequence)}` : '';
      await stream(
        `v1/video/jobs/${encodeURIComponent(job.jobId)}/events${query}`,
        undefined,
        (message) => {
          if (message.sequence) sequence = String(message.sequence);
          if (!message.job) return;
          watched.state = message.job.state;
          showJob(message.job);
          logEvent(
            `${stateLabel(message.job.state)} · ${message.job.chunksDone ?? 0}/${message.job.chunksTotal ?? '?'} chunks`,
          );
        },
        { signal: controller.signal },
      );
      return;
    } catch (e) {
      if (e?.name === 'AbortError') return;
      // A dropped connection resumes after the last sequence seen; an API error ends the watch.
      if (e instanceof ApiError && e.code !== 14) {
        showError(jobError, e, [jobForm, form]);
        return;
      }
      logEvent(`connection lost (${e?.message ?? e}), reconnecting`);
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
  }
}

jobForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!current()) return;
  clearError(jobError, [jobForm, form]);
  jobSubmit.disabled = true;
  const format = $('job-format').value;
  const request = {
    idempotencyKey: jobKey.value.trim(),
    clip: clipSpec(numberValue($('job-frames'), 64)),
    chunkFrames: numberValue($('job-chunk'), 0),
    outputFormat: format,
  };
  try {
    setStatus(jobStatus, 'Submitting…', 'running');
    const response = await postJson('v1/video/jobs', request);
    newKey();
    logEvent(response.created ? 'submitted' : 'the key named an existing job');
    void watch(response.job, format);
    void refreshJobs();
  } catch (e) {
    setStatus(jobStatus, `Submit failed: ${e?.message ?? e}`, 'error');
    showError(jobError, e, [jobForm, form]);
  } finally {
    jobSubmit.disabled = models.length === 0;
  }
});

jobCancel.addEventListener('click', async () => {
  if (!watched) return;
  jobCancel.disabled = true;
  try {
    const response = await postJson(`v1/video/jobs/${encodeURIComponent(watched.jobId)}/cancel`, {
      reason: 'cancelled in the playground',
    });
    logEvent(`cancel requested (was ${stateLabel(response.job?.state)})`);
  } catch (e) {
    showError(jobError, e, [jobForm, form]);
    jobCancel.disabled = false;
  }
});

jobDownload.addEventListener('click', async () => {
  if (!watched) return;
  jobDownload.disabled = true;
  clearError(jobError, [jobForm, form]);
  try {
    const accept = watched.format === 'gif' ? 'image/gif' : 'video/mp4';
    const blob = await fetchBlob(
      `v1/video/jobs/${encodeURIComponent(watched.jobId)}/output`,
      accept,
    );
    const typed = blob.type ? blob : new Blob([blob], { type: accept });
    const box = document.createElement('div');
    jobOutput.replaceChildren(box);
    await showClip(box, typed, `Output of job ${watched.jobId}`);
    const ext = typed.type.includes('gif') ? 'gif' : 'mp4';
    jobOutput.append(
      downloadLink(
        typed,
        `${watched.jobId}.${ext}`,
        `Save ${ext.toUpperCase()} (${(typed.size / 1024).toFixed(1)} KiB)`,
      ),
    );
    jobOutput.dataset.state = 'loaded';
    logEvent(`downloaded ${typed.size} bytes`);
  } catch (e) {
    showError(jobError, e, [jobForm, form]);
  } finally {
    jobDownload.disabled = watched?.state !== 'JOB_STATE_SUCCEEDED';
  }
});

async function refreshJobs() {
  const box = $('jobs-list');
  try {
    const { jobs = [] } = await getJson('v1/video/jobs?pageSize=10');
    if (jobs.length === 0) {
      box.textContent = 'No jobs.';
      return;
    }
    const table = document.createElement('table');
    const head = table.createTHead().insertRow();
    for (const h of ['Job', 'State', 'Chunks', 'Submitted', '']) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = h;
      head.append(th);
    }
    const body = table.createTBody();
    for (const job of jobs) {
      const row = body.insertRow();
      row.insertCell().textContent = job.jobId;
      row.insertCell().textContent = stateLabel(job.state);
      row.insertCell().textContent = `${job.chunksDone ?? 0}/${job.chunksTotal ?? '?'}`;
      row.insertCell().textContent = time(job.submittedAtMs);
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Watch';
      button.setAttribute('aria-label', `Watch job ${job.jobId}`);
      button.addEventListener('click', () => void watch(job, ''));
      row.insertCell().append(button);
    }
    box.replaceChildren(table);
  } catch (e) {
    box.textContent = `Jobs unavailable: ${e?.message ?? e}`;
  }
}

$('jobs-refresh').addEventListener('click', () => void refreshJobs());

function onModels(list) {
  models = list;
  applyModel();
  $('generate').disabled = models.length === 0;
  jobSubmit.disabled = models.length === 0;
}

newKey();
modelSelect.addEventListener('change', applyModel);
void initModelPage({
  select: modelSelect,
  service: 'video',
  prefer: (m) => m.family === 'MODEL_FAMILY_NBP',
  status,
  error: errorBox,
  onLoaded: onModels,
  readyText: () => 'Press Generate clip.',
});
