// pages-operator.js — the report wizard with its live grade preview, the receipt page, "my clocks", and the
// supplement / final report form.

import { h, put, clear, debounce, uuid } from './dom.js';
import { t, tk, getLang } from './i18n.js';
import { get, post, qs } from './api.js';
import { field, errorBox, obligationsTable } from './pages-common.js';
import { fmtTime, fmtIso, gradeBadge, countdown, dueMs, refData, loadRef, localToRfc3339, rfcToLocal, recipientName, kindName, categoryName } from './fmt.js';

// Measures art. 7: the report items, by item number; `req` marks the ones the initial report needs.
export const CONTENT_ITEMS = [
  [1, ['reporting_unit', 'contact', 'affected_system']],
  [2, ['place', 'impact', 'measures_taken', 'measures_effect']],
  [3, ['development']],
  [4, ['cause']],
  [5, ['attacker', 'attack_path', 'vulnerabilities']],
  [6, ['further_measures', 'support_requested']],
  [7, ['scene_preservation']],
  [8, ['other']],
];
const REQUIRED = ['affected_system', 'impact'];
const STEPS = ['category', 'facts', 'content', 'review'];
const RANSOM_KEYS = ['amount', 'currency', 'method', 'demanded_at'];

function draftKey(ctx) { return 'cirs.draft.' + ctx.user.username; }

function emptyDraft() {
  return { key: uuid(), step: 0, category: '', category_from: '', title: '', aware_at: rfcToLocal(), occurred_at: '', facts: {}, ransom: {},
    suspected_crime: false, declared_grade: '', declared_reason: '', drill: false, content: {}, organisation: '', channel: 'phone' };
}

// The engine's input from the draft (shared by the preview and the filing).
function assessInput(d) {
  const facts = {};
  const pack = refData().pack;
  for (const [name, v] of Object.entries(d.facts)) {
    if (v === '' || v === null || v === undefined) continue;
    const def = pack && pack.facts[name];
    facts[name] = def && def.type === 'number' ? Number(v) : v;
  }
  const ransom = {};
  for (const k of RANSOM_KEYS) if (d.ransom[k] !== undefined && d.ransom[k] !== '') ransom[k] = k === 'amount' ? Number(d.ransom[k]) : k === 'demanded_at' ? localToRfc3339(d.ransom[k]) : d.ransom[k];
  if (Object.keys(ransom).length) facts.ransom = ransom;
  const input = { aware_at: localToRfc3339(d.aware_at), category: d.category, facts };
  if (d.suspected_crime) input.suspected_crime = true;
  if (d.declared_grade) { input.declared_grade = d.declared_grade; input.declared_reason = d.declared_reason; }
  return input;
}

function reportDoc(d, ctx) {
  const doc = { title: d.title.trim(), ...assessInput(d), content: {} };
  if (d.occurred_at) doc.occurred_at = localToRfc3339(d.occurred_at);
  if (d.drill) doc.drill = true;
  for (const [k, v] of Object.entries(d.content)) if (v && v.trim()) doc.content[k] = v.trim();
  if (ctx.hasRole('duty_officer')) { doc.organisation = d.organisation.trim(); doc.channel = d.channel; }
  return doc;
}

