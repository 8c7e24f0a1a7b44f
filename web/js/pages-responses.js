// pages-responses.js — the emergency response console (issue 5 API): the list, the start form (level within the rule
// pack's powers, incidents by receipt number, the decider where the plan names one, the related warning), and the
// response page: incidents, the timeline of situation and progress updates, end (谁启动，谁结束), approval of a level Ⅰ
// end, the investigation report once ended, and the starter's duty contacts while it runs.

import { h, put } from './dom.js';
import { t, tk } from './i18n.js';
import { get, post, qs } from './api.js';
import { field, select } from './pages-common.js';
import { fmtTime, drillBadge, gradeBadge, countdown, refData, loadRef, statusName } from './fmt.js';
import { submitting, codes } from './forms.js';
import { contactsTable } from './pages-contacts.js';

const CITY = 'CN-JINCHENG-2019';
const DECIDERS = ['commander', 'deputy_commander', 'office_director'];
const INVESTIGATION = ['summary', 'causes', 'losses', 'responsibility', 'lessons', 'improvements'];

export function levelName(level, scheme) {
  return scheme === CITY ? tk('rlevel_city.' + level, level) : tk('rlevel.' + level, level);
}
const levelBadge = (r) => h('span', { class: 'badge rlevel rl-' + r.level }, levelName(r.level, r.scheme));
const statusBadge = (s) => h('span', { class: 'badge rstatus rs-' + s }, tk('rstatus.' + s, s));

export async function responses(main, params, query, ctx) {
  const status = select('status', query.get('status') || '', [['', t('resp.any_status')], ...['active', 'end_proposed', 'ended'].map((s) => [s, tk('rstatus.' + s, s)])]);
  const drill = select('drill', query.get('drill') || '', [['', t('list.drill_any')], ['real', t('list.drill_real')], ['only', t('list.drill_only')]]);
  const form = h('form.filters.noprint', { on: { submit: (ev) => { ev.preventDefault(); ctx.navigate('#/responses' + qs({ status: status.value, drill: drill.value })); } } },
    status, drill, h('button', { type: 'submit' }, t('list.apply')));
  const tbody = h('tbody');
  const cols = [t('resp.col_level'), t('resp.col_ref'), t('col.title'), t('resp.col_starter'), t('col.status'), t('resp.col_started'), t('resp.col_ended')];
  put(main, h('div.page-head', h('h1', t('resp.title')), ctx.isAuthority() ? h('a.button.primary#resp-new', { href: '#/responses/new' }, t('resp.new')) : null),
    h('p.hint', t('resp.hint')), form,
    h('div.scroll', h('table.list#responses', h('thead', h('tr', cols.map((c) => h('th', { scope: 'col' }, c)))), tbody)));
  const items = [];
  let after = 0;
  for (let i = 0; i < 5; i++) {
    const r = await get('/responses' + qs({ status: query.get('status'), drill: query.get('drill'), limit: 200, after: after || undefined }));
    items.push(...r.items);
    if (!r.next_after) break;
    after = r.next_after;
  }
  items.reverse();
  for (const r of items) {
    tbody.appendChild(h('tr', { class: [r.status === 'ended' ? 'lifted' : '', r.drill ? 'drill' : ''].join(' ').trim(), dataset: { id: r.id, ref: r.ref } },
      h('td', levelBadge(r)), h('td', h('a', { href: '#/response/' + r.id }, r.ref)), h('td.title', r.title, ' ', drillBadge(r.drill)),
      h('td', r.starter), h('td', statusBadge(r.status)), h('td', fmtTime(r.started_ms)), h('td', fmtTime(r.ended_ms))));
  }
  if (!items.length) tbody.appendChild(h('tr', h('td', { colspan: cols.length }, t('resp.empty'))));
}

// Which levels this authority may start: the national pack's response_starters by authority type; a city command
// office starts the levels of its city plan (the Jincheng overlay), each decided by the plan's decider.
function startable(ctx) {
  const u = ctx.user;
  if (u.authority_type === 'city_command_office') return { scheme: CITY, levels: ['I', 'II', 'III'], deciders: true };
  const em = (refData().pack && refData().pack.emergency) || {};
  const levels = (em.response_levels || []).map((l) => l.id);
  const mine = new Set((em.response_starters || []).filter((s) => s.type === u.authority_type).map((s) => s.level));
  return { scheme: 'CN-2025', levels, allowed: mine, deciders: false };
}

