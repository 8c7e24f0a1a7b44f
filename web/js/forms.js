// forms.js — shared pieces of the emergency pages' forms: the server's error shown next to the field it names
// ({"error":{code,message,field}}, e.g. "level", "scope.provinces", "measures[0].within", "contacts[3].duty_phone"),
// time limits typed as a number and a unit instead of ISO 8601, a running-request guard for buttons.

import { h, put, clear } from './dom.js';
import { t } from './i18n.js';
import { ApiError } from './api.js';
import { errorBox } from './pages-common.js';

// Removes every error a previous submit left in the form.
export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) { el.removeAttribute('aria-invalid'); el.removeAttribute('aria-errormessage'); }
}

// The element for an API field name: data-field="…" exact, else the nearest parent name ("measures[0].within" →
// "measures[0]" → "measures"), so a form marks what it can and the rest lands in `box`.
function fieldTarget(form, name) {
  let n = name;
  while (n) {
    for (const el of form.querySelectorAll('[data-field]')) if (el.dataset.field === n) return el;
    const cut = Math.max(n.lastIndexOf('.'), n.lastIndexOf('['));
    n = cut > 0 ? n.slice(0, cut) : '';
  }
  return null;
}

// Shows an API error: next to its field when the form has one (focused, aria-invalid), otherwise in `box`.
export function showError(form, box, e) {
  clearErrors(form);
  clear(box);
  const target = e instanceof ApiError && e.field ? fieldTarget(form, e.field) : null;
  if (!target) { box.appendChild(errorBox(e)); return; }
  const id = 'err-' + e.field.replace(/[^\w-]/g, '-');
  const msg = h('p.error.field-error', { id, role: 'alert', dataset: { for: e.field } }, e.message);
  const isInput = target.matches('input, select, textarea');
  // Inputs: the message goes under the input in its field, table cell or measure row; groups carry it themselves.
  const holder = isInput || target.matches('.duration') ? target.closest('.field, .measure-row, td') : target;
  if (holder) holder.appendChild(msg); else target.after(msg);
  const input = isInput ? target : target.querySelector('input, select, textarea');
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-errormessage', id);
    input.focus();
  }
}

// Runs a form's async action once at a time: the submit button is disabled meanwhile, errors shown by showError.
export function submitting(form, box, fn) {
  return async (ev) => {
    if (ev) ev.preventDefault();
    const btns = form.querySelectorAll('button[type=submit]');
    for (const b of btns) b.disabled = true;
    clearErrors(form);
    clear(box);
    try { await fn(); } catch (e) { showError(form, box, e); }
    for (const b of btns) b.disabled = false;
  };
}

// A time limit as number + unit (minutes, hours, days) ⇄ an ISO 8601 duration (PT30M, PT24H, P3D); empty = none.
export function durationInput(dataField, initial) {
  const n = h('input', { type: 'number', min: 1, max: 9999, step: 1, inputmode: 'numeric', class: 'dur-n', 'aria-label': t('dur.amount') });
  const unit = h('select', { class: 'dur-u', 'aria-label': t('dur.unit') },
    h('option', { value: 'H' }, t('dur.hours')), h('option', { value: 'D' }, t('dur.days')), h('option', { value: 'M' }, t('dur.minutes')));
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(initial || '');
  if (m && m[1] && !m[2] && !m[3]) { n.value = m[1]; unit.value = 'D'; }
  else if (m && m[2] && !m[1] && !m[3]) { n.value = m[2]; unit.value = 'H'; }
  else if (m && m[3] && !m[1] && !m[2]) { n.value = m[3]; unit.value = 'M'; }
  const el = h('span.duration', { dataset: { field: dataField } }, n, unit);
  el.iso = () => {
    const v = n.value.trim();
    if (!v) return '';
    if (!/^\d+$/.test(v)) return v; // the server names the field when it is not a whole number
    return unit.value === 'D' ? `P${v}D` : `PT${v}${unit.value}`;
  };
  el.number = n;
  el.unit = unit;
  return el;
}

// Splits "a, b；c" into codes.
export function codes(text) {
  return String(text || '').split(/[\s,，、;；]+/).map((x) => x.trim()).filter(Boolean);
}

export function textBlock(text) { return h('div.text-block', text || '—'); }

export { put };
