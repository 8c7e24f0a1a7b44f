// i18n.js — every UI text comes from one table per language (web/i18n/zh-CN.json, en.json); Chinese by default.
// tools/i18n-check.c fails the build when a key is missing in either table or a literal key passed to t() has none.

const tables = {};
let lang = 'zh-CN';

export const LANGS = ['zh-CN', 'en'];

export async function loadI18n() {
  const saved = localStorage.getItem('cirs.lang');
  lang = LANGS.includes(saved) ? saved : 'zh-CN';
  await Promise.all(LANGS.map(async (l) => {
    const r = await fetch(`/i18n/${l}.json`, { credentials: 'same-origin' });
    tables[l] = await r.json();
  }));
  document.documentElement.lang = lang;
}

export function getLang() { return lang; }

export function setLang(l) {
  if (!LANGS.includes(l)) return;
  lang = l;
  localStorage.setItem('cirs.lang', l);
  document.documentElement.lang = l;
}

// t(KEY, {name: value}) — the text in the current language with {name} replaced; the key itself when unknown.
export function t(key, vars) {
  let text = (tables[lang] && tables[lang][key]) || (tables['zh-CN'] && tables['zh-CN'][key]) || key;
  if (vars) text = text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return text;
}

// t() for a key built at run time, with a fallback text when the table has none (e.g. an unknown code from the API).
export function tk(key, fallback) {
  const v = (tables[lang] && tables[lang][key]) || (tables['zh-CN'] && tables['zh-CN'][key]);
  return v || (fallback !== undefined ? fallback : key);
}

// Elements carrying data-i18n (text), data-i18n-title, data-i18n-placeholder, data-i18n-aria (aria-label).
export function applyStatic(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
}