// The live preview: grade, reasons, decisions needed, obligations with deadlines.
function previewPanel() {
  const body = h('div#preview-body', h('p.muted', t('preview.empty')));
  const panel = h('aside.preview.card', { 'aria-live': 'polite', 'aria-labelledby': 'preview-h' }, h('h2#preview-h', t('preview.title')), body);
  let ctrl = null;
  async function update(d) {
    if (!d.category || !d.aware_at) { clear(body).appendChild(h('p.muted', t('preview.empty'))); return; }
    if (ctrl) ctrl.abort();
    ctrl = new AbortController();
    panel.classList.add('busy');
    try {
      const a = await post('/assess', assessInput(d), { signal: ctrl.signal });
      clear(body);
      put(body, 
        h('p.grade-line', t('preview.grade'), ' ', h('span#preview-grade', { dataset: { grade: a.grade } }, gradeBadge(a.grade)),
          a.computed_grade && a.computed_grade !== a.grade ? h('span.muted', ' ', t('preview.computed', { g: tk('grade.' + a.computed_grade, a.computed_grade) })) : null),
        h('p', a.reportable ? t('preview.reportable') : t('preview.not_reportable')),
        h('h3', t('preview.reasons')),
        a.reasons && a.reasons.length ? h('ul#preview-reasons', a.reasons.map((r) => h('li', factLabel(r.fact), ' ', r.op || '', ' ', fmtNum(r.threshold), ' → ',
          tk('grade.' + r.grade, r.grade), h('span.muted', ' (', r.source, ')')))) : h('p.muted', t('preview.no_reasons')),
        a.decisions_needed && a.decisions_needed.length ? h('div.warn', h('strong', t('preview.decisions')), ' ', a.decisions_needed.map((x) => typeof x === 'string' ? x : (x.fact || x.criterion || JSON.stringify(x))).join('、')) : null,
        h('h3', t('preview.deadlines')),
        h('ul.deadlines#preview-deadlines', (a.obligations || []).map((o) => h('li', h('strong', kindName(o.kind)), ' → ', (o.to || []).map(recipientName).join('、'), ' ',
          o.due ? [h('span', t('preview.due'), ' ', fmtTime(o.due)), ' ', countdown(Date.parse(o.due))] : h('span.muted', t('obl.starts_at', { e: tk('rel.' + o.relative_to, o.relative_to) }), ' ', t('preview.within', { d: fmtIso(o.max) }))))));
    } catch (e) {
      if (e.name === 'AbortError') return;
      clear(body).appendChild(errorBox(e));
    } finally { panel.classList.remove('busy'); }
  }
  return { panel, update: debounce(update, 300) };
}

function fmtNum(n) { return typeof n === 'number' ? n.toLocaleString(getLang() === 'en' ? 'en' : 'zh-CN') : (n ?? ''); }
function factLabel(name) {
  const def = refData().pack && refData().pack.facts[name];
  return def ? (getLang() === 'en' ? def.en : def.zh) : name;
}

function categoryPicker(d, onPick) {
  const tx = refData().taxonomy;
  const search = h('input#cat-search', { type: 'search', placeholder: t('wizard.cat_search'), 'aria-label': t('wizard.cat_search'), autocomplete: 'off' });
  const chosen = h('p.chosen#cat-chosen');
  const list = h('div.catlist', { role: 'group', 'aria-label': t('wizard.category') });
  const buttons = [];
  const en = getLang() === 'en';
  function btn(code, label, extra, from) {
    const b = h('button.cat', { type: 'button', dataset: { code, search: `${code} ${label} ${extra || ''}`.toLowerCase() }, 'aria-pressed': 'false',
      on: { click: () => { d.category = code; d.category_from = from || ''; paint(); onPick(); } } }, h('code', code), ' ', label, extra ? h('span.muted', ' ', extra) : null);
    buttons.push(b);
    return b;
  }
  for (const c of tx.categories) {
    list.appendChild(h('div.catgroup', h('h3', btn(c.code, en ? c.en : c.zh, en ? c.zh : c.en)),
      h('div.subs', (c.subcategories || []).map((sc) => btn(sc.code, en ? sc.en : sc.zh, en ? sc.zh : sc.en)))));
  }
  const legacy = (tx.legacy && tx.legacy.mappings) || [];
  list.appendChild(h('div.catgroup.legacy', h('h3', t('wizard.legacy'), ' ', h('span.muted', tx.legacy ? tx.legacy.id : '')),
    h('div.subs', legacy.map((m) => btn(m.code, m.zh, '→ ' + m.code, m.zh)))));
  function paint() {
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.code === d.category && (!d.category_from || b.textContent.includes(d.category_from))));
    put(clear(chosen), d.category ? [t('wizard.chosen'), ' ', h('strong', categoryName(d.category)), d.category_from ? h('span.muted', ' (2007：', d.category_from, ')') : null] : t('wizard.none_chosen'));
  }
  search.addEventListener('input', () => {
    const q = search.value.trim().toLowerCase();
    for (const b of buttons) b.hidden = !!q && !b.dataset.search.includes(q);
    for (const g of list.children) g.hidden = !!q && ![...g.querySelectorAll('button.cat')].some((b) => !b.hidden);
  });
  paint();
  return h('div', search, chosen, list);
}

