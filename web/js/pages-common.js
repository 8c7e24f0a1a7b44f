// pages-common.js — login, the public tip form, the incident list with search and exports, notifications, and the
// printable official forms.

import { h, put, clear } from './dom.js';
import { t, tk } from './i18n.js';
import { get, post, qs, ApiError } from './api.js';
import { fmtTime, gradeBadge, drillBadge, categoryName, provinceName, statusName, kindName, recipientName, countdown, dueMs, localToRfc3339 } from './fmt.js';

export function field(label, input, hint) {
  const id = input.id || (input.id = 'f-' + Math.random().toString(36).slice(2, 9));
  return h('div.field', h('label', { for: id }, label), input, hint ? h('small.hint', hint) : null);
}

export function errorBox(e) {
  const msg = e instanceof ApiError ? `${e.message}${e.field ? ' (' + e.field + ')' : ''}` : String(e.message || e);
  return h('p.error', { role: 'alert' }, msg);
}

export async function login(main, params, query, ctx) {
  if (ctx.user) { ctx.navigate(query.get('next') || '#/'); return; }
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('div');
  const form = h('form.card.narrow', { on: { submit: async (ev) => {
    ev.preventDefault();
    clear(msg);
    try {
      const r = await post('/session', { username: user.value.trim(), password: pass.value }, { noRedirect: true });
      ctx.setUser(r.user, r.csrf_token);
      const next = query.get('next');
      ctx.navigate(next && next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/');
    } catch (e) { msg.appendChild(errorBox(e)); pass.select(); }
  } } },
  h('h1', t('login.title')),
  field(t('login.username'), user),
  field(t('login.password'), pass),
  msg,
  h('button.primary', { type: 'submit' }, t('login.submit')),
  h('p.muted', t('login.tip_hint'), ' ', h('a', { href: '#/tip' }, t('nav.tip'))));
  main.appendChild(form);
  user.focus();
}

export async function tip(main) {
  const desc = h('textarea', { name: 'description', rows: 6, required: true, minlength: 10, maxlength: 10000 });
  const org = h('input', { name: 'organisation_name', maxlength: 500 });
  const cat = h('input', { name: 'category', maxlength: 500 });
  const when = h('input', { name: 'observed_at', type: 'datetime-local' });
  const url = h('input', { name: 'url', maxlength: 500, inputmode: 'url' });
  const contact = h('input', { name: 'contact', maxlength: 500 });
  const out = h('div');
  const form = h('form.card', { on: { submit: async (ev) => {
    ev.preventDefault();
    clear(out);
    const body = { description: desc.value.trim() };
    if (org.value.trim()) body.organisation_name = org.value.trim();
    if (cat.value.trim()) body.category = cat.value.trim();
    if (when.value) body.observed_at = localToRfc3339(when.value);
    if (url.value.trim()) body.url = url.value.trim();
    if (contact.value.trim()) body.contact = contact.value.trim();
    try {
      const r = await post('/tips', body, { noRedirect: true });
      form.replaceWith(h('section.card.receipt', { id: 'tip-receipt' },
        h('h2', t('tip.thanks')), h('p', t('tip.receipt_is')), h('p.big', { id: 'tip-ref' }, r.receipt),
        h('p.muted', t('tip.received_at'), ' ', fmtTime(r.received_at)), r.message ? h('p', r.message) : null));
    } catch (e) { out.appendChild(errorBox(e)); }
  } } },
  h('p', t('tip.intro')),
  field(t('tip.description'), desc, t('tip.description_hint')),
  field(t('tip.organisation'), org), field(t('tip.category'), cat), field(t('tip.observed_at'), when, t('time.beijing')),
  field(t('tip.url'), url), field(t('tip.contact'), contact, t('tip.contact_hint')),
  out, h('button.primary', { type: 'submit' }, t('tip.submit')));
  put(main, h('h1', t('tip.title')), form);
}

// The incident list: filters, full-text search (Chinese works), cursor pages, export links with the same filters.
export async function incidents(main, params, query, ctx) {
  const f = {
    q: query.get('q') || '', grade: query.get('grade') || '', status: query.get('status') || '', overdue: query.get('overdue') || '',
    category: query.get('category') || '', province: query.get('province') || '', drill: query.get('drill') || '',
  };
  const q = h('input', { type: 'search', name: 'q', value: f.q, 'aria-label': t('list.search'), placeholder: t('list.search') });
  const grade = select('grade', f.grade, [['', t('list.any_grade')], ...['特别重大', '重大', '较大', '一般'].map((g) => [g, tk('grade.' + g, g)])]);
  const status = select('status', f.status, [['', t('list.any_status')], ...['open', 'handling_ended', 'closed'].map((s) => [s, statusName(s)])]);
  const drill = select('drill', f.drill, [['', t('list.drill_any')], ['real', t('list.drill_real')], ['only', t('list.drill_only')]]);
  const overdue = h('input', { type: 'checkbox', name: 'overdue', checked: f.overdue === 'true' });
  const form = h('form.filters', { role: 'search', on: { submit: (ev) => {
    ev.preventDefault();
    ctx.navigate('#/incidents' + qs({ q: q.value.trim(), grade: grade.value, status: status.value, drill: drill.value, overdue: overdue.checked ? 'true' : '' }));
  } } }, q, grade, status, drill, h('label.inline', overdue, ' ', t('list.overdue_only')), h('button', { type: 'submit' }, t('list.apply')));
  const filters = { q: f.q, grade: f.grade, status: f.status, overdue: f.overdue, drill: f.drill, category: f.category, province: f.province };
  const exp = h('p.exports', t('list.export'), ' ',
    ['csv', 'json', 'stix', 'misp'].map((fmt) => [h('a', { href: '/api/v1/export' + qs({ format: fmt, ...filters, overdue: undefined }), download: '' }, fmt.toUpperCase()), ' ']));
  const tbody = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, t('list.more'));
  const table = h('table.list', h('thead', h('tr', [t('col.ref'), t('col.title'), t('col.organisation'), t('col.grade'), t('col.category'), t('col.status'), t('col.aware')].map((c) => h('th', { scope: 'col' }, c)))), tbody);
  put(main, h('h1', t('list.title')), form, exp, h('div.scroll', table), more);
  let after = 0;
  async function page() {
    const r = await get('/incidents' + qs({ ...filters, limit: 50, after: after || undefined }));
    for (const i of r.items) tbody.appendChild(h('tr', { class: i.drill ? 'drill' : '' },
      h('td', h('a', { href: '#/incident/' + i.id }, i.ref)), h('td.title', i.title, ' ', drillBadge(i.drill)), h('td', i.organisation),
      h('td', gradeBadge(i.grade)), h('td', categoryName(i.category)), h('td', statusName(i.status)), h('td', fmtTime(i.aware_ms))));
    if (!tbody.firstChild) tbody.appendChild(h('tr', h('td', { colspan: 7 }, t('list.empty'))));
    after = r.next_after;
    more.hidden = !after;
  }
  more.addEventListener('click', () => page().catch((e) => main.appendChild(errorBox(e))));
  await page();
}

