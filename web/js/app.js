// app.js — the single-page shell: session, navigation by role, hash routes, the language switch and the one
// ticker that keeps every countdown on the page live.

import { h, put, clear } from './dom.js';
import { loadI18n, t, getLang, setLang, applyStatic } from './i18n.js';
import { get, api, setCsrf, setUnauthenticatedHandler } from './api.js';
import { loadRef, paintCountdown } from './fmt.js';
import * as common from './pages-common.js';
import * as op from './pages-operator.js';
import * as auth from './pages-authority.js';
import * as stats from './pages-stats.js';
import * as warn from './pages-warnings.js';
import * as resp from './pages-responses.js';
import * as contacts from './pages-contacts.js';

const OPERATOR = ['operator_reporter', 'operator_admin'];
const AUTHORITY = ['authority_officer', 'authority_admin', 'duty_officer', 'national_emergency_office'];
const READERS = [...OPERATOR, ...AUTHORITY];

// Route table: pattern, page, who may open it (null = anyone, also logged out), nav label key.
const routes = [
  { path: '/login', page: common.login, roles: null },
  { path: '/tip', page: common.tip, roles: null },
  { path: '/inbox', page: auth.inbox, roles: AUTHORITY, nav: 'nav.inbox' },
  { path: '/report/new', page: op.wizard, roles: [...OPERATOR, 'duty_officer'], nav: 'nav.new_report' },
  { path: '/clocks', page: op.clocks, roles: READERS, nav: 'nav.clocks' },
  { path: '/incidents', page: common.incidents, roles: READERS, nav: 'nav.incidents' },
  { path: '/stats', page: stats.statistics, roles: READERS, nav: 'nav.stats' },
  { path: '/compliance', page: auth.compliance, roles: [...READERS, 'auditor', 'system_admin'], nav: 'nav.compliance' },
  { path: '/warnings', page: warn.warnings, roles: READERS, nav: 'nav.warnings' },
  { path: '/warnings/new', page: warn.issue, roles: AUTHORITY },
  { path: '/warning/:id', page: warn.detail, roles: READERS },
  { path: '/responses', page: resp.responses, roles: READERS, nav: 'nav.responses' },
  { path: '/responses/new', page: resp.start, roles: AUTHORITY },
  { path: '/response/:id', page: resp.detail, roles: READERS },
  { path: '/contacts', page: contacts.contacts, roles: AUTHORITY, nav: 'nav.contacts' },
  { path: '/notifications', page: common.notifications, roles: [], nav: 'nav.notifications' },
  { path: '/receipt/:id', page: op.receipt, roles: READERS },
  { path: '/incident/:id', page: auth.incident, roles: READERS },
  { path: '/incident/:id/followup/:kind', page: op.followup, roles: OPERATOR },
  { path: '/print/:id/:form', page: common.print, roles: READERS },
];

const state = { user: null, cleanup: null, seq: 0 };
export const ctx = {
  get user() { return state.user; },
  navigate: (hash) => { if (location.hash === hash) render(); else location.hash = hash; },
  toast,
  hasRole: (...roles) => !!state.user && roles.flat().includes(state.user.role),
  isOperator: () => !!state.user && OPERATOR.includes(state.user.role),
  isAuthority: () => !!state.user && AUTHORITY.includes(state.user.role),
  isNational: () => !!state.user && state.user.role === 'national_emergency_office',
  features: {},
  setUser,
};

function setUser(user, csrf) {
  state.user = user;
  setCsrf(csrf);
  renderChrome();
}

function match(pattern, path) {
  const a = pattern.split('/'), b = path.split('/');
  if (a.length !== b.length) return null;
  const params = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(':')) params[a[i].slice(1)] = decodeURIComponent(b[i]);
    else if (a[i] !== b[i]) return null;
  }
  return params;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query] = raw.split('?');
  return { path, query: new URLSearchParams(query || '') };
}

function homeFor(user) {
  if (!user) return '#/login';
  if (AUTHORITY.includes(user.role)) return '#/inbox';
  if (OPERATOR.includes(user.role)) return '#/clocks';
  return '#/compliance';
}

