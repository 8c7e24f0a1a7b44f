// helpers.mjs — the browser suite's harness: a real `cirs serve` on a fresh demo database, Debian's Chromium driven
// by playwright-core, logins through the UI, screenshots under build/screenshots/.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const bin = process.env.CIRS_BIN || path.join(root, 'build/cirs');
export const shots = process.env.CIRS_SCREENSHOTS || path.join(root, 'build/screenshots');
export const PASSWORD = 'cirs-demo';

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

// Starts cirs serve on a new demo database; `prepare(db)` may load data before the start (e.g. bench/ui/gen-incidents.sh).
export async function startServer(prepare) {
  const dir = mkdtempSync(path.join(tmpdir(), 'cirs-ui-'));
  const db = path.join(dir, 'ui.db');
  execFileSync(bin, ['init', '--demo', '--db', db], { stdio: 'ignore' });
  if (prepare) prepare(db);
  const port = await freePort();
  const proc = spawn(bin, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; if (log.length > 1e6) log = log.slice(-5e5); });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { const r = await fetch(url + '/healthz'); if (r.ok) break; } catch (e) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, db, dir, log: () => log,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => { proc.on('exit', r); setTimeout(r, 5000); });
      rmSync(dir, { recursive: true, force: true });
      // A sanitizer build (make asan-style flags) reports here: the suite fails on any finding.
      const m = /(ERROR: \w+Sanitizer[^\n]*|runtime error:[^\n]*)/.exec(log);
      if (m) throw new Error('cirs serve: ' + m[1]);
    },
  };
}

export async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--lang=zh-CN'] });
}

// A new page (own cookies) that fails the test on any script error or CSP violation.
export async function newPage(browser, opts = {}) {
  const context = await browser.newContext({ viewport: opts.viewport || { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...opts.context });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) page.errors.push(m.text()); });
  return page;
}

export async function login(page, url, username) {
  await page.goto(url + '/#/login');
  await page.waitForSelector('body[data-ready="1"]');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('form button[type=submit]');
  await page.waitForFunction(() => !location.hash.startsWith('#/login'));
}

export async function shot(page, name, fullPage = true) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `ui-${name}.png`), fullPage });
}

// An API call with the page's session (cookie + CSRF token from GET /session).
export async function pageApi(page, method, p, body) {
  return page.evaluate(async ([method, p, body]) => {
    const s = await (await fetch('/api/v1/session')).json();
    const r = await fetch('/api/v1' + p, { method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: body ? JSON.stringify(body) : undefined });
    return { status: r.status, body: r.status === 204 ? null : await r.json() };
  }, [method, p, body]);
}
