// Audio page: POST /v1/audio/generate as SSE. Every `chunk` (base64 s16le mono PCM at the
// model's sample rate) is scheduled on a WebAudio clock as it arrives, so playback starts with
// the first chunk; the final message's WAV goes into an <audio controls>.
import {
  base64ToBytes,
  clamp,
  describeModel,
  downloadLink,
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
const familySelect = $('family');
const pitchInput = $('pitch');
const secondsInput = $('seconds');
const seedInput = $('seed');
const chunkInput = $('chunk-frames');
const formatSelect = $('format');
const status = $('status');
const errorBox = $('error');
const progress = $('progress');
const streamInfo = $('stream-info');
const streamPlay = $('stream-play');
const waveform = $('waveform');
const player = $('player');
const summary = $('summary');
const downloads = $('downloads');

let models = [];
let readSampling = () => ({});
let playerUrl;

const run = generationRunner({
  form,
  generate: $('generate'),
  cancel: $('cancel'),
  status,
  error: errorBox,
});
const current = () => models[Number(modelSelect.value)];
const isMagnet = (info) => info?.family === 'MODEL_FAMILY_MAGNET';

function applyModel() {
  const info = current();
  if (!info) return;
  describeModel($('model-info'), info);
  const d = info.audio ?? {};
  const previous = familySelect.value;
  familySelect.replaceChildren(
    ...(d.families ?? []).map((f) => {
      const o = document.createElement('option');
      o.value = f;
      o.textContent = f;
      return o;
    }),
  );
  if ((d.families ?? []).includes(previous)) familySelect.value = previous;
  const min = d.pitchMin ?? 0;
  const max = d.pitchMax ?? 127;
  pitchInput.min = String(min);
  pitchInput.max = String(max);
  pitchInput.value = String(clamp(numberValue(pitchInput, 60), min, max));
  $('pitch-hint').textContent = `${min} … ${max}; 60 = middle C`;
  const maxSeconds = d.maxSeconds ?? 10;
  secondsInput.max = String(maxSeconds);
  secondsInput.value = String(clamp(numberValue(secondsInput, 1), 0.1, maxSeconds));
  $('seconds-hint').textContent =
    `up to ${maxSeconds} s at ${d.sampleRate ?? '?'} Hz; ${d.numCodebooks ?? '?'} codebooks at ${d.frameRate ?? '?'} frames/s (${d.codec || 'codec'})`;
  $('magnet').hidden = !isMagnet(info);
  chunkInput.disabled = isMagnet(info);
  readSampling = samplingControls($('sampling'), info.defaults, { omit: ['minP'] });
}

// ---- streaming playback over WebAudio ----

let audioContext;
let playback; // { sources, nextTime, startTime, timer }

function stopPlayback() {
  if (!playback) return;
  for (const source of playback.sources) {
    try {
      source.stop();
    } catch {
      // already ended
    }
  }
  clearInterval(playback.timer);
  playback = undefined;
}

function pcmToFloat(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const samples = new Float32Array(bytes.byteLength >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true) / 32768;
  return samples;
}

/** Schedules one chunk right after the previous one (or now, for the first). */
function playChunk(samples, sampleRate, elapsedMs) {
  if (!streamPlay.checked || samples.length === 0) return;
  audioContext ??= new AudioContext();
  void audioContext.resume();
  const buffer = audioContext.createBuffer(1, samples.length, sampleRate);
  buffer.copyToChannel(samples, 0);
  const source = audioContext.createBufferSource();
  source.buffer = buffer;
  source.connect(audioContext.destination);
  if (!playback) {
    const startTime = audioContext.currentTime + 0.05;
    playback = { sources: [], nextTime: startTime, startTime, timer: 0, done: false };
    streamInfo.dataset.started = 'true';
    streamInfo.dataset.firstChunkMs = String(Math.round(elapsedMs ?? 0));
    const mine = playback;
    playback.timer = setInterval(() => {
      const played = Math.max(
        0,
        Math.min(audioContext.currentTime, mine.nextTime) - mine.startTime,
      );
      streamInfo.dataset.playedSeconds = played.toFixed(3);
      streamInfo.textContent = `Playing since the first chunk (${formatMs(elapsedMs)} after the request): ${played.toFixed(2)} s played, ${(mine.nextTime - mine.startTime).toFixed(2)} s received.`;
      if (mine.done && audioContext.currentTime > mine.nextTime + 0.2) clearInterval(mine.timer);
    }, 100);
  }
  const at = Math.max(playback.nextTime, audioContext.currentTime + 0.01);
  source.start(at);
  playback.nextTime = at + buffer.duration;
  playback.sources.push(source);
}

// ---- waveform ----

let wave; // { total, ctx }

function resetWave(totalSamples) {
  const ctx = waveform.getContext('2d');
  ctx.clearRect(0, 0, waveform.width, waveform.height);
  ctx.strokeStyle =
    getComputedStyle(document.documentElement).getPropertyValue('--border') || '#ccc';
  ctx.beginPath();
  ctx.moveTo(0, waveform.height / 2);
  ctx.lineTo(waveform.width, waveform.height / 2);
  ctx.stroke();
  wave = { total: Math.max(1, totalSamples), ctx };
}

function drawSamples(samples, firstSample) {
  if (!wave) return;
  const { ctx, total } = wave;
  const w = waveform.width;
  const h = waveform.height;
  ctx.fillStyle =
    getComputedStyle(document.documentElement).getPropertyValue('--accent') || '#0b5fff';
  const x0 = Math.floor((firstSample / total) * w);
  const x1 = Math.min(w, Math.ceil(((firstSample + samples.length) / total) * w));
  for (let x = x0; x < x1; x++) {
    const from = Math.max(0, Math.floor((x / w) * total - firstSample));
    const to = Math.min(samples.length, Math.ceil(((x + 1) / w) * total - firstSample));
    let lo = 0;
    let hi = 0;
    for (let i = from; i < to; i++) {
      if (samples[i] < lo) lo = samples[i];
      if (samples[i] > hi) hi = samples[i];
    }
    const top = h / 2 - hi * (h / 2);
    const bottom = h / 2 - lo * (h / 2);
    ctx.fillRect(x, top, 1, Math.max(1, bottom - top));
  }
}

// ---- generate ----

function reset() {
  stopPlayback();
  if (playerUrl) URL.revokeObjectURL(playerUrl);
  playerUrl = undefined;
  player.pause();
  player.removeAttribute('src');
  player.load();
  summary.textContent = '';
  downloads.replaceChildren();
  progress.value = 0;
  progress.max = 1;
  streamInfo.dataset.started = 'false';
  streamInfo.dataset.playedSeconds = '0';
  streamInfo.textContent = 'Waiting for the first PCM chunk…';
}

function readMagnet() {
  const steps = $('decoding-steps')
    .value.split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  const magnet = {};
  if (steps.length) magnet.decodingSteps = steps;
  if ($('min-guidance').value.trim() !== '')
    magnet.minGuidanceScale = Number($('min-guidance').value);
  if ($('anneal').checked) magnet.annealTemperature = true;
  return magnet;
}

const MIME = {
  AUDIO_FORMAT_FLAC: ['audio/flac', 'flac'],
  AUDIO_FORMAT_OGG_OPUS: ['audio/ogg', 'ogg'],
};

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const info = current();
  if (!info) return;
  // Created on the click, so the browser lets it play.
  audioContext ??= new AudioContext();
  void audioContext.resume();
  reset();
  const sampleRate = info.audio?.sampleRate || 16000;
  const seconds = numberValue(secondsInput, 1);
  resetWave(Math.round(seconds * sampleRate));
  const request = {
    model: modelRef(info),
    note: { family: familySelect.value, pitch: numberValue(pitchInput, 60) },
    seconds,
    seed: seedValue(seedInput),
    sampling: readSampling(),
    format: formatSelect.value,
    ...(isMagnet(info) ? { magnet: readMagnet() } : { chunkFrames: numberValue(chunkInput, 0) }),
  };
  void run(async (signal) => {
    signal.addEventListener('abort', stopPlayback);
    let audio;
    let chunks = 0;
    await stream(
      'v1/audio/generate',
      request,
      (message) => {
        if (message.progress) {
          const p = message.progress;
          progress.max = p.total || 1;
          progress.value = p.step ?? 0;
          setStatus(
            status,
            `${p.stage || 'step'} ${p.step ?? 0} of ${p.total ?? '?'} · ${chunks} chunks · ${formatMs(p.elapsedMs)}`,
            'running',
          );
        }
        if (message.chunk) {
          chunks++;
          const samples = pcmToFloat(base64ToBytes(message.chunk.pcmS16le));
          drawSamples(samples, message.chunk.firstSample ?? 0);
          playChunk(samples, sampleRate, message.chunk.elapsedMs);
        }
        if (message.audio) audio = message.audio;
      },
      { signal },
    );
    if (playback) playback.done = true;
    if (!audio) throw new Error('the stream ended without the clip');
    const wav = new Blob([base64ToBytes(audio.wav)], { type: 'audio/wav' });
    playerUrl = URL.createObjectURL(wav);
    const loaded = new Promise((resolve, reject) => {
      player.addEventListener('loadeddata', resolve, { once: true });
      player.addEventListener('error', () => reject(new Error('the browser cannot play the WAV')), {
        once: true,
      });
    });
    player.src = playerUrl;
    await loaded;
    downloads.append(
      downloadLink(wav, `note-${request.note.family}-${request.note.pitch}.wav`, 'Download WAV'),
    );
    const mime = MIME[audio.format];
    if (mime && audio.encoded)
      downloads.append(
        downloadLink(
          new Blob([base64ToBytes(audio.encoded)], { type: mime[0] }),
          `note-${request.note.family}-${request.note.pitch}.${mime[1]}`,
          `Download ${mime[1].toUpperCase()}`,
        ),
      );
    progress.value = progress.max;
    summary.textContent = [
      `${(Number(audio.samples ?? 0) / Number(audio.sampleRate || sampleRate)).toFixed(2)} s at ${audio.sampleRate ?? sampleRate} Hz`,
      `${chunks} chunk${chunks === 1 ? '' : 's'}`,
      `first chunk after ${formatMs(audio.firstChunkMs)} (step ${audio.firstChunkStep ?? 0})`,
      `${audio.steps ?? 0} steps`,
      formatMs(audio.elapsedMs),
      `seed ${audio.settings?.seed ?? '?'}`,
      String(audio.settings?.method ?? '').replace(/^METHOD_/, ''),
    ]
      .filter(Boolean)
      .join(' · ');
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
  service: 'audio',
  prefer: (m) => m.family === 'MODEL_FAMILY_MUSICGEN',
  status,
  error: errorBox,
  onLoaded: onModels,
  readyText: () => 'Press Generate.',
});