function renderChrome() {
  const nav = clear(document.getElementById('nav'));
  const who = clear(document.getElementById('who'));
  const { path } = parseHash();
  const u = state.user;
  if (u) {
    for (const r of routes) {
      if (!r.nav || (r.roles && r.roles.length && !r.roles.includes(u.role))) continue;
      if (r.feature && !ctx.features[r.feature]) continue;
      const a = h('a', { href: '#' + r.path }, t(r.nav));
      if (path === r.path || path.startsWith(r.path + '/')) a.setAttribute('aria-current', 'page');
      nav.appendChild(a);
    }
    put(who, 
      h('span.user', { title: u.username }, u.name, ' · ', t('role.' + u.role)),
      h('button.link', { type: 'button', id: 'logout', on: { click: logout } }, t('nav.logout')));
  } else {
    nav.appendChild(h('a', { href: '#/login' }, t('nav.login')));
    nav.appendChild(h('a', { href: '#/tip' }, t('nav.tip')));
  }
  const lang = document.getElementById('lang');
  lang.textContent = getLang() === 'en' ? '中文' : 'English';
  lang.lang = getLang() === 'en' ? 'zh-CN' : 'en';
  applyStatic(document);
  document.title = t('app.title');
}

async function logout() {
  try { await api('DELETE', '/session'); } catch (e) { /* the session may be gone already */ }
  setUser(null, '');
  ctx.navigate('#/login');
}

export function toast(text, kind) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.className = 'toast show ' + (kind || '');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.className = 'toast'; }, 5000);
}

async function render() {
  const seq = ++state.seq;
  if (state.cleanup) { try { state.cleanup(); } catch (e) { /* ignore */ } state.cleanup = null; }
  const { path, query } = parseHash();
  const main = document.getElementById('main');
  if (path === '/' || path === '') { location.replace(homeFor(state.user)); return; }
  let route = null, params = null;
  for (const r of routes) if ((params = match(r.path, path))) { route = r; break; }
  renderChrome();
  clear(main);
  if (!route) { main.appendChild(h('h1', t('error.no_page'))); return; }
  if (route.roles && !state.user) { location.replace('#/login?next=' + encodeURIComponent('#' + path + (query.toString() ? '?' + query : ''))); return; }
  if (route.roles && route.roles.length && !route.roles.includes(state.user.role)) { main.appendChild(h('h1', t('error.forbidden'))); return; }
  main.classList.toggle('wide', !!route.wide);
  // Each render gets its own container: when two renders overlap (two hashchange events in a row), the older page
  // keeps writing into its container, which the newer render has already taken out of the document.
  const view = main.appendChild(h('div.view'));
  try {
    const cleanup = await route.page(view, params, query, ctx);
    if (seq !== state.seq) { if (typeof cleanup === 'function') cleanup(); return; }
    state.cleanup = typeof cleanup === 'function' ? cleanup : null;
  } catch (e) {
    if (seq !== state.seq || e.status === 401) return;
    view.appendChild(h('p.error', { role: 'alert' }, t('error.load'), ' ', e.message));
  }
  const h1 = main.querySelector('h1');
  if (h1 && document.activeElement === document.body) h1.setAttribute('tabindex', '-1');
}

function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll('[data-due]')) paintCountdown(el, now);
}

async function boot() {
  await loadI18n();
  setUnauthenticatedHandler(() => {
    if (state.user) toast(t('session.expired'), 'warn');
    state.user = null;
    setCsrf('');
    const { path } = parseHash();
    if (path !== '/login') location.replace('#/login?next=' + encodeURIComponent(location.hash || '#/'));
  });
  document.getElementById('lang').addEventListener('click', () => { setLang(getLang() === 'en' ? 'zh-CN' : 'en'); render(); });
  const toggle = document.getElementById('menu-toggle');
  toggle.addEventListener('click', () => {
    const open = document.body.classList.toggle('nav-open');
    toggle.setAttribute('aria-expanded', String(open));
  });
  document.getElementById('nav').addEventListener('click', () => document.body.classList.remove('nav-open'));
  try {
    const s = await get('/session', { noRedirect: true });
    state.user = s.user;
    setCsrf(s.csrf_token);
  } catch (e) { state.user = null; }
  await loadRef().catch(() => {});
  window.addEventListener('hashchange', () => { render(); document.getElementById('main').focus({ preventScroll: true }); });
  setInterval(tick, 1000);
  await render();
  document.body.dataset.ready = '1';
}

boot();