function factInputs(d, changed) {
  const pack = refData().pack;
  const rows = [];
  for (const [name, def] of Object.entries(pack.facts)) {
    if (def.type === 'ransom') continue;
    const label = getLang() === 'en' ? def.en : def.zh;
    let input;
    if (def.type === 'enum') {
      input = h('select', { name: 'fact-' + name }, h('option', { value: '' }, t('wizard.not_applicable')),
        def.values.map((v) => h('option', { value: v }, tk('fact.' + name + '.' + v, v))));
      input.value = d.facts[name] || '';
    } else {
      input = h('input', { name: 'fact-' + name, type: 'number', min: 0, max: def.max, step: 'any', inputmode: 'decimal', value: d.facts[name] ?? '' });
    }
    input.addEventListener('input', () => { d.facts[name] = input.value; changed(); });
    const unit = def.unit ? h('span.unit', tk('unit.' + def.unit, def.unit)) : null;
    const hint = def.qualitative ? t('wizard.qualitative') : null;
    rows.push(h('div.field.fact', h('label', { for: 'fact-' + name }, label), h('div.with-unit', Object.assign(input, { id: 'fact-' + name }), unit), hint ? h('small.hint', hint) : null));
  }
  return rows;
}

function ransomFields(d, changed) {
  const mk = (k, attrs) => {
    const el = h(k === 'method' || k === 'currency' ? 'input' : 'input', { id: 'ransom-' + k, name: 'ransom-' + k, ...attrs, value: d.ransom[k] ?? '' });
    el.addEventListener('input', () => { d.ransom[k] = el.value; changed(); });
    return el;
  };
  return h('fieldset.ransom#ransom', h('legend', t('wizard.ransom')),
    h('p.hint', t('wizard.ransom_hint')),
    field(t('ransom.amount'), mk('amount', { type: 'number', min: 0, step: 'any' })),
    field(t('ransom.currency'), mk('currency', { maxlength: 16, placeholder: 'BTC / USDT / CNY' })),
    field(t('ransom.method'), mk('method', { maxlength: 200 })),
    field(t('ransom.demanded_at'), mk('demanded_at', { type: 'datetime-local' }), t('time.beijing')));
}

export function contentFields(d, changed, required) {
  return CONTENT_ITEMS.map(([n, keys]) => h('fieldset.item', h('legend', t('item.' + n)),
    keys.map((k) => {
      const ta = h('textarea', { id: 'c-' + k, name: k, rows: k === 'impact' || k === 'affected_system' ? 3 : 2, maxlength: 20000, required: required && REQUIRED.includes(k) ? true : null, value: d.content[k] || '' });
      ta.addEventListener('input', () => { d.content[k] = ta.value; changed(); });
      return field(t('content.' + k) + (required && REQUIRED.includes(k) ? ' *' : ''), ta);
    })));
}