export function select(name, value, options) {
  const el = h('select', { name, 'aria-label': t('field.' + name) });
  for (const [v, label] of options) el.appendChild(h('option', { value: v }, label));
  el.value = value || '';
  return el;
}

export async function notifications(main, params, query, ctx) {
  const list = h('ul.notes');
  put(main, h('h1', t('notes.title')), list);
  const r = await get('/notifications' + qs({ limit: 100 }));
  for (const n of r.items) {
    const li = h('li', { class: n.read_ms ? 'read' : 'unread' },
      h('div.note-head', h('strong', n.title), ' ', h('span.muted', fmtTime(n.created_ms))),
      h('pre.body', n.body),
      n.incident_id ? h('a', { href: '#/incident/' + n.incident_id }, t('notes.open_incident')) : null, ' ',
      emLink(n), ' ',
      !n.read_ms ? h('button.link', { type: 'button', on: { click: async (ev) => {
        await post(`/notifications/${n.id}/read`);
        li.className = 'read';
        ev.target.remove();
      } } }, t('notes.mark_read')) : null);
    list.appendChild(li);
  }
  if (!r.items.length) list.appendChild(h('li', t('notes.empty')));
}

// A warning's or response's notification links to it (its ref is in the title: WARN-2026-000001, RESP-…).
function emLink(n) {
  const m = [...(n.title || '').matchAll(/\b(WARN|RESP)-\d{4}-\d{6}\b/g)].pop(); // the ref the system appended, after the title
  if (!m || !/^(warning|response|investigation)\./.test(n.kind || '')) return null;
  return m[1] === 'WARN' ? h('a', { href: '#/warning/' + m[0] }, t('notes.open_warning')) : h('a', { href: '#/response/' + m[0] }, t('notes.open_response'));
}

