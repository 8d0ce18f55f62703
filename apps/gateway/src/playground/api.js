// Shared helpers of the playground pages: calls to the gateway's HTTP/JSON API (unary JSON,
// Server-Sent Events over fetch() for streams, binary downloads), the google.rpc.Status error
// display, the model picker and the sampling controls. Plain ES module, no build step.

const KEY_STORAGE = 'nextx.playground.apiKey';

/** gRPC status code names, by number (google.rpc.Code). */
export const GRPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** An error of the API: the google.rpc.Status the gateway sent (or one made up for transport errors). */
export class ApiError extends Error {
  /**
   * @param {{code?: number, message?: string, details?: any[]}} status
   * @param {number} [httpStatus]
   */
  constructor(status, httpStatus) {
    super(status.message || `request failed (${codeName(status.code)})`);
    this.name = 'ApiError';
    this.code = status.code ?? 2;
    this.details = Array.isArray(status.details) ? status.details : [];
    this.httpStatus = httpStatus;
  }

  /** The field violations of every google.rpc.BadRequest detail. */
  get fieldViolations() {
    return this.details
      .filter((d) => String(d['@type'] ?? '').endsWith('google.rpc.BadRequest'))
      .flatMap((d) => d.fieldViolations ?? []);
  }
}

export function codeName(code) {
  return GRPC_CODES[code] ?? `code ${code}`;
}

/** The API key kept in localStorage (empty when none). */
export function apiKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) ?? '';
  } catch {
    return '';
  }
}

function setApiKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // Storage unavailable (private mode): the key lasts for this page only.
  }
}

function headers(extra = {}) {
  const h = { ...extra };
  const key = apiKey();
  if (key) h['Authorization'] = `Bearer ${key}`;
  return h;
}

/** Builds an ApiError from a failed response (google.rpc.Status JSON body, or whatever it sent). */
async function errorOf(response) {
  const text = await response.text().catch(() => '');
  let status;
  try {
    status = JSON.parse(text);
  } catch {
    status = undefined;
  }
  if (!status || typeof status !== 'object')
    status = { code: httpToGrpc(response.status), message: text.trim() || response.statusText };
  return new ApiError(
    {
      code: status.code ?? httpToGrpc(response.status),
      message: status.message ?? `HTTP ${response.status}`,
      details: status.details,
    },
    response.status,
  );
}

function httpToGrpc(httpStatus) {
  return (
    {
      400: 3,
      401: 16,
      403: 7,
      404: 5,
      409: 6,
      429: 8,
      499: 1,
      501: 12,
      503: 14,
      504: 4,
    }[httpStatus] ?? 2
  );
}

async function send(path, init) {
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e?.name === 'AbortError') throw e;
    throw new ApiError({ code: 14, message: `cannot reach the gateway: ${e?.message ?? e}` });
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

/** GET a unary RPC's JSON. */
export async function getJson(path, { signal } = {}) {
  const response = await send(path, { headers: headers({ Accept: 'application/json' }), signal });
  return response.json();
}

/** POST a request message as JSON and return the response message. */
export async function postJson(path, body, { signal } = {}) {
  const response = await send(path, {
    method: 'POST',
    headers: headers({ Accept: 'application/json', 'Content-Type': 'application/json' }),
    body: JSON.stringify(body ?? {}),
    signal,
  });
  return response.json();
}

/**
 * Fetches a binary output (`accept` = its MIME type) as a Blob: GET when `body` is undefined,
 * otherwise POST of the request message.
 */
export async function fetchBlob(path, accept, body, { signal } = {}) {
  const init =
    body === undefined
      ? { headers: headers({ Accept: accept }), signal }
      : {
          method: 'POST',
          headers: headers({ Accept: accept, 'Content-Type': 'application/json' }),
          body: JSON.stringify(body),
          signal,
        };
  const response = await send(path, init);
  return response.blob();
}

/**
 * Calls a server-streaming RPC as Server-Sent Events and hands every message to `onMessage`
 * (in order, awaited). POST when `body` is given, GET otherwise. Resolves when the stream says
 * `end`; rejects with an ApiError on an `error` event, an HTTP error or a stream that stops early.
 */
