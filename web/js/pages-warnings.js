// pages-warnings.js — the warnings board (issue 5 API): the list, the issue form with the rule pack's powers as a hint
// and the server's refusal next to the field, the detail page — for the issuer (or a superior) the recipients with
// who has acknowledged and when, change level and lift; for a recipient acknowledge with the measures done.

import { h, put, clear } from './dom.js';
import { t, tk } from './i18n.js';
import { get, post, qs } from './api.js';
import { field, select } from './pages-common.js';
import { fmtTime, fmtIso, drillBadge, countdown, provinceName, refData, loadRef, statusName } from './fmt.js';
import { durationInput, submitting, codes, textBlock } from './forms.js';

export const LEVELS = ['red', 'orange', 'yellow', 'blue'];
export const levelBadge = (lvl) => h('span', { class: 'badge level lvl-' + (LEVELS.includes(lvl) ? lvl : 'none') }, tk('wlevel.' + lvl, lvl || '—'));
const statusBadge = (s) => h('span', { class: 'badge wstatus ' + (s === 'active' ? 'on' : 'off') }, tk('wstatus.' + s, s));
const SECTORS = ['energy', 'telecom', 'finance', 'transport', 'water', 'internet', 'manufacturing'];

function emergency() { return (refData().pack && refData().pack.emergency) || {}; }

export function scopeText(scope) {
  const s = scope || {};
  const parts = [];
  if ((s.provinces || []).length) parts.push(s.provinces.map(provinceName).join('、'));
  if ((s.sectors || []).length) parts.push(t('warn.sectors') + ': ' + s.sectors.map((x) => tk('sector.' + x, x)).join('、'));
  if ((s.departments || []).length) parts.push(t('warn.departments') + ': ' + s.departments.join('、'));
  return parts.join('；') || '—';
}

// "pending 24 h" etc. of a measure; the due instant when the limit is a plain number of minutes, hours or days.
function measureDue(w, m) {
  const x = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(m.within || '');
  if (!x) return 0;
  return Number(w.starts_ms) + ((+x[1] || 0) * 86400 + (+x[2] || 0) * 3600 + (+x[3] || 0) * 60) * 1000;
}

const isIssuerSide = (ctx) => ctx.isAuthority();

export async function warnings(main, params, query, ctx) {
  const status = select('status', query.get('status') || '', [['', t('warn.any_status')], ['active', tk('wstatus.active')], ['lifted', tk('wstatus.lifted')]]);
  const drill = select('drill', query.get('drill') || '', [['', t('list.drill_any')], ['real', t('list.drill_real')], ['only', t('list.drill_only')]]);
  const form = h('form.filters.noprint', { on: { submit: (ev) => { ev.preventDefault(); ctx.navigate('#/warnings' + qs({ status: status.value, drill: drill.value })); } } },
    status, drill, h('button', { type: 'submit' }, t('list.apply')));
  const tbody = h('tbody');
  const cols = [t('warn.col_level'), t('warn.col_ref'), t('col.title'), t('warn.col_issuer'), t('warn.col_scope'), t('col.status'), t('warn.col_starts')];
  if (isIssuerSide(ctx)) cols.push(t('warn.col_acks'));
  put(main, h('div.page-head', h('h1', t('warn.title')),
    ctx.isAuthority() ? h('a.button.primary#warn-new', { href: '#/warnings/new' }, t('warn.new')) : null),
  h('p.hint', ctx.isOperator() ? t('warn.hint_operator') : t('warn.hint_authority')),
  form, h('div.scroll', h('table.list#warnings', h('thead', h('tr', cols.map((c) => h('th', { scope: 'col' }, c)))), tbody)));
  await loadRef();
  const items = [];
  let after = 0;
  for (let i = 0; i < 5; i++) { // newest first: the API pages by ascending id
    const r = await get('/warnings' + qs({ status: query.get('status'), drill: query.get('drill'), limit: 200, after: after || undefined }));
    items.push(...r.items);
    if (!r.next_after) break;
    after = r.next_after;
  }
  items.reverse();
  for (const w of items) {
    tbody.appendChild(h('tr', { class: [w.status === 'lifted' ? 'lifted' : '', w.drill ? 'drill' : ''].join(' ').trim(), dataset: { id: w.id, ref: w.ref } },
      h('td', levelBadge(w.level)),
      h('td', h('a', { href: '#/warning/' + w.id }, w.ref)),
      h('td.title', w.title, ' ', drillBadge(w.drill)),
      h('td', w.issuer),
      h('td.title', scopeText(w.scope)),
      h('td', statusBadge(w.status)),
      h('td', fmtTime(w.starts_ms)),
      isIssuerSide(ctx) ? h('td.num', `${w.acknowledged ?? 0} / ${w.recipients_total ?? 0}`) : null));
  }
  if (!items.length) tbody.appendChild(h('tr', h('td', { colspan: cols.length }, t('warn.empty'))));
}

