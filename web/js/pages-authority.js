// pages-authority.js — the inbox (by time left, receipt and escalation in one click), the incident page (timeline,
// versions with what changed, obligations, notifications, deliveries, actions) and the compliance ledger.

import { h, put, clear } from './dom.js';
import { t, tk } from './i18n.js';
import { get, post, qs } from './api.js';
import { errorBox, field, obligationsTable } from './pages-common.js';
import { CONTENT_ITEMS } from './pages-operator.js';
import { fmtTime, fmtDuration, gradeBadge, drillBadge, countdown, categoryName, provinceName, statusName, kindName, SOON_MS } from './fmt.js';

async function receiptAction(id, ctx) {
  await post(`/incidents/${id}/receipts`, {});
  ctx.toast(t('action.received'));
}
async function escalateAction(id, ctx) {
  const r = await post(`/incidents/${id}/escalations`, {});
  ctx.toast(t('action.escalated', { to: (r.to || []).join('、') }));
}

export async function inbox(main, params, query, ctx) {
  const summary = h('p.summary#inbox-summary');
  const tbody = h('tbody');
  const table = h('table.list.inbox#inbox', h('thead', h('tr', [t('col.left'), t('col.ref'), t('col.title'), t('col.organisation'), t('col.grade'), t('col.next'), t('col.actions')].map((c) => h('th', { scope: 'col' }, c)))), tbody);
  const stamp = h('span.muted');
  put(main, h('h1', t('inbox.title')), h('p.hint', t('inbox.hint'), ' ', stamp), summary, h('div.scroll', table));
  async function load() {
    const t0 = performance.now();
    const r = await get('/inbox' + qs({ limit: 100 }));
    const now = Date.now();
    const rows = [];
    let over = 0, soon = 0, waiting = 0;
    for (const i of r.items) {
      const due = i.next_due_ms ? Number(i.next_due_ms) : 0;
      const left = due ? due - now : null;
      if (i.needs_receipt) waiting++;
      else if (left !== null && left < 0) over++;
      else if (left !== null && left < SOON_MS) soon++;
      const actions = h('td.actions');
      if (i.needs_receipt) actions.appendChild(h('button.primary.small', { type: 'button', dataset: { act: 'receipt', id: i.id }, on: { click: (ev) => act(ev, () => receiptAction(i.id, ctx)) } }, t('action.receive')));
      if (!i.needs_receipt && i.next_kind === 'escalation') actions.appendChild(h('button.primary.small', { type: 'button', dataset: { act: 'escalate', id: i.id }, on: { click: (ev) => act(ev, () => escalateAction(i.id, ctx)) } }, t('action.escalate')));
      rows.push(h('tr', { class: [left !== null && left < 0 ? 'overdue' : '', left !== null && left >= 0 && left < SOON_MS ? 'soon' : '', i.drill ? 'drill' : '', i.needs_receipt ? 'waiting' : ''].join(' ').trim(), dataset: { id: i.id } },
        h('td', i.needs_receipt ? h('span.badge.waiting', t('inbox.awaiting')) : due ? countdown(due) : h('span.muted', t('inbox.no_clock'))),
        h('td', h('a', { href: '#/incident/' + i.id }, i.ref)),
        h('td.title', i.title, ' ', drillBadge(i.drill)),
        h('td', i.organisation_name || i.organisation, h('br'), h('small.muted', provinceName(i.province))),
        h('td', gradeBadge(i.grade)),
        h('td', i.next_kind ? kindName(i.next_kind) : '—'),
        actions));
    }
    put(clear(tbody), ...rows);
    if (!rows.length) tbody.appendChild(h('tr', h('td', { colspan: 7 }, t('inbox.empty'))));
    put(clear(summary), h('span.badge.waiting', t('inbox.n_waiting', { n: waiting })), ' ', h('span.badge.overdue', t('inbox.n_overdue', { n: over })), ' ',
      h('span.badge.soon', t('inbox.n_soon', { n: soon })));
    stamp.textContent = t('inbox.updated', { at: fmtTime(now), ms: Math.round(performance.now() - t0) });
    document.body.dataset.inboxRendered = String(Math.round(performance.now() - t0));
  }
  async function act(ev, fn) {
    ev.target.disabled = true;
    try { await fn(); await load(); } catch (e) { ctx.toast(e.message, 'error'); ev.target.disabled = false; }
  }
  await load();
  const timer = setInterval(() => load().catch(() => {}), 30000);
  return () => clearInterval(timer);
}