export async function stream(path, body, onMessage, { signal } = {}) {
  const init = {
    method: body === undefined ? 'GET' : 'POST',
    headers: headers({
      Accept: 'text/event-stream',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    }),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  };
  const response = await send(path, init);
  if (!response.body) throw new ApiError({ code: 2, message: 'the response has no body' });
  for await (const event of readEvents(response.body)) {
    if (event.event === 'message') {
      await onMessage(JSON.parse(event.data), event.id);
    } else if (event.event === 'end') {
      return;
    } else if (event.event === 'error') {
      let status;
      try {
        status = JSON.parse(event.data);
      } catch {
        status = { code: 2, message: event.data };
      }
      throw new ApiError(status);
    }
  }
  throw new ApiError({ code: 14, message: 'the stream ended before its end event' });
}

/**
 * Parses a text/event-stream body into events `{event, data, id}` (the WHATWG rules: lines
 * split on CR, LF or CRLF, `data` lines joined by LF, comments ignored, dispatch on a blank line).
 */
export async function* readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = { event: '', data: [], id: undefined };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let match;
      // A lone CR at the very end may be the first half of CRLF: wait for more.
      while ((match = /\r\n|\r(?!$)|\n/.exec(buffer))) {
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === '') {
          if (event.data.length > 0 || event.event) {
            yield { event: event.event || 'message', data: event.data.join('\n'), id: event.id };
          }
          event = { event: '', data: [], id: event.id };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event.event = value;
        else if (field === 'data') event.data.push(value);
        else if (field === 'id') event.id = value;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** Decodes standard (or URL-safe) base64, as proto3 JSON writes bytes, into a Uint8Array. */
export function base64ToBytes(b64) {
  const clean = String(b64 ?? '')
    .replace(/-/g, '+')
    .replace(/_/g, '/');
  const binary = atob(clean);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A Blob URL of base64 bytes; revoke it with URL.revokeObjectURL when it is replaced. */
export function base64Url(b64, mime) {
  return URL.createObjectURL(new Blob([base64ToBytes(b64)], { type: mime }));
}

/** `<a download>` for a Blob. */
export function downloadLink(blob, filename, text) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  a.textContent = text ?? `Download ${filename}`;
  a.className = 'download';
  return a;
}

/** Sets a status line (an aria-live region) and its data-state (idle, running, done, error). */
export function setStatus(el, text, state) {
  el.textContent = text;
  if (state) el.dataset.state = state;
}

/**
 * Shows an error in `el` (role="alert"): the message, the gRPC code, every google.rpc.BadRequest
 * field violation (also marked on the control whose data-field names that field, in `form`: one
 * element or several, earlier ones first), and other detail types by name. A cancelled request
 * shows nothing.
 */
export function showError(el, error, form) {
  clearError(el, form);
  if (error?.name === 'AbortError') return;
  const apiError =
    error instanceof ApiError
      ? error
      : new ApiError({ code: 2, message: String(error?.message ?? error) });
  const title = document.createElement('p');
  title.className = 'error-title';
  const strong = document.createElement('strong');
  strong.textContent = codeName(apiError.code);
  title.append(strong, ` ${apiError.message}`);
  el.append(title);
  const violations = apiError.fieldViolations;
  if (violations.length > 0) {
    const list = document.createElement('ul');
    list.className = 'violations';
    for (const v of violations) {
      const item = document.createElement('li');
      const code = document.createElement('code');
      code.textContent = v.field || '(request)';
      item.append(code, `: ${v.description ?? ''}`);
      list.append(item);
      if (form) markField([form].flat(), v.field, v.description);
    }
    el.append(list);
  }
  const others = apiError.details.filter(
    (d) => !String(d['@type'] ?? '').endsWith('google.rpc.BadRequest'),
  );
  for (const detail of others) {
    const p = document.createElement('p');
    p.className = 'error-detail';
    const type = String(detail['@type'] ?? 'detail')
      .split('/')
      .pop();
    if (type === 'google.rpc.ErrorInfo') {
      const meta = Object.entries(detail.metadata ?? {}).map(([k, v]) => `${k}: ${v}`);
      p.textContent = `${detail.reason ?? 'error'}${detail.domain ? ` (${detail.domain})` : ''}${meta.length ? ` · ${meta.join(' · ')}` : ''}`;
    } else if (type === 'google.rpc.RetryInfo') {
      p.textContent = `Retry after ${detail.retryDelay ?? 'a while'}`;
    } else {
      const rest = { ...detail };
      delete rest['@type'];
      p.textContent = `${type}: ${JSON.stringify(rest)}`;
    }
    el.append(p);
  }
  el.hidden = false;
}

export function clearError(el, form) {
  el.replaceChildren();
  el.hidden = true;
  for (const container of [form ?? []].flat()) {
    for (const control of container.querySelectorAll('[aria-invalid="true"]')) {
      control.removeAttribute('aria-invalid');
      document.getElementById(`${control.id}-violation`)?.remove();
      const before = control.dataset.describedBy;
      if (before) control.setAttribute('aria-describedby', before);
      else control.removeAttribute('aria-describedby');
      delete control.dataset.describedBy;
    }
  }
}

/** snake_case and lowerCamel spellings of a field path compare equal. */
function normalizeField(path) {
  return String(path ?? '')
    .replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())
    .toLowerCase();
}