// The issue form. Every level is offered: the rule hint says what this authority may issue, and a refusal from the
// server (level above its powers, another province) appears next to the field it names.
export async function issue(main, params, query, ctx) {
  await loadRef();
  const em = emergency();
  const u = ctx.user;
  const power = (em.warning_issuers || []).find((x) => x.type === u.authority_type);
  const own = { own_province: provinceName(u.authority_province), own_sector: tk('sector.' + u.authority_sector, u.authority_sector || '—'), own_department: u.authority || '' };
  const hint = power
    ? t('warn.rule_hint', { max: tk('wlevel.' + power.max_level, power.max_level), scope: power.scope === 'any' ? t('warn.scope_any') : t('warn.scope_' + power.scope, { x: own[power.scope] || '' }) })
    : t('warn.rule_hint_other');
  const level = h('select#w-level', { name: 'level', dataset: { field: 'level' } }, LEVELS.map((l) => h('option', { value: l }, tk('wlevel.' + l, l))));
  level.value = 'blue';
  const title = h('input#w-title', { name: 'title', maxlength: 200, required: true, dataset: { field: 'title' } });
  const category = h('input#w-category', { name: 'category', maxlength: 64, dataset: { field: 'category' }, placeholder: t('warn.category_ph') });
  const matters = h('textarea#w-matters', { name: 'matters', rows: 4, maxlength: 5000, required: true, dataset: { field: 'matters' } });
  // Scope: provinces as checkboxes (own province ticked for a provincial body), sectors and departments as codes.
  const provinces = Object.keys((refData().pack && refData().pack.provinces) || {}).sort();
  const provBox = h('div.checks#w-provinces', { role: 'group', 'aria-label': t('warn.provinces') },
    provinces.map((p) => h('label.inline', h('input', { type: 'checkbox', name: 'province', value: p, checked: p === u.authority_province && (!power || power.scope === 'own_province') }), ' ', provinceName(p))));
  const sectors = h('input#w-sectors', { name: 'sectors', list: 'w-sector-list', placeholder: 'energy, finance', dataset: { field: 'scope.sectors' } });
  const sectorList = h('datalist#w-sector-list', SECTORS.map((s) => h('option', { value: s }, tk('sector.' + s, s))));
  const departments = h('input#w-departments', { name: 'departments', dataset: { field: 'scope.departments' } });
  const measures = h('ol.measures#w-measures');
  const addMeasure = (text, within) => {
    const i = measures.children.length;
    const txt = h('input', { class: 'm-text', maxlength: 1000, value: text || '', 'aria-label': t('warn.measure_text'), dataset: { field: `measures[${i}].text` } });
    const dur = durationInput(`measures[${i}].within`, within);
    const li = h('li.measure', h('div.measure-row', txt, h('span.muted', t('warn.within')), dur,
      h('button.small', { type: 'button', 'aria-label': t('warn.remove_measure'), on: { click: () => { li.remove(); renumber(); } } }, '✕')));
    li.read = () => ({ text: txt.value.trim(), within: dur.iso() });
    measures.appendChild(li);
    return txt;
  };
  const renumber = () => [...measures.children].forEach((li, i) => {
    li.querySelector('.m-text').dataset.field = `measures[${i}].text`;
    li.querySelector('.duration').dataset.field = `measures[${i}].within`;
  });
  addMeasure('', 'PT24H');
  const drill = h('input#w-drill', { type: 'checkbox', name: 'drill' });
  const box = h('div');
  const form = h('form.card#warn-form', { novalidate: true });
  form.addEventListener('submit', submitting(form, box, async () => {
    const body = { level: level.value, title: title.value.trim(), matters: matters.value.trim(), scope: {} };
    const ps = [...provBox.querySelectorAll('input:checked')].map((x) => x.value);
    if (ps.length) body.scope.provinces = ps;
    if (codes(sectors.value).length) body.scope.sectors = codes(sectors.value);
    if (codes(departments.value).length) body.scope.departments = codes(departments.value);
    if (category.value.trim()) body.category = category.value.trim();
    const ms = [...measures.children].map((li) => li.read()).filter((m) => m.text || m.within).map((m) => (m.within ? m : { text: m.text }));
    if (ms.length) body.measures = ms;
    if (drill.checked) body.drill = true;
    const w = await post('/warnings', body);
    ctx.toast(t('warn.issued', { ref: w.ref, n: w.recipients_total }));
    ctx.navigate('#/warning/' + w.id);
  }));
  put(form,
    h('p.note#w-rule', hint, power && power.source ? h('small.muted', ' — ', power.source) : null),
    h('div.row2', field(t('warn.level'), level, t('warn.level_hint')), field(t('warn.category'), category)),
    field(t('warn.f_title'), title),
    field(t('warn.matters'), matters, t('warn.matters_hint')),
    h('fieldset', { dataset: { field: 'scope' } }, h('legend', t('warn.scope')), h('p.hint', t('warn.scope_hint')),
      h('div', { dataset: { field: 'scope.provinces' } }, h('h3', t('warn.provinces')), provBox),
      h('div.row2', field(t('warn.sectors'), sectors, t('warn.sectors_hint')), field(t('warn.departments'), departments, t('warn.departments_hint'))), sectorList),
    h('fieldset', { dataset: { field: 'measures' } }, h('legend', t('warn.measures')), h('p.hint', t('warn.measures_hint')), measures,
      h('button#w-add-measure', { type: 'button', on: { click: () => addMeasure('', '').focus() } }, t('warn.add_measure'))),
    h('label.inline', drill, ' ', t('warn.drill')),
    box,
    h('div.actions', h('button.primary#w-submit', { type: 'submit' }, t('warn.submit')), h('a.button', { href: '#/warnings' }, t('action.cancel'))));
  put(main, h('h1', t('warn.new_title')), form);
  title.focus();
}

