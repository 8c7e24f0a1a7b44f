// pages-contacts.js — duty contact lists (联络表, issue 5 API): the own authority's list (or, for the authorities above
// it and the national office, another authority's by code), the CSV download, and for the authority's admin an
// editor that replaces the whole list (rows edited in place, or read from a CSV file of the same layout first).

import { h, put, clear } from './dom.js';
import { t } from './i18n.js';
import { get, post, qs } from './api.js';
import { fmtTime } from './fmt.js';
import { submitting } from './forms.js';

export const COLS = ['unit', 'duty_phone', 'contact', 'mobile', 'email', 'note'];

export function contactsTable(items) {
  return h('div.scroll', h('table.list.contacts', h('thead', h('tr', COLS.map((c) => h('th', { scope: 'col' }, t('contacts.' + c))))),
    h('tbody', items.map((c) => h('tr', COLS.map((k) => h('td', k === 'duty_phone' || k === 'mobile' ? (c[k] ? h('a', { href: 'tel:' + c[k].replace(/[^\d+-]/g, '') }, c[k]) : '') : (c[k] || ''))))))));
}

// RFC 4180 CSV (the layout of GET /contacts?format=csv: 单位,值班电话,联系人,手机,邮箱,备注; a BOM and the header are skipped).
export function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', q = false;
  text = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') q = false; else cell += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(cell); cell = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); cell = '';
      if (row.some((x) => x.trim())) rows.push(row);
      row = [];
    } else cell += ch;
  }
  row.push(cell);
  if (row.some((x) => x.trim())) rows.push(row);
  if (rows.length && /单位|unit/i.test(rows[0][0])) rows.shift();
  return rows.map((r) => Object.fromEntries(COLS.map((k, i) => [k, (r[i] || '').trim()])));
}

export async function contacts(main, params, query, ctx) {
  const u = ctx.user;
  const code = query.get('authority') || '';
  const who = h('input#ct-authority', { value: code, placeholder: u.authority || 'jc-command', 'aria-label': t('contacts.authority') });
  const pick = h('form.filters.noprint', { on: { submit: (ev) => { ev.preventDefault(); ctx.navigate('#/contacts' + qs({ authority: who.value.trim() === u.authority ? '' : who.value.trim() })); } } },
    h('label', { for: 'ct-authority' }, t('contacts.authority')), who, h('button', { type: 'submit' }, t('contacts.show')));
  const r = await get('/contacts' + qs({ authority: code }));
  const updated = r.items.reduce((m, c) => (Number(c.updated_ms) > (m.ms || 0) ? { ms: Number(c.updated_ms), by: c.updated_by } : m), {});
  const canEdit = (ctx.hasRole('authority_admin') && r.authority === u.authority) || ctx.hasRole('system_admin');
  const body = h('div#contacts-body');
  put(main, h('div.page-head', h('h1', t('contacts.title')), h('span.muted#contacts-authority', r.authority)),
    h('p.hint', t('contacts.hint')), pick,
    h('p.actions.noprint', h('a.button#contacts-csv', { href: '/api/v1/contacts' + qs({ authority: code, format: 'csv' }), download: '' }, t('contacts.csv')),
      h('button', { type: 'button', on: { click: () => window.print() } }, t('print.print')),
      canEdit ? h('button.primary#contacts-edit', { type: 'button', on: { click: () => edit(r.items) } }, t('contacts.edit')) : null),
    updated.ms ? h('p.muted', t('contacts.updated', { at: fmtTime(updated.ms), by: updated.by || '' }), ' · ', t('contacts.count', { n: r.items.length })) : null,
    body);
  const view = () => put(clear(body), r.items.length ? contactsTable(r.items) : h('p.muted#contacts-empty', t('contacts.empty')));
  view();

  function edit(items) {
    const tbody = h('tbody');
    const addRow = (c = {}) => {
      const tr = h('tr');
      for (const k of COLS) tr.appendChild(h('td', h('input', { value: c[k] || '', maxlength: 200, name: k, 'aria-label': t('contacts.' + k), required: k === 'unit' ? true : null })));
      tr.appendChild(h('td', h('button.small', { type: 'button', 'aria-label': t('contacts.remove'), on: { click: () => { tr.remove(); number(); } } }, '✕')));
      tbody.appendChild(tr);
      number();
      return tr;
    };
    // data-field="contacts[i].unit" on each input, so the server's refusal shows next to that cell.
    const number = () => [...tbody.children].forEach((tr, i) => tr.querySelectorAll('input').forEach((el) => { el.dataset.field = `contacts[${i}].${el.name}`; }));
    for (const c of items) addRow(c);
    const file = h('input#contacts-file', { type: 'file', accept: '.csv,text/csv' });
    file.addEventListener('change', async () => {
      const f = file.files[0];
      if (!f) return;
      const rows = parseCsv(await f.text());
      clear(tbody);
      rows.forEach((c) => addRow(c));
      ctx.toast(t('contacts.csv_loaded', { n: rows.length }));
    });
    const box = h('div');
    const form = h('form#contacts-form', { novalidate: true, dataset: { field: 'contacts' } });
    form.addEventListener('submit', submitting(form, box, async () => {
      const list = [...tbody.children].map((tr) => {
        const c = {};
        for (const el of tr.querySelectorAll('input')) if (el.value.trim()) c[el.name] = el.value.trim();
        return c;
      }).filter((c) => Object.keys(c).length);
      const out = await post('/contacts', { authority: r.authority, contacts: list });
      r.items = out.items;
      ctx.toast(t('contacts.saved', { n: out.items.length }));
      ctx.navigate('#/contacts' + qs({ authority: code, r: Date.now() }));
    }));
    put(form, h('p.hint', t('contacts.edit_hint')),
      h('div.scroll', h('table.list.contacts-edit', h('thead', h('tr', COLS.map((c) => h('th', { scope: 'col' }, t('contacts.' + c))), h('th', h('span.sr', t('col.actions'))))), tbody)),
      h('div.actions', h('button#contacts-add', { type: 'button', on: { click: () => addRow().querySelector('input').focus() } }, t('contacts.add')),
        h('label', { for: 'contacts-file' }, t('contacts.import')), file),
      box,
      h('div.actions', h('button.primary#contacts-save', { type: 'submit' }, t('contacts.save')), h('button', { type: 'button', on: { click: view } }, t('action.cancel'))));
    put(clear(body), form);
    const first = tbody.querySelector('input');
    if (first) first.focus();
  }
}