/**
 * How well a violation's field path names a control's data-field: 2 = that field (or an element
 * of it, or the same path under another parent), 1 = a field inside it, 0 = unrelated.
 */
function fieldMatch(wanted, name) {
  const forms = [wanted, wanted.replace(/\[\d+\]/g, '')];
  if (forms.some((w) => w === name || w.endsWith(`.${name}`) || name.endsWith(`.${w}`))) return 2;
  return forms.some((w) => w.startsWith(`${name}.`)) ? 1 : 0;
}

/** Marks the control whose data-field the violation names best, with its description beside it. */
function markField(containers, field, description) {
  const wanted = normalizeField(field);
  if (!wanted) return;
  let best;
  let bestScore = 0;
  const controls = containers.flatMap((c) => [...c.querySelectorAll('[data-field]')]);
  for (const control of controls) {
    const score = fieldMatch(wanted, normalizeField(control.dataset.field));
    if (score > bestScore) [best, bestScore] = [control, score];
  }
  if (!best) return;
  best.setAttribute('aria-invalid', 'true');
  if (best.id && !document.getElementById(`${best.id}-violation`)) {
    const note = document.createElement('span');
    note.id = `${best.id}-violation`;
    note.className = 'violation';
    note.textContent = description ?? 'invalid';
    best.insertAdjacentElement('afterend', note);
    const before = best.getAttribute('aria-describedby');
    if (before) best.dataset.describedBy = before;
    best.setAttribute('aria-describedby', before ? `${note.id} ${before}` : note.id);
  }
}

let modelsCache;

/** `GET /v1/models`, once per page. */
export function allModels() {
  modelsCache ??= getJson('v1/models').catch((e) => {
    modelsCache = undefined;
    throw e;
  });
  return modelsCache;
}

/**
 * Fills `select` with the models of `service` (from GET /v1/models) and returns them. A backend
 * that is down, or one with no models, is reported through `onError` / an empty list.
 * @param {HTMLSelectElement} select
 * @param {string} service image, video, timeseries, audio or shape
 * @param {{prefer?: (m: any) => boolean}} [options] which model to select first
 */
export async function loadModels(select, service, { prefer } = {}) {
  const listing = await allModels();
  const entry = (listing.services ?? []).find((s) => s.service === service);
  if (!entry) throw new ApiError({ code: 5, message: `the gateway lists no ${service} service` });
  if (entry.error)
    throw new ApiError({
      code: entry.error.code ?? 14,
      message: `the ${service} service is unavailable: ${entry.error.message ?? ''}`,
      details: entry.error.details,
    });
  const models = entry.models ?? [];
  select.replaceChildren(
    ...models.map((m, i) => {
      const option = document.createElement('option');
      option.value = String(i);
      option.textContent = `${m.model?.name ?? '?'}${m.model?.version ? ` @${m.model.version}` : ''} — ${familyLabel(m.family)}`;
      option.dataset.name = m.model?.name ?? '';
      return option;
    }),
  );
  const preferred = prefer ? models.findIndex(prefer) : -1;
  select.value = String(preferred >= 0 ? preferred : 0);
  select.disabled = models.length === 0;
  return models;
}

