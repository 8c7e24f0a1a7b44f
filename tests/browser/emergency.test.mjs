// emergency.test.mjs — warnings, responses and duty contacts in Chromium (issue 6 acceptance 1, "issues a warning and
// sees acknowledgements"; issue 5's pages): the provincial officer issues a warning through the UI (red is refused
// next to the level field: provinces issue orange and below), the Jincheng operator sees it and acknowledges it with
// a measure done (keyboard only), the issuer sees who acknowledged and when; the authority admin edits the duty
// contact list; the officer starts a response over an incident, adds an update, ends it and files the investigation
// report; markup in titles stays text; English; phone width. Screenshots: ui-warnings-*, ui-response-*, ui-contacts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newPage, login, shot, pageApi } from './helpers.mjs';

const EVIL = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> VPN 漏洞在野利用预警';
const noMarkup = (page) => page.locator('main script, main img, main iframe, main b').count();

describe('warnings, responses, duty contacts', () => {
  let srv, browser, warning, incident, response;
  before(async () => { srv = await startServer(); browser = await launch(); });
  after(async () => { await browser?.close(); await srv?.stop(); });

  it('provincial officer issues a warning: red refused next to the level field, orange for the own province goes out', async () => {
    const page = await newPage(browser);
    await login(page, srv.url, 'officer');
    await page.goto(srv.url + '/#/warnings');
    await page.waitForSelector('#warnings');
    await page.click('#warn-new');
    await page.waitForSelector('#warn-form');
    assert.match(await page.textContent('#w-rule'), /橙色及以下/, 'the rule hint names the highest level');
    assert.match(await page.textContent('#w-rule'), /山西/, 'and the own province');
    assert.equal(await page.isChecked('#w-provinces input[value="140000"]'), true, 'the own province is preselected');
    await page.selectOption('#w-level', 'red');
    await page.fill('#w-title', EVIL);
    await page.fill('#w-matters', '某 VPN 设备高危漏洞正被利用，<b>请立即排查</b>。');
    await page.fill('#w-measures li:nth-child(1) .m-text', '排查并升级受影响的 VPN 设备');
    assert.equal(await page.inputValue('#w-measures li:nth-child(1) .dur-n'), '24', 'time limit as hours, not ISO 8601');
    await page.click('#w-add-measure');
    await page.fill('#w-measures li:nth-child(2) .m-text', '加强值守，发现异常立即报告');
    await page.click('#w-submit');
    const err = page.locator('.field-error[data-for="level"]');
    await err.waitFor();
    assert.match(await err.textContent(), /橙色/);
    assert.equal(await page.getAttribute('#w-level', 'aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'w-level', 'the refused field has the focus');
    await shot(page, 'warnings-refused');
    // An impossible time limit comes back on its measure's input.
    await page.selectOption('#w-level', 'orange');
    await page.fill('#w-measures li:nth-child(2) .dur-n', '0');
    await page.click('#w-submit');
    await page.locator('.field-error[data-for="measures[1].within"]').waitFor();
    assert.equal(await page.locator('.field-error[data-for="level"]').count(), 0, 'the old error is gone');
    await page.fill('#w-measures li:nth-child(2) .dur-n', '');
    await page.click('#w-submit');
    await page.waitForSelector('#warning-recipients');
    warning = { id: Number(page.url().split('/').pop().split('?')[0]) };
    assert.equal(await page.textContent('#warning-title'), EVIL, 'the title is text');
    assert.match(await page.textContent('#warning-measures'), /24 小时/);
    assert.ok(await page.locator('#recipients tr[data-code="jc-hengtai"].waiting').count() === 1, 'the Jincheng operator is a recipient, not yet acknowledged');
    assert.equal(await page.textContent('#rcpt-acked .kpi-v'), '0');
    assert.equal(await page.locator('#recipients tr[data-code="reporter-bj"], #recipients tr[data-code="bj-yunfan"]').count(), 0, 'no other province');
    await page.goto(srv.url + '/#/warnings');
    await page.waitForSelector(`#warnings tr[data-id="${warning.id}"]`);
    warning.ref = await page.getAttribute(`#warnings tr[data-id="${warning.id}"]`, 'data-ref');
    assert.ok((await page.textContent('#warnings')).includes(EVIL));
    await shot(page, 'warnings-list');
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.equal(await noMarkup(page), 0);
    assert.deepEqual(page.errors, []);
  });

  it('operator reporter-jc sees the warning and acknowledges it with a measure done, by keyboard', async () => {
    const page = await newPage(browser);
    await login(page, srv.url, 'reporter-jc');
    await page.goto(srv.url + '/#/notifications');
    await page.waitForSelector(`.notes a[href="#/warning/${warning.ref}"]`);
    await page.goto(srv.url + '/#/warnings');
    const link = page.locator(`#warnings a[href="#/warning/${warning.id}"]`);
    await link.waitFor();
    await link.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#ack-form');
    assert.equal(await page.textContent('#warning-title'), EVIL);
    assert.ok(await page.locator('#warning-measures .countdown').count() === 1, 'the measure with a time limit counts down');
    assert.equal(await page.locator('#warning-recipients').count(), 0, 'a recipient does not see the other recipients');
    await shot(page, 'warnings-recipient');
    await page.focus('#ack-m1');
    await page.keyboard.press('Space');
    assert.equal(await page.isChecked('#ack-m1'), true);
    await page.focus('#ack-note');
    await page.keyboard.type('已排查全部 VPN 设备 <script>x</script>');
    await page.focus('#ack-submit');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#ack-done');
    assert.match(await page.textContent('#ack-done'), /reporter-jc/);
    assert.match(await page.textContent('#warning-measures li[data-n="1"]'), /按时履行|met/);
    await shot(page, 'warnings-acknowledged');
    // The measure was the operator's obligation: its clocks page lists it as met, linked to the warning.
    const obl = await pageApi(page, 'GET', '/obligations?limit=200');
    assert.equal(obl.body.items.find((o) => o.warning_id === warning.id).status, 'met');
    assert.equal(await noMarkup(page), 0);
    assert.deepEqual(page.errors, []);
  });

  it('the issuer sees the acknowledgement: who, when, counts; changes the level', async () => {
    const page = await newPage(browser);
    await login(page, srv.url, 'officer');
    await page.goto(srv.url + `/#/warning/${warning.id}`);
    await page.waitForSelector('#warning-recipients');
    const row = page.locator('#recipients tr[data-code="jc-hengtai"]');
    assert.match(await row.getAttribute('class'), /acked/);
    assert.match(await row.textContent(), /reporter-jc/);
    assert.match(await row.textContent(), /\d{4}\/\d{2}\/\d{2}/, 'the time of the acknowledgement');
    assert.equal(await page.textContent('#rcpt-acked .kpi-v'), '1');
    const total = Number(await page.textContent('#rcpt-total .kpi-v'));
    assert.ok(total > 1);
    assert.equal(Number(await page.textContent('#rcpt-open-n .kpi-v')), total - 1);
    await page.check('#rcpt-open');
    assert.equal(await page.locator('#recipients tr.acked').count(), 0, 'the filter hides who has acknowledged');
    await page.uncheck('#rcpt-open');
    await shot(page, 'warnings-issuer');
    await page.click('#change summary');
    await page.selectOption('#chg-level', 'yellow');
    await page.click('#chg-submit');
    await page.waitForSelector('h1 .lvl-yellow');
    await page.emulateMedia({ media: 'print' });
    await shot(page, 'warnings-print');
    await page.emulateMedia({ media: 'screen' });
    assert.deepEqual(page.errors, []);
  });

  it('the issuer lifts a second warning with a reason (an empty reason is refused at the field)', async () => {
    const page = await newPage(browser);
    await login(page, srv.url, 'officer');
    const w = await pageApi(page, 'POST', '/warnings', { level: 'blue', title: '钓鱼邮件预警', matters: '仿冒通知', scope: { provinces: ['140000'] } });
    assert.equal(w.status, 201);
    await page.goto(srv.url + `/#/warning/${w.body.id}`);
    await page.waitForSelector('#warning-manage');
    await page.click('#lift summary');
    await page.click('#lift-submit');
    await page.locator('.field-error[data-for="reason"]').waitFor();
    await page.fill('#lift-reason', '已查明为误报');
    await page.click('#lift-submit');
    await page.waitForSelector('h1 .wstatus.off');
    assert.match(await page.textContent('#warning-meta'), /已查明为误报/);
    assert.equal(await page.locator('#warning-manage').count(), 0, 'a lifted warning is not changed again');
    assert.deepEqual(page.errors, []);
  });

  it('authority admin edits the duty contact list (refusal shown in the cell), downloads it as CSV', async () => {
    const page = await newPage(browser);
    await login(page, srv.url, 'authadmin');
    await page.goto(srv.url + '/#/contacts');
    await page.waitForSelector('#contacts-body');
    assert.match(await page.getAttribute('#contacts-csv', 'href'), /format=csv/);
    await page.click('#contacts-edit');
    await page.click('#contacts-add');
    const row = page.locator('table.contacts-edit tbody tr').last();
    await row.locator('input[name=unit]').fill('省网信办值班室 <b>24h</b>');
    await row.locator('input[name=duty_phone]').fill('call me');
    await row.locator('input[name=contact]').fill('张丽');
    await row.locator('input[name=email]').fill('duty@cac-shanxi.example.cn');
    await page.click('#contacts-save');
    const err = page.locator('.field-error[data-for="contacts[0].duty_phone"]');
    await err.waitFor();
    assert.equal(await row.locator('input[name=duty_phone]').getAttribute('aria-invalid'), 'true');
    await row.locator('input[name=duty_phone]').fill('0351-1234567');
    await page.click('table.contacts-edit tbody tr >> nth=0 >> input[name=mobile]');
    await page.keyboard.type('13800000000');
    await page.click('#contacts-save');
    await page.waitForSelector('table.contacts');
    assert.match(await page.textContent('table.contacts'), /省网信办值班室 <b>24h<\/b>/);
    const csv = await page.evaluate(async (href) => (await fetch(href)).text(), await page.getAttribute('#contacts-csv', 'href'));
    assert.match(csv, /省网信办值班室 <b>24h<\/b>,0351-1234567,张丽,13800000000/);
    await shot(page, 'contacts');
    assert.equal(await noMarkup(page), 0);
    assert.deepEqual(page.errors, []);
  });

  it('officer starts a response over an incident, adds an update, ends it and files the investigation report', async () => {
    const op = await newPage(browser);
    await login(op, srv.url, 'reporter-jc');
    const doc = JSON.parse(await (await import('node:fs/promises')).readFile(new URL('../../docs/examples/report-ransomware.json', import.meta.url), 'utf8'));
    delete doc.occurred_at;
    Object.assign(doc, { title: '数据泄露 <script>window.__xss=3</script>', category: 'DSDATALEAK', facts: { pi_leaked_persons: 10000000 },
      aware_at: new Date(Date.now() - 600000).toISOString() });
    const r = await pageApi(op, 'POST', '/incidents', doc);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.grade, '重大');
    incident = r.body;

    const page = await newPage(browser);
    await login(page, srv.url, 'officer');
    await page.goto(srv.url + '/#/responses');
    await page.waitForSelector('#responses');
    await page.click('#resp-new');
    await page.waitForSelector('#resp-form');
    assert.match(await page.textContent('#r-rule'), /Ⅱ级/);
    await page.selectOption('#r-level', 'I');
    await page.fill('#r-title', '晋城恒泰数据泄露 <i>处置</i>');
    await page.fill('#r-incidents', incident.ref);
    await page.fill('#r-warning', warning.ref);
    await page.click('#r-submit');
    await page.locator('.field-error[data-for="level"]').waitFor();
    await page.selectOption('#r-level', 'II');
    await shot(page, 'response-new');
    await page.click('#r-submit');
    await page.waitForSelector('#response-timeline');
    response = { id: Number(page.url().split('/').pop().split('?')[0]) };
    assert.equal(await page.textContent('#response-title'), '晋城恒泰数据泄露 <i>处置</i>');
    assert.match(await page.textContent('#response-incidents'), new RegExp(incident.ref));
    assert.match(await page.textContent('#response-contacts'), /省网信办值班室/, "the starter's duty contacts while active");
    assert.match(await page.textContent('#response-meta'), new RegExp(warning.ref));
    await page.selectOption('#upd-kind', 'situation');
    await page.fill('#upd-text', '未发现进一步扩散 <b>已隔离</b>');
    await page.click('#upd-submit');
    await page.waitForFunction(() => /已隔离/.test(document.querySelector('#response-timeline')?.textContent || ''));
    await shot(page, 'response-active');
    await page.click('#end summary');
    await page.fill('#end-summary', '处置完毕，系统恢复');
    await page.click('#end-submit');
    await page.waitForSelector('#investigation-form');
    assert.equal(await page.locator('#response-contacts').count(), 0, 'contacts only while active');
    assert.ok(await page.locator('#investigation .countdown').count() === 1, 'the 30-day clock runs');
    await page.click('#inv-submit');
    await page.locator('.field-error[data-for="summary"]').waitFor();
    await shot(page, 'response-ended');
    await page.fill('#inv-summary', '调查评估报告：弱口令导致数据泄露');
    await page.fill('#inv-causes', '弱口令 <script>y</script>');
    await page.fill('#inv-lessons', '加强口令策略');
    await page.click('#inv-submit');
    await page.waitForSelector('#investigation-report');
    assert.match(await page.textContent('#investigation-report'), /弱口令 <script>y<\/script>/);
    assert.match(await page.textContent('#investigation'), /按时履行|met/);
    await shot(page, 'response-investigation');
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.equal(await page.locator('main script, main b, main i, main img').count(), 0);
    // The operator sees the response over its incident in its list.
    await op.goto(srv.url + '/#/responses');
    await op.waitForSelector(`#responses tr[data-id="${response.id}"]`);
    assert.deepEqual([...page.errors, ...op.errors], []);
  });

  it('English, no raw keys; phone width without horizontal scrolling', async () => {
    const page = await newPage(browser);
    await login(page, srv.url, 'officer');
    const rawKey = /^(?:[a-z_]+\.)+[a-z_0-9]+$/;
    const routes = ['#/warnings', '#/warnings/new', `#/warning/${warning.id}`, '#/responses', '#/responses/new', `#/response/${response.id}`, '#/contacts'];
    await page.evaluate(() => localStorage.setItem('cirs.lang', 'en'));
    for (const route of routes) {
      await page.goto(srv.url + '/' + route);
      await page.reload();
      await page.waitForSelector('main h1');
      await page.waitForTimeout(100);
      const keys = await page.evaluate((re) => {
        const out = [], rx = new RegExp(re);
        const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (w.nextNode()) { const s = w.currentNode.textContent.trim(); if (rx.test(s)) out.push(s); }
        return out;
      }, rawKey.source);
      assert.deepEqual(keys, [], `raw keys on ${route}`);
    }
    await page.goto(srv.url + '/#/warnings/new');
    await page.waitForSelector('#w-rule');
    assert.match(await page.textContent('#w-rule'), /Orange and below/i);
    await shot(page, 'warnings-new-en');
    const phone = await newPage(browser, { viewport: { width: 390, height: 844 }, context: { isMobile: true, hasTouch: true } });
    await login(phone, srv.url, 'officer');
    for (const [route, sel, name] of [[`#/warning/${warning.id}`, '#warning-recipients', 'warnings-phone'], ['#/warnings/new', '#warn-form', null], [`#/response/${response.id}`, '#investigation', 'response-phone']]) {
      await phone.goto(srv.url + '/' + route);
      await phone.waitForSelector(sel);
      const overflow = await phone.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - 390);
      assert.ok(overflow <= 1, `${route} wider than the phone by ${overflow}px`);
      if (name) await shot(phone, name);
    }
    assert.deepEqual([...page.errors, ...phone.errors], []);
  });
});