export async function wizard(main, params, query, ctx) {
  await loadRef();
  let d = emptyDraft();
  const saved = localStorage.getItem(draftKey(ctx));
  let restored = false;
  if (saved) { try { d = { ...d, ...JSON.parse(saved) }; restored = true; } catch (e) { /* a broken draft is dropped */ } }
  const preview = previewPanel();
  const save = debounce(() => localStorage.setItem(draftKey(ctx), JSON.stringify(d)), 400);
  const changed = () => { save(); preview.update(d); };
  const stepNav = h('ol.steps');
  const body = h('div.step-body');
  const msg = h('div');
  const back = h('button', { type: 'button', id: 'wiz-back', on: { click: () => go(d.step - 1) } }, t('wizard.back'));
  const next = h('button.primary', { type: 'button', id: 'wiz-next', on: { click: () => go(d.step + 1) } }, t('wizard.next'));
  const submit = h('button.primary', { type: 'button', id: 'wiz-submit', on: { click: file } }, t('wizard.submit'));
  const saveBtn = h('button', { type: 'button', id: 'wiz-save', on: { click: () => { save.flush(); ctx.toast(t('wizard.saved')); } } }, t('wizard.save_draft'));
  const discard = h('button.link', { type: 'button', on: { click: () => { if (confirm(t('wizard.discard_confirm'))) { localStorage.removeItem(draftKey(ctx)); d = emptyDraft(); go(0); preview.update(d); } } } }, t('wizard.discard'));

  function stepValid(i) {
    if (i === 0) return d.category ? '' : t('wizard.need_category');
    if (i === 1) {
      if (!d.title.trim()) return t('wizard.need_title');
      if (!d.aware_at) return t('wizard.need_aware');
      if (ctx.hasRole('duty_officer') && !d.organisation.trim()) return t('wizard.need_org');
    }
    if (i === 2) for (const k of REQUIRED) if (!(d.content[k] || '').trim()) return t('wizard.need_item', { item: t('content.' + k) });
    return '';
  }

  function go(i) {
    if (i < 0 || i >= STEPS.length) return;
    for (let k = d.step; k < i; k++) {
      const err = stepValid(k);
      if (err) { clear(msg).appendChild(h('p.error', { role: 'alert' }, err)); return; }
    }
    clear(msg);
    d.step = i;
    save();
    paint();
    const first = body.querySelector('input, select, textarea, button');
    if (first) first.focus();
  }

  function paint() {
    clear(stepNav);
    STEPS.forEach((s, i) => stepNav.appendChild(h('li', { class: i === d.step ? 'current' : i < d.step ? 'done' : '', 'aria-current': i === d.step ? 'step' : null },
      h('button.link', { type: 'button', on: { click: () => go(i) } }, `${i + 1}. ${t('wizard.step_' + s)}`))));
    clear(body);
    const s = STEPS[d.step];
    if (s === 'category') put(body, h('h2', t('wizard.step_category')), categoryPicker(d, () => { changed(); if (d.category === 'MPRANS') ctx.toast(t('wizard.ransom_note')); }));
    if (s === 'facts') put(body, h('h2', t('wizard.step_facts')), factsStep());
    if (s === 'content') put(body, h('h2', t('wizard.step_content')), h('p.hint', t('wizard.content_hint')), contentFields(d, changed, true));
    if (s === 'review') put(body, h('h2', t('wizard.step_review')), review());
    back.hidden = d.step === 0;
    next.hidden = d.step === STEPS.length - 1;
    submit.hidden = d.step !== STEPS.length - 1;
  }

  function factsStep() {
    const title = h('input#title', { name: 'title', maxlength: 200, required: true, value: d.title });
    title.addEventListener('input', () => { d.title = title.value; save(); });
    const aware = h('input#aware_at', { name: 'aware_at', type: 'datetime-local', required: true, value: d.aware_at });
    aware.addEventListener('input', () => { d.aware_at = aware.value; changed(); });
    const occurred = h('input#occurred_at', { name: 'occurred_at', type: 'datetime-local', value: d.occurred_at });
    occurred.addEventListener('input', () => { d.occurred_at = occurred.value; save(); });
    const crime = h('input#suspected_crime', { type: 'checkbox', checked: d.suspected_crime });
    crime.addEventListener('change', () => { d.suspected_crime = crime.checked; changed(); });
    const drill = h('input#drill', { type: 'checkbox', checked: d.drill });
    drill.addEventListener('change', () => { d.drill = drill.checked; save(); });
    const dg = h('select#declared_grade', h('option', { value: '' }, t('wizard.no_declared')), ['特别重大', '重大', '较大', '一般'].map((g) => h('option', { value: g }, tk('grade.' + g, g))));
    dg.value = d.declared_grade;
    const dr = h('textarea#declared_reason', { rows: 2, maxlength: 2000, value: d.declared_reason });
    dg.addEventListener('change', () => { d.declared_grade = dg.value; changed(); });
    dr.addEventListener('input', () => { d.declared_reason = dr.value; changed(); });
    const duty = ctx.hasRole('duty_officer') ? (() => {
      const org = h('input#organisation', { value: d.organisation, maxlength: 64, required: true });
      org.addEventListener('input', () => { d.organisation = org.value; save(); });
      const ch = h('select#channel', ['phone', 'fax', 'in_person', 'email'].map((c) => h('option', { value: c }, tk('channel.' + c, c))));
      ch.value = d.channel;
      ch.addEventListener('change', () => { d.channel = ch.value; save(); });
      return h('fieldset', h('legend', t('wizard.on_behalf')), field(t('wizard.org_code'), org), field(t('wizard.channel'), ch));
    })() : null;
    return h('div', duty,
      field(t('wizard.title'), title),
      h('div.row2', field(t('wizard.aware_at'), aware, t('wizard.aware_hint')), field(t('wizard.occurred_at'), occurred, t('time.beijing'))),
      h('fieldset.facts', h('legend', t('wizard.facts')), h('p.hint', t('wizard.facts_hint')), h('div.grid', factInputs(d, changed))),
      d.category.startsWith('MPRANS') || Object.keys(d.ransom).length ? ransomFields(d, changed) : h('details', h('summary', t('wizard.ransom')), ransomFields(d, changed)),
      h('fieldset', h('legend', t('wizard.more')),
        h('label.inline', crime, ' ', t('wizard.suspected_crime')),
        field(t('wizard.declared_grade'), dg, t('wizard.declared_hint')), field(t('wizard.declared_reason'), dr),
        h('label.inline', drill, ' ', t('wizard.drill'))));
  }

  function review() {
    const doc = reportDoc(d, ctx);
    const rows = [[t('wizard.title'), doc.title], [t('col.category'), categoryName(doc.category)], [t('wizard.aware_at'), fmtTime(doc.aware_at)],
      [t('wizard.occurred_at'), doc.occurred_at ? fmtTime(doc.occurred_at) : '—'],
      [t('wizard.facts'), Object.entries(doc.facts).filter(([k]) => k !== 'ransom').map(([k, v]) => `${factLabel(k)}: ${fmtNum(v)}`).join('；') || '—'],
      [t('wizard.ransom'), doc.facts.ransom ? JSON.stringify(doc.facts.ransom) : '—'],
      ...Object.entries(doc.content).map(([k, v]) => [t('content.' + k), v])];
    const missing = CONTENT_ITEMS.flatMap(([, keys]) => keys).filter((k) => !doc.content[k]);
    return h('div', h('table.kv', h('tbody', rows.map(([k, v]) => h('tr', h('th', { scope: 'row' }, k), h('td', String(v)))))),
      missing.length ? h('p.hint', t('wizard.later_items'), ' ', missing.map((k) => t('content.' + k)).join('、')) : null,
      doc.drill ? h('p.warn', t('wizard.is_drill')) : null);
  }

  async function file() {
    for (let k = 0; k < 3; k++) { const err = stepValid(k); if (err) { clear(msg).appendChild(h('p.error', { role: 'alert' }, err)); return; } }
    submit.disabled = true;
    clear(msg);
    try {
      const r = await post('/incidents', reportDoc(d, ctx), { idempotencyKey: d.key });
      localStorage.removeItem(draftKey(ctx));
      sessionStorage.setItem('cirs.filed.' + r.id, JSON.stringify(r));
      ctx.navigate('#/receipt/' + r.id);
    } catch (e) {
      msg.appendChild(errorBox(e));
      submit.disabled = false;
    }
  }

  put(main, h('h1', t('wizard.heading')),
    restored ? h('p.note', t('wizard.restored'), ' ', discard) : null,
    h('div.wizard', h('section.card.wizard-main', h('nav', { 'aria-label': t('wizard.steps') }, stepNav), body, msg,
      h('div.actions', back, next, submit, saveBtn)), preview.panel));
  paint();
  preview.update(d);
  return () => save.flush();
}