export async function incident(main, params, query, ctx) {
  const id = encodeURIComponent(params.id);
  const [inc, hist] = await Promise.all([get('/incidents/' + id), get(`/incidents/${id}/history`)]);
  const [out, notes] = await Promise.all([get('/outbox' + qs({ incident: inc.id, limit: 100 })).catch(() => ({ items: [] })), get('/notifications' + qs({ limit: 200 })).catch(() => ({ items: [] }))]);
  const reports = inc.reports || [];
  const last = reports[reports.length - 1] || {};
  const msg = h('div');
  const reload = () => ctx.navigate('#/incident/' + inc.id + '?r=' + Date.now());
  const actions = h('div.actions#incident-actions');
  const run = (fn) => async (ev) => {
    ev.target.disabled = true;
    clear(msg);
    try { await fn(); reload(); } catch (e) { msg.appendChild(errorBox(e)); ev.target.disabled = false; }
  };
  if (ctx.hasRole('authority_officer', 'authority_admin', 'duty_officer')) {
    put(actions, 
      h('button.primary', { type: 'button', id: 'act-receipt', on: { click: run(() => receiptAction(inc.id, ctx)) } }, t('action.receive')),
      h('button.primary', { type: 'button', id: 'act-escalate', on: { click: run(() => escalateAction(inc.id, ctx)) } }, t('action.escalate')),
      noticeForm(inc, ctx, run));
  }
  if (ctx.isOperator()) {
    put(actions, h('a.button', { href: `#/incident/${inc.id}/followup/supplement`, id: 'act-supplement' }, t('action.supplement')),
      h('a.button', { href: `#/incident/${inc.id}/followup/final`, id: 'act-final' }, t('action.final')));
  }
  put(actions, 
    h('a.button', { href: `#/print/${inc.id}/report` }, t('incident.print_report')),
    h('a.button', { href: `#/print/${inc.id}/final` }, t('incident.print_final')),
    h('a.button', { href: `/api/v1/incidents/${inc.id}/pdf?form=report`, download: '' }, t('incident.pdf_report')),
    h('a.button', { href: `/api/v1/incidents/${inc.id}/pdf?form=final`, download: '' }, t('incident.pdf_final')),
    h('a.button', { href: '/api/v1/export' + qs({ format: 'csv', ref: inc.ref }), download: '' }, t('incident.export_csv')));

  const versions = (hist.versions || []).map((v) => {
    const rep = reports.find((r) => r.version === v.version) || {};
    return h('details.version', { open: v.version === last.version ? true : null },
      h('summary', t('incident.version', { v: v.version }), ' · ', kindName(v.kind), ' · ', fmtTime(v.submitted_ms), ' · ', v.submitted_by, ' · ', tk('channel.' + v.channel, v.channel), ' ', v.grade ? gradeBadge(v.grade) : null),
      v.changes && v.changes.length ? h('div.changes', h('h4', t('incident.changes')), h('table.list', h('thead', h('tr', h('th', t('col.field')), h('th', t('col.before')), h('th', t('col.after')))),
        h('tbody', v.changes.map((c) => h('tr', h('td', tk('content.' + c.field, c.field)), h('td.before', show(c.before)), h('td.after', show(c.after))))))) : null,
      contentView(rep.content || {}));
  });

  const events = (hist.events || []).map((e) => h('li', h('time', fmtTime(e.at_ms)), ' ', h('strong', tk('event.' + e.type, e.type)), ' ', h('span.muted', e.actor), ' ', eventDetail(e)));
  const myNotes = (notes.items || []).filter((n) => n.incident_id === inc.id);
  put(main, 
    h('h1', h('span.ref', inc.ref), ' ', h('span#incident-title', inc.title), ' ', gradeBadge(inc.grade), ' ', drillBadge(inc.drill)),
    h('dl.meta', h('dt', t('col.organisation')), h('dd', inc.organisation_name, ' (', inc.organisation, ')'), h('dt', t('col.category')), h('dd', categoryName(inc.category)),
      h('dt', t('col.status')), h('dd', statusName(inc.status)), h('dt', t('col.aware')), h('dd', fmtTime(inc.aware_ms)),
      h('dt', t('incident.occurred')), h('dd', fmtTime(inc.occurred_ms)), h('dt', t('incident.handling_end')), h('dd', fmtTime(inc.handling_end_ms))),
    actions, msg,
    h('section', h('h2', t('incident.obligations')), obligationsTable(inc.obligations || [])),
    h('section', h('h2', t('incident.versions')), versions),
    h('section', h('h2', t('incident.timeline')), h('ol.timeline#timeline', events)),
    h('section', h('h2', t('incident.notifications')), myNotes.length ? h('ul.notes', myNotes.map((n) => h('li', h('strong', n.title), ' ', h('span.muted', fmtTime(n.created_ms))))) : h('p.muted', t('notes.empty'))),
    h('section', h('h2', t('incident.deliveries')), (out.items || []).length ? h('div.scroll', h('table.list', h('thead', h('tr', [t('col.channel'), t('col.target'), t('col.status'), t('col.attempts'), t('col.created')].map((c) => h('th', c)))),
      h('tbody', out.items.map((o) => h('tr', h('td', o.channel), h('td', o.target), h('td', tk('delivery.' + o.status, o.status), o.last_error ? h('small.muted', ' ', o.last_error) : null), h('td', String(o.attempts)), h('td', fmtTime(o.created_ms))))))) : h('p.muted', t('incident.no_deliveries'))));
}