export async function detail(main, params, query, ctx) {
  await loadRef();
  const w = await get('/warnings/' + encodeURIComponent(params.id));
  const u = ctx.user;
  const mine = (w.recipients || []).find((r) => (u.authority && r.authority === u.authority) || (u.organisation && r.organisation === u.organisation));
  const manage = ctx.isAuthority() && (w.issuer === u.authority || ctx.isNational() || !mine);
  const active = w.status === 'active';
  const reload = () => ctx.navigate('#/warning/' + w.id + '?r=' + Date.now());
  // The recipient's own measure obligations (met or not): GET /obligations, this warning's, this authority's.
  let myObls = [];
  if (mine) {
    const r = await get('/obligations' + qs({ limit: 200 })).catch(() => ({ items: [] }));
    myObls = r.items.filter((o) => o.warning_id === w.id && o.kind === 'warning_measure' && (!u.authority || o.from_authority === u.authority));
  }
  const oblFor = (n) => myObls.find((o) => o.route === 'WARNING/' + n);

  const measureItems = (w.measures || []).map((m, i) => {
    const o = oblFor(i + 1);
    const due = measureDue(w, m);
    return h('li', { dataset: { n: i + 1 } }, h('span.text', m.text), ' ',
      m.within ? h('span.muted', t('warn.measure_limit', { d: fmtIso(m.within) }), due ? ' · ' + fmtTime(due) : '') : h('span.muted', t('warn.no_limit')), ' ',
      o ? (o.status === 'pending' || o.status === 'overdue' ? (active ? countdown(o.due_ms) : statusName(o.status)) : h('span.badge.done', statusName(o.status))) : null);
  });

  put(main,
    h('h1', levelBadge(w.level), ' ', h('span#warning-title', w.title), ' ', drillBadge(w.drill), ' ', statusBadge(w.status)),
    h('dl.meta#warning-meta',
      h('dt', t('warn.col_ref')), h('dd.ref', w.ref),
      h('dt', t('warn.col_issuer')), h('dd', w.issuer, ' · ', w.created_by),
      h('dt', t('warn.col_starts')), h('dd', fmtTime(w.starts_ms)),
      h('dt', t('warn.scope')), h('dd', scopeText(w.scope)),
      w.category ? [h('dt', t('warn.category')), h('dd', w.category)] : null,
      h('dt', t('warn.version')), h('dd', String(w.version), ' · ', fmtTime(w.updated_ms)),
      w.status === 'lifted' ? [h('dt', t('warn.lifted')), h('dd', fmtTime(w.lifted_ms), ' · ', w.lifted_by || ''), h('dt', t('warn.lift_reason')), h('dd', w.lift_reason || '—')] : null,
      w.rule && w.rule.source ? [h('dt', t('warn.basis')), h('dd.small', w.rule.source)] : null),
    h('section', h('h2', t('warn.matters')), textBlock(w.matters)),
    h('section', h('h2', t('warn.measures')), measureItems.length ? h('ol.measures-view#warning-measures', measureItems) : h('p.muted', t('warn.no_measures'))));

  if (mine) main.appendChild(ackSection(w, mine, oblFor, active, ctx, reload));
  if (manage) {
    main.appendChild(recipientsSection(w));
    if (active && ctx.isAuthority()) main.appendChild(manageSection(w, ctx, reload));
  }
  put(main, h('p.actions.noprint', h('button', { type: 'button', on: { click: () => window.print() } }, t('print.print')), h('a.button', { href: '#/warnings' }, t('warn.back'))));
}