export async function receipt(main, params, query, ctx) {
  let filed = null;
  try { filed = JSON.parse(sessionStorage.getItem('cirs.filed.' + params.id) || 'null'); } catch (e) { filed = null; }
  const inc = await get('/incidents/' + encodeURIComponent(params.id));
  const open = (inc.obligations || []).filter((o) => o.status === 'pending' || o.status === 'overdue');
  put(main, h('section.card.receipt#receipt',
    h('h1', t('receipt.title')),
    h('p', t('receipt.number')), h('p.big#receipt-ref', inc.ref),
    h('p', t('receipt.grade'), ' ', gradeBadge(inc.grade), inc.drill ? h('span.badge.drill', t('incident.drill')) : null),
    h('p.muted', t('receipt.filed_at'), ' ', fmtTime(inc.created_ms)),
    filed && filed.items_to_supplement && filed.items_to_supplement.length ? h('p.hint', t('receipt.to_supplement'), ' ', filed.items_to_supplement.map((k) => tk('content.' + k, k)).join('、')) : null,
    h('h2', t('receipt.clocks')), obligationsTable(open),
    h('p.actions', h('a.button', { href: '#/incident/' + inc.id }, t('receipt.open')), ' ',
      h('a.button', { href: '#/print/' + inc.id + '/report' }, t('incident.print_report')), ' ',
      h('a.button', { href: '#/clocks' }, t('nav.clocks')))));
}