// Printable views: the official report form (latest version, appendix 8.3 layout) and the final report.
export async function print(main, params) {
  const inc = await get('/incidents/' + encodeURIComponent(params.id));
  const form = params.form === 'final' ? 'final' : 'report';
  const reports = inc.reports || [];
  const final = reports.filter((r) => r.kind === 'final').pop();
  const v = form === 'final' && final ? final : reports[reports.length - 1];
  const c = (v && v.content) || {};
  const a = (v && v.assessment && v.assessment.result) || {};
  const row = (label, value) => h('tr', h('th', { scope: 'row' }, label), h('td', value === undefined || value === null || value === '' ? '' : String(value)));
  const doc = h('article.printable',
    h('div.noprint.toolbar', h('button.primary', { type: 'button', on: { click: () => window.print() } }, t('print.print')), ' ',
      h('a', { href: `/api/v1/incidents/${inc.id}/pdf?form=${form}` }, t('print.pdf')), ' ', h('a', { href: '#/incident/' + inc.id }, t('print.back'))),
    inc.drill ? h('p.drill-mark', t('print.drill')) : null,
    h('h1.doc-title', form === 'final' ? t('print.final_title') : t('print.report_title')),
    h('p.doc-meta', t('col.ref'), '：', inc.ref, '　', t('print.version', { v: v ? v.version : '—' })),
    form === 'final' && !final ? h('p.note', t('print.no_final')) : null,
    h('table.form', h('tbody',
      row(t('content.reporting_unit'), c.reporting_unit),
      row(t('print.report_time'), v ? fmtTime(v.submitted_ms) : ''),
      row(t('print.org'), inc.organisation_name),
      row(t('print.start_time'), fmtTime(inc.occurred_ms || inc.aware_ms)),
      row(t('print.filled_by'), v ? v.submitted_by : ''),
      row(t('print.reviewer'), ''),
      row(t('col.category'), categoryName(inc.category)),
      row(t('col.grade'), tk('grade.' + inc.grade, inc.grade) + ((a.reasons || []).length ? '（' + a.reasons.map((r) => r.source).join('；') + '）' : '')),
      row(t('content.affected_system'), c.affected_system),
      row(t('print.description'), [c.impact, c.development].filter(Boolean).join('\n')),
      row(t('print.measures'), [c.measures_taken, c.measures_effect, c.further_measures].filter(Boolean).join('\n')),
      row(t('print.consequence'), c.cause),
      row(t('print.advice'), [c.support_requested, c.other].filter(Boolean).join('\n')),
      c.ransom ? row(t('wizard.ransom'), `${c.ransom.amount ?? ''} ${c.ransom.currency ?? ''} ${c.ransom.method ?? ''} ${c.ransom.demanded_at ? fmtTime(c.ransom.demanded_at) : ''}`) : null)),
    form === 'final' ? h('section', h('h2', t('incident.obligations')), h('table.form', h('thead', h('tr', [t('col.kind'), t('col.to'), t('col.due'), t('col.met'), t('col.status')].map((x) => h('th', x)))),
      h('tbody', (inc.obligations || []).map((o) => h('tr', h('td', kindName(o.kind)), h('td', (o.to || []).map(recipientName).join('、')),
        h('td', fmtTime(dueMs(o) || null)), h('td', fmtTime(o.met_ms)), h('td', statusName(o.status))))))) : null,
    h('p.doc-foot', v ? `SHA-256 ${v.content_sha256}` : ''));
  main.appendChild(doc);
  return () => {};
}

// Where an obligation belongs: its incident, else the warning whose measure it is, else its response.
function oblLink(o) {
  if (o.incident_id) return '#/incident/' + o.incident_id;
  if (o.warning_id) return '#/warning/' + o.warning_id;
  if (o.response_id) return '#/response/' + o.response_id;
  return '#/clocks';
}

// Shared by pages: an obligations table with live countdowns.
export function obligationsTable(list, opts = {}) {
  const tbody = h('tbody');
  for (const o of list) {
    const due = dueMs(o);
    const open = o.status === 'pending' || o.status === 'overdue';
    tbody.appendChild(h('tr', { class: o.status === 'overdue' ? 'overdue' : '' },
      opts.ref ? h('td', h('a', { href: oblLink(o) }, o.ref)) : null,
      h('td', kindName(o.kind), o.policy ? h('span.muted', ' ', t('obl.policy')) : null),
      h('td', (o.to || []).map(recipientName).join('、')),
      h('td', due ? fmtTime(due) : t('obl.starts_at', { e: tk('rel.' + o.relative_to, o.relative_to) })),
      h('td', open && due ? countdown(due) : statusName(o.status)),
      h('td.muted.small', o.source || '')));
  }
  if (!list.length) tbody.appendChild(h('tr', h('td', { colspan: opts.ref ? 6 : 5 }, t('obl.none'))));
  return h('div.scroll', h('table.list.obligations',
    h('thead', h('tr', [opts.ref ? t('col.ref') : null, t('col.kind'), t('col.to'), t('col.due'), t('col.left'), t('col.source')].filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))), tbody));
}

export { provinceName };