/** "MODEL_FAMILY_VAR" → "VAR". */
export function familyLabel(family) {
  return String(family ?? 'MODEL_FAMILY_UNSPECIFIED')
    .replace(/^MODEL_FAMILY_/, '')
    .replace(/_/g, ' ');
}

/** `{name, version}` of a ModelInfo, for a request's `model` field. */
export function modelRef(info) {
  return {
    name: info.model?.name ?? '',
    ...(info.model?.version ? { version: info.model.version } : {}),
  };
}

const SAMPLING_FIELDS = [
  { key: 'temperature', label: 'Temperature', min: 0, max: 10, step: 0.05 },
  { key: 'topK', label: 'Top-k (0 = off)', min: 0, step: 1 },
  { key: 'topP', label: 'Top-p (1 = off)', min: 0.01, max: 1, step: 0.01 },
  { key: 'minP', label: 'Min-p (0 = off)', min: 0, max: 0.99, step: 0.01 },
  { key: 'guidanceScale', label: 'Guidance scale (1 = off)', min: 1, max: 20, step: 0.1 },
];

/**
 * Renders the sampling controls of a model into `fieldset` (its legend is kept), prefilled with
 * the model's defaults. `omit` lists fields the modality does not take (e.g. video: guidanceScale).
 * Returns a function that reads the SamplingSettings to send (empty fields left unset).
 */