export async function clocks(main, params, query, ctx) {
  const box = h('div');
  put(main, h('h1', t('clocks.title')), h('p.hint', t('clocks.hint')), box);
  async function load() {
    const [over, pend] = await Promise.all([get('/obligations' + qs({ status: 'overdue', limit: 200 })), get('/obligations' + qs({ status: 'pending', limit: 200 }))]);
    const list = [...over.items, ...pend.items].filter((o) => dueMs(o)).sort((a, b) => dueMs(a) - dueMs(b));
    const waiting = pend.items.filter((o) => !dueMs(o));
    put(clear(box), obligationsTable(list, { ref: true }),
      waiting.length ? h('details', h('summary', t('clocks.waiting', { n: waiting.length })), obligationsTable(waiting, { ref: true })) : null);
  }
  await load();
  const timer = setInterval(() => load().catch(() => {}), 60000);
  return () => clearInterval(timer);
}

export async function followup(main, params, query, ctx) {
  await loadRef();
  const inc = await get('/incidents/' + encodeURIComponent(params.id));
  const kind = params.kind === 'final' ? 'final' : 'supplement';
  const last = (inc.reports || [])[inc.reports.length - 1] || {};
  const d = { content: {}, facts: {}, handling_ended_at: '' };
  for (const [, keys] of CONTENT_ITEMS) for (const k of keys) if (last.content && typeof last.content[k] === 'string') d.content[k] = last.content[k];
  const prevFacts = (last.content && last.content.facts) || {};
  const msg = h('div');
  const ended = h('input#handling_ended_at', { type: 'datetime-local' });
  const factBox = h('div.grid', factInputs({ facts: d.facts }, () => {}));
  const key = uuid();
  const form = h('form.card', { on: { submit: async (ev) => {
    ev.preventDefault();
    clear(msg);
    const body = { kind, content: {} };
    for (const [k, v] of Object.entries(d.content)) if (v && v.trim() && v !== (last.content || {})[k]) body.content[k] = v.trim();
    const facts = {};
    for (const [k, v] of Object.entries(d.facts)) if (v !== '' && v !== undefined) facts[k] = isNaN(Number(v)) ? v : Number(v);
    if (Object.keys(facts).length) body.facts = facts;
    if (ended.value) body.handling_ended_at = localToRfc3339(ended.value);
    try {
      const r = await post(`/incidents/${inc.id}/reports`, body, { idempotencyKey: key });
      ctx.toast(t('followup.filed', { v: r.version ?? '' }));
      ctx.navigate('#/incident/' + inc.id);
    } catch (e) { msg.appendChild(errorBox(e)); }
  } } },
  h('p.hint', kind === 'final' ? t('followup.final_hint') : t('followup.supplement_hint')),
  h('p', t('followup.current_facts'), ' ', Object.keys(prevFacts).length ? JSON.stringify(prevFacts) : '—'),
  field(t('followup.handling_ended_at'), ended, t('followup.handling_hint')),
  h('fieldset.facts', h('legend', t('followup.new_facts')), factBox),
  contentFields(d, () => {}, false),
  msg, h('button.primary#followup-submit', { type: 'submit' }, kind === 'final' ? t('followup.submit_final') : t('followup.submit_supplement')));
  put(main, h('h1', kind === 'final' ? t('followup.final_title') : t('followup.supplement_title')), h('p', h('a', { href: '#/incident/' + inc.id }, inc.ref), ' ', inc.title), form);
}
