// Overview page: which backends are up and what models they serve (GET /v1/models).
import { allModels, codeName, familyLabel, initApiKeyField, setStatus, showError } from './api.js';

const status = document.getElementById('status');

async function init() {
  try {
    const { services = [] } = await allModels();
    let up = 0;
    for (const card of document.querySelectorAll('[data-service]')) {
      const entry = services.find((s) => s.service === card.dataset.service);
      const badge = card.querySelector('[data-badge]');
      const list = card.querySelector('[data-models]');
      list.replaceChildren();
      if (!entry || entry.error) {
        badge.textContent = 'unavailable';
        badge.className = 'badge down';
        const li = document.createElement('li');
        li.textContent = entry?.error
          ? `${codeName(entry.error.code)}: ${entry.error.message ?? ''}`
          : 'not configured';
        list.append(li);
        continue;
      }
      up++;
      const models = entry.models ?? [];
      badge.textContent = `${models.length} model${models.length === 1 ? '' : 's'}`;
      badge.className = 'badge up';
      for (const m of models) {
        const li = document.createElement('li');
        li.textContent = `${m.model?.name ?? '?'} (${familyLabel(m.family)})`;
        list.append(li);
      }
    }
    setStatus(status, `${up} of ${services.length} backends up.`, 'done');
  } catch (e) {
    setStatus(status, 'The gateway did not answer.', 'error');
    showError(document.getElementById('error'), e);
  }
}

initApiKeyField(() => void init());
void init();
