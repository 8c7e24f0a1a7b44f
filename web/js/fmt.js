// fmt.js — times (shown in Beijing time), durations, countdowns, grade badges, names of codes.

import { h } from './dom.js';
import { t, tk, getLang } from './i18n.js';

const TZ = 'Asia/Shanghai';
let ref = { taxonomy: null, pack: null };

// Reference data the wizard and the statistics read: the taxonomy and the national rule pack (facts, provinces).
export async function loadRef() {
  if (ref.taxonomy) return ref;
  const [tx, pk] = await Promise.all([fetch('/ui/taxonomy.json').then((r) => r.json()), fetch('/ui/rules-cn.json').then((r) => r.json())]);
  ref = { taxonomy: tx, pack: pk };
  return ref;
}
export function refData() { return ref; }

export function fmtTime(ms) {
  if (ms === null || ms === undefined || ms === '') return '—';
  const d = typeof ms === 'string' ? new Date(ms) : new Date(Number(ms));
  if (isNaN(d)) return String(ms);
  return new Intl.DateTimeFormat(getLang() === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  }).format(d);
}

// "2026-11-22T09:30" (a datetime-local value, read as Beijing time) -> RFC 3339 with +08:00.
export function localToRfc3339(v) {
  if (!v) return '';
  return (v.length === 16 ? v + ':00' : v) + '+08:00';
}
// Now (or ms) as a datetime-local value in Beijing time.
export function rfcToLocal(ms) {
  const d = new Date((ms === undefined ? Date.now() : ms) + 8 * 3600e3);
  return d.toISOString().slice(0, 16);
}

// 3 h 05 min / 2 d 4 h / 45 s.
export function fmtDuration(ms) {
  const neg = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hh = Math.floor(s / 3600); s -= hh * 3600;
  const mm = Math.floor(s / 60); s -= mm * 60;
  let out;
  if (d) out = t('dur.dh', { d, h: hh });
  else if (hh) out = t('dur.hm', { h: hh, m: String(mm).padStart(2, '0') });
  else if (mm) out = t('dur.ms', { m: mm, s: String(s).padStart(2, '0') });
  else out = t('dur.s', { s });
  return neg ? '-' + out : out;
}

export const SOON_MS = 15 * 60 * 1000;

// A live countdown to due (ms): the ticker in app.js refreshes every element with data-due each second.
export function countdown(due, done) {
  const el = h('span.countdown', { dataset: { due: String(due) }, role: 'timer' });
  if (done) { el.dataset.done = '1'; }
  paintCountdown(el, Date.now());
  return el;
}

export function paintCountdown(el, now) {
  const due = Number(el.dataset.due);
  if (!due) { el.textContent = t('clock.not_started'); return; }
  const left = due - now;
  el.classList.toggle('overdue', left < 0);
  el.classList.toggle('soon', left >= 0 && left < SOON_MS);
  el.textContent = left < 0 ? t('clock.overdue_by', { d: fmtDuration(-left) }) : t('clock.left', { d: fmtDuration(left) });
  el.setAttribute('aria-label', el.textContent);
}

const GRADE_CLASS = { '特别重大': 'g4', '重大': 'g3', '较大': 'g2', '一般': 'g1' };
export function gradeBadge(grade) {
  return h('span.badge.grade', { class: 'badge grade ' + (GRADE_CLASS[grade] || 'g0') }, gradeName(grade));
}
export function gradeName(grade) { return grade ? tk('grade.' + grade, grade) : '—'; }

export function categoryName(code) {
  const tx = ref.taxonomy;
  if (!tx || !code) return code || '—';
  for (const c of tx.categories) {
    if (c.code === code) return `${code} ${getLang() === 'en' ? c.en : c.zh}`;
    for (const sc of c.subcategories || []) if (sc.code === code) return `${code} ${getLang() === 'en' ? sc.en : sc.zh}`;
  }
  return code;
}
export function categoryParent(code) {
  const tx = ref.taxonomy;
  if (!tx || !code) return code;
  for (const c of tx.categories) {
    if (c.code === code) return code;
    for (const sc of c.subcategories || []) if (sc.code === code) return c.code;
  }
  return code;
}

export function provinceName(code) {
  const p = ref.pack && ref.pack.provinces;
  if (!code) return '—';
  if (getLang() === 'en') return tk('province.' + code, (p && p[code]) || code);
  return (p && p[code]) || code;
}

export function recipientName(id) {
  const r = ref.pack && ref.pack.recipients && ref.pack.recipients[id];
  return r ? (getLang() === 'en' ? r.en : r.zh) : tk('recipient.' + id, id);
}

export const kindName = (k) => tk('kind.' + k, k);
export const statusName = (s) => tk('status.' + s, s);

export function drillBadge(drill) { return drill ? h('span.badge.drill', t('incident.drill')) : null; }

// Obligation due: the API gives due (RFC 3339) on assessments and due_ms on stored obligations.
export function dueMs(o) {
  if (o.due_ms !== undefined && o.due_ms !== null) return Number(o.due_ms);
  if (o.due) return Date.parse(o.due);
  return 0;
}

// An ISO 8601 duration of the rule packs (PT1H, P30D, PT30M) as words.
export function fmtIso(d) {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(d || '');
  if (!m) return d || '';
  const out = [];
  if (m[1]) out.push(t('iso.d', { n: m[1] }));
  if (m[2]) out.push(t('iso.h', { n: m[2] }));
  if (m[3]) out.push(t('iso.m', { n: m[3] }));
  return out.join(' ');
}