export function samplingControls(fieldset, defaults, { omit = [], prefix = 'sampling' } = {}) {
  for (const child of [...fieldset.children]) if (child.tagName !== 'LEGEND') child.remove();
  const inputs = [];
  const grid = document.createElement('div');
  grid.className = 'grid';
  for (const field of SAMPLING_FIELDS) {
    if (omit.includes(field.key)) continue;
    const id = `${prefix}-${field.key}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = field.label;
    const input = document.createElement('input');
    input.type = 'number';
    input.id = id;
    input.name = field.key;
    input.dataset.field = `sampling.${field.key}`;
    if (field.min !== undefined) input.min = String(field.min);
    if (field.max !== undefined) input.max = String(field.max);
    input.step = String(field.step);
    const value = defaults?.[field.key];
    input.value = value === undefined || value === null ? '' : String(roundFloat(value));
    input.placeholder = 'model default';
    const wrap = document.createElement('div');
    wrap.className = 'field';
    wrap.append(label, input);
    grid.append(wrap);
    inputs.push([field.key, input]);
  }
  fieldset.append(grid);
  return () => {
    const sampling = {};
    for (const [key, input] of inputs) {
      if (input.value.trim() === '') continue;
      const n = Number(input.value);
      if (Number.isFinite(n)) sampling[key] = n;
    }
    return sampling;
  };
}

/** float32 defaults come back as 0.8999999761581421: show 0.9. */
function roundFloat(x) {
  return typeof x === 'number' ? Number(x.toPrecision(6)) : x;
}

/** The value of a numeric input, or `fallback` when empty or not a number. */
export function numberValue(input, fallback = 0) {
  const n = Number(input.value);
  return input.value.trim() === '' || !Number.isFinite(n) ? fallback : n;
}

/** A seed input: 0 or empty = let the service pick (sent as 0, a uint64 as a JSON string). */
export function seedValue(input) {
  const text = input.value.trim();
  return /^\d+$/.test(text) ? text : '0';
}

/** The playground's pages, in navigation order. */
const PAGES = [
  ['image', 'Image'],
  ['video', 'Video'],
  ['timeseries', 'Time series'],
  ['audio', 'Audio'],
  ['shape', '3D shape'],
];

/** Fills `<header class="site" data-page="…">` with the brand, the navigation and the API key field. */
function renderSiteHeader() {
  const header = document.querySelector('header.site');
  if (!header || header.childElementCount) return;
  const current = header.dataset.page;
  const links = PAGES.map(
    ([page, label]) =>
      `<li><a href="${page}.html"${page === current ? ' aria-current="page"' : ''}>${label}</a></li>`,
  ).join('');
  header.innerHTML = `
    <a class="brand" href="./">nextx playground</a>
    <nav aria-label="Modalities"><ul>${links}</ul></nav>
    <form class="key" id="api-key-form">
      <label for="api-key">API key</label>
      <input id="api-key" type="password" autocomplete="off" spellcheck="false"
        placeholder="optional" aria-describedby="api-key-hint" />
      <span id="api-key-hint" class="visually-hidden"
        >Sent as Authorization: Bearer on API calls; kept in this browser's local storage.</span>
    </form>`;
}

/** Wires the shared API key field of the page header (kept in localStorage); `onChange` runs after an edit. */
export function initApiKeyField(onChange) {
  renderSiteHeader();
  const form = document.getElementById('api-key-form');
  form?.addEventListener('submit', (event) => event.preventDefault());
  const input = document.getElementById('api-key');
  if (!input) return;
  input.value = apiKey();
  input.addEventListener('change', () => {
    setApiKey(input.value.trim());
    modelsCache = undefined;
    onChange?.();
  });
}

/**
 * Loads the models of `service` into the page's model picker, now and whenever the API key
 * changes; `onLoaded(models)` gets them (an empty list when they could not be loaded, the
 * reason then shown in `error`).
 */
export function initModelPage({ select, service, prefer, status, error, onLoaded, readyText }) {
  const load = async () => {
    clearError(error);
    setStatus(status, 'Loading models…', 'idle');
    try {
      const models = await loadModels(select, service, { prefer });
      onLoaded(models);
      setStatus(
        status,
        models.length ? readyText(models) : `The ${service} service has no models.`,
        'idle',
      );
    } catch (e) {
      select.replaceChildren(new Option('No models'));
      select.disabled = true;
      onLoaded([]);
      setStatus(status, 'Models could not be loaded.', 'error');
      showError(error, e);
    }
  };
  initApiKeyField(load);
  return load();
}

/**
 * Runs one generation: disables the Generate button, enables Cancel (aborting the request),
 * shows status and errors, and returns whatever `run(signal)` returns.
 */
export function generationRunner({ form, generate, cancel, status, error }) {
  let controller;
  cancel?.addEventListener('click', () => controller?.abort());
  return async (run, runningText = 'Generating…') => {
    controller?.abort();
    controller = new AbortController();
    const mine = controller;
    clearError(error, form);
    generate.disabled = true;
    if (cancel) cancel.disabled = false;
    setStatus(status, runningText, 'running');
    try {
      const result = await run(mine.signal);
      return result;
    } catch (e) {
      if (e?.name === 'AbortError') {
        setStatus(status, 'Cancelled.', 'cancelled');
      } else {
        setStatus(status, `Failed: ${e?.message ?? e}`, 'error');
        showError(error, e, form);
      }
      return undefined;
    } finally {
      if (controller === mine) {
        generate.disabled = false;
        if (cancel) cancel.disabled = true;
      }
    }
  };
}

/** Formats milliseconds as "1.23 s" or "456 ms". */
export function formatMs(ms) {
  const n = Number(ms ?? 0);
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`;
}

/** Shows a model's description and recorded quality under the picker. */
export function describeModel(el, info) {
  const parts = [info.description || ''];
  const q = info.quality;
  if (q?.classAgreement !== undefined)
    parts.push(`class agreement ${(q.classAgreement * 100).toFixed(1)} %`);
  if (q?.frechetDistance !== undefined)
    parts.push(`Fréchet distance ${Number(q.frechetDistance).toFixed(2)}`);
  el.textContent = parts.filter(Boolean).join(' · ');
}

/** Clamps n into [min, max]. */
export function clamp(n, min, max) {
  return Math.min(max, Math.max(min, n));
}