export async function start(main, params, query, ctx) {
  await loadRef();
  const pow = startable(ctx);
  const level = h('select#r-level', { dataset: { field: 'level' } }, pow.levels.map((l) => h('option', { value: l }, levelName(l, pow.scheme))));
  if (pow.allowed && pow.allowed.size) level.value = [...pow.levels].reverse().find((l) => pow.allowed.has(l)) || pow.levels[0];
  else level.value = pow.levels[pow.levels.length - 1];
  const allowedText = pow.scheme === CITY ? t('resp.rule_city') : pow.allowed && pow.allowed.size
    ? t('resp.rule_hint', { levels: pow.levels.filter((l) => pow.allowed.has(l)).map((l) => levelName(l, pow.scheme)).join('、') }) : t('resp.rule_none');
  const title = h('input#r-title', { maxlength: 200, required: true, dataset: { field: 'title' } });
  const incidents = h('input#r-incidents', { required: true, placeholder: 'CIRS-2026-000001', dataset: { field: 'incidents' }, value: query.get('incident') || '' });
  const warning = h('input#r-warning', { maxlength: 40, placeholder: 'WARN-2026-000001', dataset: { field: 'warning' }, value: query.get('warning') || '' });
  const role = h('select#r-decider-role', { dataset: { field: 'decider.role' } }, h('option', { value: '' }, t('resp.no_decider')), DECIDERS.map((d) => h('option', { value: d }, tk('decider.' + d, d))));
  const name = h('input#r-decider-name', { maxlength: 200, dataset: { field: 'decider.name' } });
  const deciderSet = h('fieldset#r-decider', { dataset: { field: 'decider' } }, h('legend', t('resp.decider')), h('p.hint', t('resp.decider_hint')),
    h('div.row2', field(t('resp.decider_role'), role), field(t('resp.decider_name'), name)));
  const syncRole = () => { // the Jincheng plan: Ⅰ commander, Ⅱ commander or deputy, Ⅲ office director
    if (!pow.deciders) return;
    const fit = { I: ['commander'], II: ['commander', 'deputy_commander'], III: ['office_director'] }[level.value] || DECIDERS;
    for (const o of role.options) if (o.value) o.hidden = !fit.includes(o.value);
    if (!fit.includes(role.value)) role.value = fit[0];
  };
  level.addEventListener('change', syncRole);
  syncRole();
  const box = h('div');
  const form = h('form.card#resp-form', { novalidate: true });
  form.addEventListener('submit', submitting(form, box, async () => {
    const body = { level: level.value, title: title.value.trim(), incidents: codes(incidents.value).map((x) => (/^\d+$/.test(x) ? Number(x) : x)) };
    if (warning.value.trim()) body.warning = warning.value.trim();
    if (role.value || name.value.trim()) body.decider = { role: role.value, name: name.value.trim() };
    const r = await post('/responses', body);
    ctx.toast(t('resp.started', { ref: r.ref }));
    ctx.navigate('#/response/' + r.id);
  }));
  put(form, h('p.note#r-rule', allowedText),
    h('div.row2', field(t('resp.level'), level), field(t('resp.f_title'), title)),
    field(t('resp.incidents'), incidents, t('resp.incidents_hint')),
    pow.deciders ? deciderSet : h('details', h('summary', t('resp.decider_optional')), deciderSet),
    field(t('resp.warning'), warning, t('resp.warning_hint')),
    box, h('div.actions', h('button.primary#r-submit', { type: 'submit' }, t('resp.submit')), h('a.button', { href: '#/responses' }, t('action.cancel'))));
  put(main, h('h1', t('resp.new_title')), form);
  title.focus();
}

