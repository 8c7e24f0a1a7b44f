// pages-stats.js — statistics with charts drawn as SVG (no library): incidents by category, grade, province and month,
// on-time rates by obligation kind, time to report. Drills are excluded unless asked.

import { h, put, s, clear } from './dom.js';
import { t, tk } from './i18n.js';
import { get, qs } from './api.js';
import { field } from './pages-common.js';
import { loadRef, categoryName, categoryParent, provinceName, kindName, fmtDuration } from './fmt.js';

// Horizontal bars: rows [{label, value, text?}], max bars shown.
function barChart(title, rows, opts = {}) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const shown = rows.slice(0, opts.limit || 12);
  const rowH = 24, labelW = opts.labelW || 180, width = 640, barW = width - labelW - 70;
  const svg = s('svg', { viewBox: `0 0 ${width} ${Math.max(1, shown.length) * rowH + 8}`, class: 'chart', role: 'img', 'aria-label': title },
    shown.map((r, i) => s('g', { transform: `translate(0 ${i * rowH + 4})` },
      s('text', { x: labelW - 6, y: 16, 'text-anchor': 'end', class: 'lbl' }, clip(r.label, 16)),
      s('rect', { x: labelW, y: 3, height: 16, width: Math.max(1, (r.value / (opts.scale || max)) * barW), class: 'bar ' + (r.cls || '') }),
      s('text', { x: labelW + Math.max(1, (r.value / (opts.scale || max)) * barW) + 6, y: 16, class: 'val' }, r.text ?? String(r.value)))));
  // The same numbers as a table, for screen readers and for copying.
  const table = h('table.list.sr-table', h('caption', title), h('tbody', rows.map((r) => h('tr', h('th', { scope: 'row' }, r.label), h('td', r.text ?? String(r.value))))));
  return h('figure.chart-box', h('figcaption', title), rows.length ? svg : h('p.muted', t('stats.no_data')), h('details', h('summary', t('stats.as_table')), table));
}

// Vertical bars by month.
function monthChart(title, rows) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const width = 640, height = 200, pad = 28, n = Math.max(1, rows.length), bw = (width - pad * 2) / n;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height + 30}`, class: 'chart', role: 'img', 'aria-label': title },
    s('line', { x1: pad, y1: height, x2: width - pad, y2: height, class: 'axis' }),
    rows.map((r, i) => {
      const bh = (r.value / max) * (height - 20);
      return s('g', {}, s('rect', { x: pad + i * bw + 2, y: height - bh, width: Math.max(1, bw - 4), height: bh, class: 'bar' }),
        s('text', { x: pad + i * bw + bw / 2, y: height - bh - 4, 'text-anchor': 'middle', class: 'val' }, String(r.value)),
        (n <= 12 || i % Math.ceil(n / 12) === 0) ? s('text', { x: pad + i * bw + bw / 2, y: height + 16, 'text-anchor': 'middle', class: 'lbl' }, r.label) : null);
    }));
  const table = h('table.list.sr-table', h('caption', title), h('tbody', rows.map((r) => h('tr', h('th', { scope: 'row' }, r.label), h('td', String(r.value))))));
  return h('figure.chart-box.wide', h('figcaption', title), rows.length ? svg : h('p.muted', t('stats.no_data')), h('details', h('summary', t('stats.as_table')), table));
}

function clip(text, n) { text = String(text); return text.length > n ? text.slice(0, n - 1) + '…' : text; }

export async function statistics(main, params, query, ctx) {
  const t0 = performance.now();
  await loadRef();
  const from = h('input#s-from', { type: 'date', value: query.get('from') || '' });
  const to = h('input#s-to', { type: 'date', value: query.get('to') || '' });
  const drills = h('input#s-drills', { type: 'checkbox', checked: query.get('drills') === 'true' });
  const group = h('input#s-group', { type: 'checkbox', checked: query.get('sub') !== 'true' });
  const form = h('form.filters', { on: { submit: (ev) => {
    ev.preventDefault();
    ctx.navigate('#/stats' + qs({ from: from.value, to: to.value, drills: drills.checked ? 'true' : '', sub: group.checked ? '' : 'true' }));
  } } }, field(t('stats.from'), from), field(t('stats.to'), to), h('label.inline', drills, ' ', t('stats.drills')),
  h('label.inline', group, ' ', t('stats.group_categories')), h('button', { type: 'submit' }, t('list.apply')));
  const body = h('div.charts#charts');
  const stamp = h('p.muted#stats-time');
  put(main, h('h1', t('stats.title')), form, stamp, body);
  const st = await get('/statistics' + qs({
    from: query.get('from') ? query.get('from') + 'T00:00:00+08:00' : '', to: query.get('to') ? query.get('to') + 'T00:00:00+08:00' : '', drills: query.get('drills') }));
  let cats = st.by_category.map((r) => ({ code: r.key, value: r.count }));
  if (query.get('sub') !== 'true') {
    const m = new Map();
    for (const c of cats) { const p = categoryParent(c.code); m.set(p, (m.get(p) || 0) + c.value); }
    cats = [...m.entries()].map(([code, value]) => ({ code, value })).sort((a, b) => b.value - a.value);
  }
  const GRADE_CLS = { '特别重大': 'g4', '重大': 'g3', '较大': 'g2', '一般': 'g1' };
  const ob = st.obligations || {};
  const rate = Object.entries(ob).filter(([, v]) => v.on_time_rate !== null && v.on_time_rate !== undefined)
    .map(([k, v]) => ({ label: kindName(k), value: v.on_time_rate * 100, text: `${(v.on_time_rate * 100).toFixed(1)}% (${v.met}/${v.met + v.late + v.overdue})`, cls: v.on_time_rate < 0.9 ? 'bad' : 'good' }));
  const ttr = st.time_to_report || { buckets: [] };
  put(clear(body), 
    h('div.kpis', h('div.kpi', h('div.kpi-v#stats-total', String(st.total)), h('div.kpi-l', t('stats.total'))),
      h('div.kpi', h('div.kpi-v', ob.initial && ob.initial.on_time_rate !== null && ob.initial.on_time_rate !== undefined ? (ob.initial.on_time_rate * 100).toFixed(1) + '%' : '—'), h('div.kpi-l', t('stats.on_time_initial'))),
      h('div.kpi', h('div.kpi-v', ttr.mean_ms ? fmtDuration(ttr.mean_ms) : '—'), h('div.kpi-l', t('stats.mean_ttr'))),
      h('div.kpi', h('div.kpi-v', st.drills_included ? t('stats.yes') : t('stats.no')), h('div.kpi-l', t('stats.drills_in')))),
    barChart(t('stats.by_grade'), st.by_grade.map((r) => ({ label: tk('grade.' + r.key, r.key), value: r.count, cls: GRADE_CLS[r.key] }))),
    barChart(t('stats.by_category'), cats.map((c) => ({ label: categoryName(c.code), value: c.value })), { labelW: 220 }),
    barChart(t('stats.by_province'), st.by_province.map((r) => ({ label: provinceName(r.key), value: r.count })), { limit: 31 }),
    monthChart(t('stats.by_month'), st.by_month.map((r) => ({ label: r.key, value: r.count }))),
    barChart(t('stats.on_time'), rate, { scale: 100, labelW: 160 }),
    barChart(t('stats.ttr'), ttr.buckets.map((b) => ({ label: tk('bucket.' + b.key, b.key), value: b.count }))));
  const ms = Math.round(performance.now() - t0);
  stamp.textContent = t('stats.rendered', { ms });
  document.body.dataset.statsRendered = String(ms);
}