function ackSection(w, mine, oblFor, active, ctx, reload) {
  const sec = h('section.card#warning-ack', h('h2', t('warn.my_ack')));
  if (mine.acked_ms) sec.appendChild(h('p.ok#ack-done', t('warn.acked_at', { at: fmtTime(mine.acked_ms), by: mine.acked_by || '' })));
  const open = (w.measures || []).map((m, i) => ({ m, n: i + 1, o: oblFor(i + 1) })).filter((x) => x.m.within && x.o && (x.o.status === 'pending' || x.o.status === 'overdue'));
  if (!active) { if (!mine.acked_ms) sec.appendChild(h('p.muted', t('warn.lifted_no_ack'))); return sec; }
  if (mine.acked_ms && !open.length) return sec;
  const checks = open.map((x) => h('label.inline.measure-check', h('input', { type: 'checkbox', name: 'measure_done', value: x.n, id: 'ack-m' + x.n }), ' ', `${x.n}. ${x.m.text}`));
  const note = h('textarea#ack-note', { rows: 2, maxlength: 5000, dataset: { field: 'note' } });
  const box = h('div');
  const form = h('form.noprint#ack-form');
  form.addEventListener('submit', submitting(form, box, async () => {
    const done = [...form.querySelectorAll('input[name=measure_done]:checked')].map((x) => Number(x.value));
    const body = { measures_done: done };
    if (!mine.acked_ms && note.value.trim()) body.note = note.value.trim();
    if (mine.acked_ms && !done.length) return;
    await post(`/warnings/${w.id}/acknowledgements`, body);
    ctx.toast(mine.acked_ms ? t('warn.measures_reported') : t('warn.acked'));
    reload();
  }));
  put(form,
    checks.length ? h('fieldset', { dataset: { field: 'measures_done' } }, h('legend', t('warn.measures_done')), checks) : null,
    mine.acked_ms ? null : field(t('warn.ack_note'), note),
    box,
    h('button.primary#ack-submit', { type: 'submit' }, mine.acked_ms ? t('warn.report_measures') : t('warn.ack')));
  sec.appendChild(form);
  return sec;
}