export async function detail(main, params, query, ctx) {
  await loadRef();
  const r = await get('/responses/' + encodeURIComponent(params.id));
  const u = ctx.user;
  const starter = ctx.isAuthority() && u.authority === r.starter;
  const reload = () => ctx.navigate('#/response/' + r.id + '?r=' + Date.now());
  // The investigation obligation (after the end): the incidents' obligations of kind investigation for this response.
  let inv = [];
  if (r.status === 'ended') {
    const ob = await get('/obligations' + qs({ limit: 200 })).catch(() => ({ items: [] }));
    inv = ob.items.filter((o) => o.kind === 'investigation' && (o.response_id === r.id || r.incidents.some((i) => i.id === o.incident_id)));
  }
  const updates = (r.updates || []).slice().sort((a, b) => a.at_ms - b.at_ms);
  const events = [
    { at: r.started_ms, kind: 'started', by: r.started_by, text: r.decider ? tk('decider.' + r.decider.role, r.decider.role) + ' ' + r.decider.name : '' },
    ...updates.map((x) => ({ at: x.at_ms, kind: x.kind, text: x.text, by: x.by_user })),
    r.end_proposed_ms ? { at: r.end_proposed_ms, kind: 'end_proposed', by: r.end_proposed_by, text: '' } : null,
    r.ended_ms ? { at: r.ended_ms, kind: 'ended', by: r.ended_by, text: r.summary || '' } : null,
    r.investigation ? { at: r.investigation.submitted_ms || r.investigation.at_ms, kind: 'investigation', by: r.investigation.submitted_by || r.investigation.by_user, text: '' } : null,
  ].filter(Boolean);
  put(main,
    h('h1', levelBadge(r), ' ', h('span#response-title', r.title), ' ', drillBadge(r.drill), ' ', statusBadge(r.status)),
    h('dl.meta#response-meta',
      h('dt', t('resp.col_ref')), h('dd.ref', r.ref),
      h('dt', t('resp.col_starter')), h('dd', r.starter, ' · ', r.started_by),
      h('dt', t('resp.col_started')), h('dd', fmtTime(r.started_ms)),
      h('dt', t('resp.col_ended')), h('dd', fmtTime(r.ended_ms), r.ended_by ? ' · ' + r.ended_by : ''),
      r.decider ? [h('dt', t('resp.decider')), h('dd', tk('decider.' + r.decider.role, r.decider.role), ' ', r.decider.name)] : null,
      r.warning ? [h('dt', t('resp.warning')), h('dd', h('a', { href: '#/warning/' + encodeURIComponent(r.warning) }, r.warning))] : null,
      r.rule && r.rule.source ? [h('dt', t('warn.basis')), h('dd.small', r.rule.source)] : null,
      r.summary ? [h('dt', t('resp.summary')), h('dd', r.summary)] : null),
    h('section', h('h2', t('resp.incidents')), h('div.scroll', h('table.list#response-incidents',
      h('thead', h('tr', [t('col.ref'), t('col.title'), t('col.grade')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', (r.incidents || []).map((i) => h('tr', h('td', h('a', { href: '#/incident/' + i.id }, i.ref)), h('td.title', i.title, ' ', drillBadge(i.drill)), h('td', gradeBadge(i.grade)))))))),
    h('section', h('h2', t('resp.timeline')), h('ol.timeline#response-timeline', events.map((e) => h('li', { class: 'ev-' + e.kind },
      h('time', fmtTime(e.at)), ' ', h('strong', tk('rupdate.' + e.kind, e.kind)), e.by ? h('span.muted', ' ', e.by) : null, e.text ? h('div.text-block', e.text) : null)))));

  if (r.status !== 'ended') main.appendChild(updateForm(r, ctx, reload));
  if (r.status === 'active' && starter) main.appendChild(endForm(r, ctx, reload));
  if (r.status === 'end_proposed' && ctx.hasRole('authority_admin')) main.appendChild(approveForm(r, ctx, reload));
  if (r.status === 'ended') main.appendChild(investigationSection(r, inv, ctx, reload));
  if (r.contacts) {
    main.appendChild(h('section#response-contacts', h('h2', t('resp.contacts', { a: r.starter })), r.contacts.length ? contactsTable(r.contacts) : h('p.muted', t('contacts.empty'))));
  }
  put(main, h('p.actions.noprint', h('button', { type: 'button', on: { click: () => window.print() } }, t('print.print')), h('a.button', { href: '#/responses' }, t('resp.back'))));
}

function updateForm(r, ctx, reload) {
  const kind = h('select#upd-kind', { dataset: { field: 'kind' } }, ['situation', 'progress'].map((k) => h('option', { value: k }, tk('rupdate.' + k, k))));
  if (ctx.isOperator()) kind.value = 'progress';
  const text = h('textarea#upd-text', { rows: 3, maxlength: 5000, required: true, dataset: { field: 'text' } });
  const box = h('div');
  const form = h('form.card.noprint#update-form', { novalidate: true });
  form.addEventListener('submit', submitting(form, box, async () => {
    await post(`/responses/${r.id}/updates`, { kind: kind.value, text: text.value.trim() });
    ctx.toast(t('resp.update_added'));
    reload();
  }));
  put(form, h('h2', t('resp.add_update')), field(t('resp.update_kind'), kind), field(t('resp.update_text'), text), box,
    h('button.primary#upd-submit', { type: 'submit' }, t('resp.add_update')));
  return form;
}

function endForm(r, ctx, reload) {
  const proposing = r.rule && r.rule.end === 'proposal_and_approval';
  const summary = h('textarea#end-summary', { rows: 3, maxlength: 5000, dataset: { field: 'summary' } });
  const box = h('div');
  const form = h('form#end-form', { novalidate: true });
  form.addEventListener('submit', submitting(form, box, async () => {
    await post(`/responses/${r.id}/end`, summary.value.trim() ? { summary: summary.value.trim() } : {});
    ctx.toast(proposing ? t('resp.end_proposed_toast') : t('resp.ended_toast'));
    reload();
  }));
  put(form, h('p.hint', proposing ? t('resp.end_hint_propose') : t('resp.end_hint')), field(t('resp.summary'), summary), box,
    h('button.danger#end-submit', { type: 'submit' }, proposing ? t('resp.propose_end') : t('resp.end')));
  return h('section.noprint#response-end', h('details.inline-form#end', h('summary', proposing ? t('resp.propose_end') : t('resp.end')), form));
}

function approveForm(r, ctx, reload) {
  const box = h('div');
  const form = h('form.card.noprint#approve-form');
  form.addEventListener('submit', submitting(form, box, async () => {
    await post(`/responses/${r.id}/end-approval`, {});
    ctx.toast(t('resp.ended_toast'));
    reload();
  }));
  put(form, h('h2', t('resp.approve_title')), h('p', t('resp.approve_hint', { by: r.end_proposed_by || '' })), box,
    h('button.primary#approve-submit', { type: 'submit' }, t('resp.approve')));
  return form;
}

function investigationSection(r, inv, ctx, reload) {
  const sec = h('section#investigation', h('h2', t('resp.investigation')));
  for (const o of inv) {
    const open = o.status === 'pending' || o.status === 'overdue';
    sec.appendChild(h('p', t('resp.inv_due', { at: fmtTime(o.due_ms), by: o.from_authority || '' }), ' ', open ? countdown(o.due_ms) : h('span.badge.done', statusName(o.status))));
  }
  if (r.investigation) {
    const c = r.investigation.content || r.investigation;
    sec.appendChild(h('table.kv#investigation-report', h('tbody', INVESTIGATION.filter((k) => c[k]).map((k) => h('tr', h('th', { scope: 'row' }, tk('inv.' + k, k)), h('td', c[k]))))));
    const by = r.investigation.submitted_by || r.investigation.by_user;
    if (by) sec.appendChild(h('p.muted', t('resp.inv_by', { by, at: fmtTime(r.investigation.submitted_ms || r.investigation.at_ms) })));
    return sec;
  }
  if (!ctx.isAuthority()) { sec.appendChild(h('p.muted', t('resp.inv_pending'))); return sec; }
  const inputs = {};
  const box = h('div');
  const form = h('form.card.noprint#investigation-form', { novalidate: true });
  form.addEventListener('submit', submitting(form, box, async () => {
    const body = {};
    for (const k of INVESTIGATION) if (inputs[k].value.trim()) body[k] = inputs[k].value.trim();
    await post(`/responses/${r.id}/investigation`, body);
    ctx.toast(t('resp.inv_filed'));
    reload();
  }));
  put(form, h('p.hint', t('resp.inv_hint')),
    INVESTIGATION.map((k) => field(tk('inv.' + k, k) + (k === 'summary' ? ' *' : ''), (inputs[k] = h('textarea', { id: 'inv-' + k, rows: k === 'summary' ? 4 : 2, maxlength: 5000, dataset: { field: k } })))),
    box, h('button.primary#inv-submit', { type: 'submit' }, t('resp.inv_submit')));
  sec.appendChild(form);
  return sec;
}

