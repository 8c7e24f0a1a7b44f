// api.js — the JSON API client: the session cookie rides along, every state change carries the CSRF token,
// a 401 sends the user to the login page (session expired), errors become ApiError with the server's message.

import { getLang } from './i18n.js';

let csrf = '';
let onUnauthenticated = () => {};

export class ApiError extends Error {
  constructor(status, err) {
    super((err && err.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (err && err.code) || 'http_error';
    this.field = (err && err.field) || '';
  }
}

export function setCsrf(token) { csrf = token || ''; }
export function setUnauthenticatedHandler(fn) { onUnauthenticated = fn; }

export async function api(method, path, body, opts = {}) {
  const headers = { 'Accept': 'application/json', 'Accept-Language': getLang() === 'en' ? 'en' : 'zh-CN' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  let r;
  try {
    r = await fetch('/api/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', signal: opts.signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { code: 'network', message: e.message });
  }
  if (r.status === 204) return null;
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (!r.ok) {
    const err = new ApiError(r.status, data && data.error);
    if (r.status === 401 && !opts.noRedirect) onUnauthenticated(err);
    throw err;
  }
  return data;
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body === undefined ? {} : body, opts);

// Query string from an object, skipping empty values.
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '' && v !== false) u.set(k, String(v));
  const s = u.toString();
  return s ? '?' + s : '';
}