function recipientsSection(w) {
  const list = w.recipients || [];
  const acked = list.filter((r) => r.acked_ms).length;
  const onlyOpen = h('input#rcpt-open', { type: 'checkbox' });
  const tbody = h('tbody');
  const paint = () => {
    clear(tbody);
    const rows = list.filter((r) => !onlyOpen.checked || !r.acked_ms)
      .sort((a, b) => (a.acked_ms ? 1 : 0) - (b.acked_ms ? 1 : 0) || (Number(b.acked_ms) || 0) - (Number(a.acked_ms) || 0));
    for (const r of rows) {
      const code = r.authority || r.organisation;
      tbody.appendChild(h('tr', { class: r.acked_ms ? 'acked' : 'waiting', dataset: { code } },
        h('td', code), h('td', r.authority ? t('warn.kind_authority') : t('warn.kind_organisation')),
        h('td', r.acked_ms ? h('span.badge.done', t('warn.acked_badge')) : h('span.badge.pending', t('warn.not_acked'))),
        h('td', fmtTime(r.acked_ms)), h('td', r.acked_by || '—')));
    }
    if (!rows.length) tbody.appendChild(h('tr', h('td', { colspan: 5 }, t('warn.no_recipients'))));
  };
  onlyOpen.addEventListener('change', paint);
  paint();
  const pct = list.length ? Math.round((acked / list.length) * 100) : 0;
  return h('section#warning-recipients',
    h('h2', t('warn.recipients')),
    h('div.kpis', kpi(t('warn.total'), list.length, 'rcpt-total'), kpi(t('warn.acked_n'), acked, 'rcpt-acked'), kpi(t('warn.open_n'), list.length - acked, 'rcpt-open-n')),
    h('p.meter', h('progress#rcpt-progress', { max: Math.max(list.length, 1), value: acked, 'aria-label': t('warn.acked_n') }), ' ', `${pct}%`),
    h('label.inline.noprint', onlyOpen, ' ', t('warn.only_open')),
    h('div.scroll', h('table.list#recipients', h('thead', h('tr', [t('warn.col_recipient'), t('warn.col_kind'), t('col.status'), t('warn.col_acked_at'), t('warn.col_acked_by')].map((c) => h('th', { scope: 'col' }, c)))), tbody)));
}

function kpi(label, value, id) { return h('div.kpi', { id }, h('div.kpi-v', String(value)), h('div.kpi-l', label)); }

function manageSection(w, ctx, reload) {
  const level = h('select#chg-level', { dataset: { field: 'level' } }, LEVELS.map((l) => h('option', { value: l }, tk('wlevel.' + l, l))));
  level.value = w.level;
  const title = h('input#chg-title', { value: w.title, maxlength: 200, dataset: { field: 'title' } });
  const matters = h('textarea#chg-matters', { rows: 3, maxlength: 5000, value: w.matters, dataset: { field: 'matters' } });
  const box1 = h('div');
  const change = h('form#change-form', { novalidate: true });
  change.addEventListener('submit', submitting(change, box1, async () => {
    const body = {};
    if (level.value !== w.level) body.level = level.value;
    if (title.value.trim() !== w.title) body.title = title.value.trim();
    if (matters.value.trim() !== w.matters) body.matters = matters.value.trim();
    if (!Object.keys(body).length) { ctx.toast(t('warn.nothing_changed')); return; }
    await post(`/warnings/${w.id}/updates`, body);
    ctx.toast(t('warn.changed'));
    reload();
  }));
  put(change, field(t('warn.level'), level), field(t('warn.f_title'), title), field(t('warn.matters'), matters), box1,
    h('button.primary#chg-submit', { type: 'submit' }, t('warn.change_submit')));
  const reason = h('textarea#lift-reason', { rows: 2, maxlength: 5000, required: true, dataset: { field: 'reason' } });
  const box2 = h('div');
  const lift = h('form#lift-form', { novalidate: true });
  lift.addEventListener('submit', submitting(lift, box2, async () => {
    await post(`/warnings/${w.id}/lift`, { reason: reason.value.trim() });
    ctx.toast(t('warn.lifted_toast'));
    reload();
  }));
  put(lift, h('p.hint', t('warn.lift_hint')), field(t('warn.lift_reason'), reason), box2, h('button.danger#lift-submit', { type: 'submit' }, t('warn.lift')));
  return h('section.noprint#warning-manage', h('h2', t('warn.manage')),
    h('div.actions', h('details.inline-form#change', h('summary', t('warn.change')), change), h('details.inline-form#lift', h('summary', t('warn.lift')), lift)));
}