function noticeForm(inc, ctx, run) {
  const deps = h('input#notice-deps', { placeholder: t('notice.placeholder'), 'aria-label': t('notice.departments') });
  const how = h('select#notice-how', { 'aria-label': t('notice.how') }, ['system', 'phone', 'fax', 'email', 'letter', 'meeting'].map((x) => h('option', { value: x }, tk('how.' + x, x))));
  return h('details.inline-form', h('summary', t('action.notice')),
    field(t('notice.departments'), deps, t('notice.hint')), how, ' ',
    h('button', { type: 'button', on: { click: run(async () => {
      const departments = deps.value.split(/[,，、;；]/).map((x) => x.trim()).filter(Boolean);
      await post(`/incidents/${inc.id}/notices`, { departments, how: how.value });
      ctx.toast(t('action.noticed'));
    }) } }, t('notice.send')));
}

function show(v) {
  if (v === null || v === undefined) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function contentView(c) {
  const rows = [];
  for (const [n, keys] of CONTENT_ITEMS) for (const k of keys) if (c[k]) rows.push(h('tr', h('th', { scope: 'row' }, `${n}. ${t('content.' + k)}`), h('td.text', c[k])));
  if (c.facts && Object.keys(c.facts).length) rows.push(h('tr', h('th', { scope: 'row' }, t('wizard.facts')), h('td.text', JSON.stringify(c.facts))));
  return h('table.kv', h('tbody', rows));
}

function eventDetail(e) {
  const p = e.payload || {};
  const bits = [];
  if (p.version) bits.push(t('incident.version', { v: p.version }));
  if (p.kind) bits.push(kindName(p.kind));
  if (p.grade) bits.push(tk('grade.' + p.grade, p.grade));
  if (p.authority) bits.push(p.authority);
  if (p.status) bits.push(statusName(p.status));
  if (p.due) bits.push(t('preview.due') + ' ' + fmtTime(p.due));
  return bits.length ? h('span', '— ', bits.join(' · ')) : null;
}

export async function compliance(main, params, query, ctx) {
  const from = h('input#c-from', { type: 'date', value: query.get('from') || '' });
  const to = h('input#c-to', { type: 'date', value: query.get('to') || '' });
  const drills = h('input#c-drills', { type: 'checkbox', checked: query.get('drills') === 'true' });
  const sub = h('input#c-subtree', { type: 'checkbox', checked: query.get('subtree') !== 'false' });
  const who = h('input#c-who', { value: query.get('authority') || query.get('organisation') || '', placeholder: 'national-cac / shanxi-grid' });
  const whoKind = h('select#c-kind', h('option', { value: 'authority' }, t('compliance.authority')), h('option', { value: 'organisation' }, t('compliance.organisation')));
  whoKind.value = query.get('organisation') ? 'organisation' : 'authority';
  const see = ctx.isNational() || ctx.hasRole('auditor', 'system_admin');
  const body = h('div');
  const form = h('form.filters', { on: { submit: (ev) => {
    ev.preventDefault();
    const p = { from: from.value, to: to.value, drills: drills.checked ? 'true' : '', subtree: sub.checked ? '' : 'false' };
    if (see && who.value.trim()) p[whoKind.value] = who.value.trim();
    ctx.navigate('#/compliance' + qs(p));
  } } }, field(t('stats.from'), from), field(t('stats.to'), to), see ? [whoKind, who] : null,
  ctx.isAuthority() && !ctx.isNational() ? h('label.inline', sub, ' ', t('compliance.subtree')) : null,
  h('label.inline', drills, ' ', t('stats.drills')), h('button', { type: 'submit' }, t('list.apply')));
  put(main, h('h1', t('compliance.title')), form, body);
  const p = { from: query.get('from') ? query.get('from') + 'T00:00:00+08:00' : '', to: query.get('to') ? query.get('to') + 'T00:00:00+08:00' : '', drills: query.get('drills') };
  if (ctx.isAuthority() && !ctx.isNational()) p.subtree = query.get('subtree') === 'false' ? '' : 'true';
  if (query.get('authority')) p.authority = query.get('authority');
  if (query.get('organisation')) p.organisation = query.get('organisation');
  if (see && !p.authority && !p.organisation) p.authority = ctx.isNational() ? 'national-cac' : '';
  if (see && !p.authority && !p.organisation) { body.appendChild(h('p.hint', t('compliance.choose'))); return; }
  const c = await get('/compliance' + qs(p));
  const o = c.obligations || {};
  put(body, 
    h('div.kpis', kpi(t('compliance.incidents'), c.incidents), kpi(t('compliance.on_time'), o.on_time_rate === null || o.on_time_rate === undefined ? '—' : (o.on_time_rate * 100).toFixed(1) + '%'),
      kpi(t('status.met'), o.met), kpi(t('status.late'), o.late), kpi(t('status.overdue'), o.overdue), kpi(t('status.pending'), o.pending),
      kpi(t('compliance.mean_ttr'), c.mean_time_to_report_s === null || c.mean_time_to_report_s === undefined ? '—' : fmtDuration(c.mean_time_to_report_s * 1000))),
    h('p.muted', t('compliance.as_of'), ' ', fmtTime(c.as_of), c.drills_included ? ' · ' + t('stats.drills_in') : ''),
    list(t('compliance.late'), c.late), list(t('compliance.overdue'), c.overdue),
    (c.raised_facts || []).length ? h('section', h('h2', t('compliance.raised')), h('ul', c.raised_facts.map((r) => h('li', h('a', { href: '#/incident/' + (r.incident_id || r.ref) }, r.ref || ''), ' ', show(r.fact || ''), ': ', show(r.before), ' → ', show(r.after))))) : null);
}

function kpi(label, value) { return h('div.kpi', h('div.kpi-v', String(value ?? '—')), h('div.kpi-l', label)); }

function list(title, rows) {
  rows = rows || [];
  return h('section', h('h2', title, ' ', h('span.muted', `(${rows.length})`)), rows.length ? h('div.scroll', h('table.list', h('thead', h('tr', [t('col.ref'), t('col.kind'), t('col.due'), t('col.met')].map((c) => h('th', c)))),
    h('tbody', rows.map((r) => h('tr', h('td', h('a', { href: '#/incident/' + (r.incident_id || r.ref) }, r.ref)), h('td', kindName(r.kind)), h('td', fmtTime(r.due_ms ?? r.due)), h('td', fmtTime(r.met_ms ?? r.met))))))) : h('p.muted', t('compliance.none')));
}
