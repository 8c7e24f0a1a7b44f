// ui.test.mjs — the web UI end to end in Chromium (issue 6, acceptance 1, 2 and 4): an operator files a 重大 report
// through the wizard while the grade preview follows the typed facts, sees the countdown; the provincial officer
// records receipt and escalates from the inbox; the national office sees the incident; markup in the report is
// text everywhere; English switch; security headers; public tip; session expiry; phone layout; print view.
// Warnings, responses and duty contacts (issuing a warning and seeing the acknowledgements): emergency.test.mjs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newPage, login, shot, pageApi } from './helpers.mjs';

const EVIL = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">勒索软件加密 ERP';
const EVIL_IMPACT = '<b>生产停止</b> <iframe src="javascript:alert(1)"></iframe> 100 台主机加密';

describe('web UI', () => {
  let srv, browser, incident;
  before(async () => { srv = await startServer(); browser = await launch(); });
  after(async () => { await browser?.close(); await srv?.stop(); });

  it('serves the UI with its security headers and no inline script or style', async () => {
    const r = await fetch(srv.url + '/');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /text\/html/);
    const csp = r.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    assert.ok(r.headers.get('etag'));
    const html = await r.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline <script>');
    assert.doesNotMatch(html, /\sstyle=|<style/, 'no inline style');
    const again = await fetch(srv.url + '/', { headers: { 'If-None-Match': r.headers.get('etag') } });
    assert.equal(again.status, 304);
    const js = await fetch(srv.url + '/js/app.js');
    assert.match(js.headers.get('content-type'), /text\/javascript/);
    assert.equal((await fetch(srv.url + '/../etc/passwd')).status, 404);
    assert.equal((await fetch(srv.url + '/api/v1/nothing')).status, 404);
  });

  it('operator: files a 重大 report through the wizard, the preview follows the facts, the countdown runs', async () => {
    const page = await newPage(browser);
    await login(page, srv.url, 'reporter-jc');
    await shot(page, 'operator-clocks-empty', false);
    await page.goto(srv.url + '/#/report/new');
    await page.waitForSelector('#cat-search');
    await page.fill('#cat-search', '勒索');
    assert.equal(await page.locator('button.cat:visible').count() > 0, true);
    await page.click('button.cat[data-code="MPRANS"] >> nth=0');
    await page.waitForSelector('#cat-chosen strong');
    await shot(page, 'wizard-1-category');
    await page.click('#wiz-next');
    await page.fill('#title', EVIL);
    const grade = () => page.getAttribute('#preview-grade', 'data-grade');
    await page.waitForSelector('#preview-grade');
    assert.equal(await grade(), '一般');
    await page.type('#fact-people_affected', '200000');
    await page.waitForFunction(() => document.querySelector('#preview-grade')?.dataset.grade === '较大');
    await page.fill('#fact-people_affected', '');
    await page.type('#fact-people_affected', '2000000');
    await page.waitForFunction(() => document.querySelector('#preview-grade')?.dataset.grade === '重大');
    assert.match(await page.textContent('#preview-reasons'), /1,000,000|1000000/);
    assert.ok(await page.locator('#preview-deadlines .countdown').count() >= 1, 'the initial deadline counts down in the preview');
    await page.fill('#ransom-amount', '50');
    await page.fill('#ransom-currency', 'BTC');
    await page.fill('#ransom-method', '比特币钱包');
    await shot(page, 'wizard-2-facts');
    await page.click('#wiz-next');
    await page.fill('#c-affected_system', '<b>ERP</b> 服务器 12 台');
    await page.fill('#c-impact', EVIL_IMPACT);
    await page.fill('#c-reporting_unit', '晋城市恒泰精密机械有限公司信息部');
    await shot(page, 'wizard-3-content');
    await page.click('#wiz-next');
    await page.waitForSelector('table.kv');
    await shot(page, 'wizard-4-review');
    await page.click('#wiz-submit');
    await page.waitForSelector('#receipt-ref');
    const ref = (await page.textContent('#receipt-ref')).trim();
    assert.match(ref, /^CIRS-\d{4}-\d{6}$/);
    incident = { ref, id: Number(page.url().split('/').pop()) };
    assert.ok(await page.locator('#receipt .countdown').count() >= 1, 'the receipt shows running clocks');
    // The ticker repaints every countdown each second: one moved to 90 s from now shows the seconds running.
    await page.evaluate(() => { document.querySelector('#receipt .countdown').dataset.due = String(Date.now() + 90000); });
    await page.waitForFunction(() => /1 分 2\d 秒/.test(document.querySelector('#receipt .countdown').textContent));
    const t1 = await page.textContent('#receipt .countdown >> nth=0');
    await page.waitForTimeout(1100);
    assert.notEqual(await page.textContent('#receipt .countdown >> nth=0'), t1, 'the countdown is live');
    assert.match(await page.getAttribute('#receipt .countdown >> nth=0', 'class'), /\bsoon\b/, 'due within 15 min is highlighted');
    await shot(page, 'receipt');
    await page.goto(srv.url + '/#/clocks');
    await page.waitForSelector('table.obligations .countdown');
    await shot(page, 'operator-clocks');
    await page.goto(srv.url + `/#/incident/${incident.id}`);
    await page.waitForSelector('#incident-title');
    assert.equal(await page.textContent('#incident-title'), EVIL, 'the title is shown as text');
    assert.match(await page.textContent('main'), /<iframe src="javascript:alert\(1\)"><\/iframe>/);
    await shot(page, 'operator-incident');
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.equal(await page.locator('main script, main iframe, main img, main b').count(), 0, 'no markup from data became elements');
    assert.deepEqual(page.errors, []);
  });

  it('provincial officer: inbox by time left, receipt and escalation in one click each', async () => {
    const page = await newPage(browser);
    await login(page, srv.url, 'officer');
    await page.waitForSelector('#inbox');
    const row = page.locator(`#inbox tr[data-id="${incident.id}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /待接收/);
    assert.ok((await row.textContent()).includes(EVIL), 'the title is text in the inbox');
    await shot(page, 'authority-inbox');
    await row.locator('button[data-act="receipt"]').click();
    await row.locator('button[data-act="escalate"]').waitFor();
    assert.ok(await row.locator('.countdown').count() === 1, 'the escalation clock runs after receipt');
    await shot(page, 'authority-inbox-received');
    await row.locator('button[data-act="escalate"]').click();
    await page.waitForFunction((id) => !document.querySelector(`#inbox tr[data-id="${id}"] button[data-act="escalate"]`), incident.id);
    await page.goto(srv.url + `/#/incident/${incident.id}`);
    await page.waitForSelector('#timeline');
    const timeline = await page.textContent('#timeline');
    assert.match(timeline, /机关接收/);
    assert.match(timeline, /向上报告/);
    assert.equal(await page.textContent('#incident-title'), EVIL);
    await shot(page, 'authority-incident');
    await page.goto(srv.url + `/#/print/${incident.id}/report`);
    await page.waitForSelector('table.form');
    assert.match(await page.textContent('table.form'), /<iframe/);
    await page.emulateMedia({ media: 'print' });
    await shot(page, 'print-report-form');
    await page.emulateMedia({ media: 'screen' });
    assert.equal(await page.locator('main iframe, main b, main img').count(), 0);
    assert.deepEqual(page.errors, []);
  });

  it('national office: sees the escalated incident; statistics and compliance render', async () => {
    const page = await newPage(browser);
    await login(page, srv.url, 'national');
    await page.waitForSelector('#inbox');
    await page.goto(srv.url + '/#/incidents?q=' + encodeURIComponent('勒索软件加密'));
    await page.waitForSelector(`a[href="#/incident/${incident.id}"]`);
    assert.ok((await page.textContent('table.list')).includes(EVIL));
    await shot(page, 'national-incidents');
    await page.click(`a[href="#/incident/${incident.id}"]`);
    await page.waitForSelector('#timeline');
    assert.match(await page.textContent('#timeline'), /向上报告/);
    await page.goto(srv.url + '/#/stats');
    await page.waitForSelector('#stats-total');
    assert.equal(await page.textContent('#stats-total'), '1');
    assert.ok(await page.locator('svg.chart').count() >= 4);
    await shot(page, 'national-statistics');
    await page.goto(srv.url + '/#/compliance');
    await page.waitForSelector('.kpis');
    await shot(page, 'national-compliance');
    assert.deepEqual(page.errors, []);
  });

  it('operator: supplement with what changed between versions', async () => {
    const page = await newPage(browser);
    await login(page, srv.url, 'reporter-jc');
    await page.goto(srv.url + `/#/incident/${incident.id}/followup/supplement`);
    await page.waitForSelector('#followup-submit');
    await page.fill('#c-cause', '弱口令 <script>x</script>');
    await page.fill('#fact-direct_loss_cny', '3000000');
    await page.click('#followup-submit');
    await page.waitForSelector('#timeline');
    const changes = await page.textContent('details.version[open] .changes');
    assert.match(changes, /弱口令 <script>x<\/script>/);
    await shot(page, 'operator-incident-versions');
    assert.equal(await page.locator('main script').count(), 0);
    assert.deepEqual(page.errors, []);
  });

  it('English switch: every visible text comes from the table (no raw keys), in both languages', async () => {
    const page = await newPage(browser);
    await login(page, srv.url, 'officer');
    const rawKey = /^(?:[a-z_]+\.)+[a-z_0-9]+$/;
    for (const lang of ['zh-CN', 'en']) {
      for (const route of ['#/inbox', '#/incidents', '#/stats', '#/compliance', '#/clocks', `#/incident/${incident.id}`, '#/notifications']) {
        await page.goto(srv.url + '/' + route);
        await page.waitForSelector('main h1');
        await page.waitForTimeout(150);
        const keys = await page.evaluate((re) => {
          const out = [], rx = new RegExp(re);
          const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          while (w.nextNode()) { const s = w.currentNode.textContent.trim(); if (rx.test(s)) out.push(s); }
          return out;
        }, rawKey.source);
        assert.deepEqual(keys, [], `raw keys on ${route} (${lang})`);
      }
      if (lang === 'zh-CN') {
        assert.equal(await page.textContent('#nav a[href="#/inbox"]'), '待办');
        await page.click('#lang');
        await page.waitForFunction(() => document.documentElement.lang === 'en');
        assert.equal(await page.textContent('#nav a[href="#/inbox"]'), 'Inbox');
      }
    }
    await page.goto(srv.url + '/#/inbox');
    await page.waitForSelector('#inbox');
    await shot(page, 'authority-inbox-en');
    await page.click('#lang');
    assert.deepEqual(page.errors, []);
  });

  it('public tip without login gets a receipt number', async () => {
    const page = await newPage(browser);
    await page.goto(srv.url + '/#/tip');
    await page.waitForSelector('textarea[name=description]');
    await page.fill('textarea[name=description]', '某网站首页被篡改，出现 <script>alert(1)</script> 等内容。');
    await page.fill('input[name=url]', 'http://example.cn/');
    await page.click('form button[type=submit]');
    await page.waitForSelector('#tip-ref');
    assert.match(await page.textContent('#tip-ref'), /\S+/);
    await shot(page, 'public-tip-receipt');
    assert.deepEqual(page.errors, []);
  });

  it('keyboard only: log in with Tab and Enter; an expired session returns to the login page', async () => {
    const page = await newPage(browser);
    await page.goto(srv.url + '/#/login');
    await page.waitForSelector('body[data-ready="1"]');
    await page.focus('input[name=username]');
    await page.keyboard.type('reporter-jc');
    await page.keyboard.press('Tab');
    await page.keyboard.type('cirs-demo');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#logout');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
    assert.ok(focused);
    // The session ends on the server (as at expiry): the next API call answers 401 and the UI asks to log in again.
    const r = await pageApi(page, 'DELETE', '/session');
    assert.equal(r.status, 204);
    await page.goto(srv.url + '/#/incidents');
    await page.waitForFunction(() => location.hash.startsWith('#/login'));
    assert.ok(await page.locator('input[name=username]').count());
  });

  it('phone layout: no horizontal scrolling; menu opens', async () => {
    const page = await newPage(browser, { viewport: { width: 390, height: 844 }, context: { isMobile: true, hasTouch: true } });
    await login(page, srv.url, 'reporter-jc');
    await page.goto(srv.url + '/#/report/new');
    await page.waitForSelector('#cat-search');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page wider than the phone by ${overflow}px`);
    await shot(page, 'phone-wizard');
    await page.click('#menu-toggle');
    await page.waitForSelector('#nav a:visible');
    await shot(page, 'phone-menu', false);
    await page.goto(srv.url + `/#/incident/${incident.id}`);
    await page.waitForSelector('#timeline');
    await shot(page, 'phone-incident');
    assert.deepEqual(page.errors, []);
  });
});
