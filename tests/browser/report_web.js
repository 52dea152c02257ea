// report_web.js - the review site's provision report (/report), policy
// changelog (/policy) and concern export (/concerns), the pages' links to
// them, and the subject access export's HTML document, in real headless
// Chromium: Debian's /usr/bin/chromium driven by playwright-core, never a
// downloaded browser.
//
//   node report_web.js SETTINGS.json
//
// tests/integration/test_reports.sh sets everything up (a private Postfix,
// the daemon, a held and decided message, the page) and writes
// SETTINGS.json: base, login, password, note (the policy change's why),
// forbidden (strings that name a person: never on the report), record
// (the held and rejected record), pupil (its pupil's name, in the
// concern export), sar (the file `safeguard-review sar --format html`
// wrote for the sender), sar_others (the other parties' addresses and
// names and the reviewer's login: never in its rendered text), out (where
// the screenshots go).  Prints one "ok - ..." / "not ok - ..." line per
// check and "# browser checks done: N passed, N failed"; writes
// report.png, policy.png, concerns.png and sar.png (1280 px wide) into
// out.
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const S = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { ok, run } = require('./lib.js');

async function checks(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  // what failed to load (the browser's own favicon.ico aside) and what
  // the page logged as an error other than that
  const errors = [];
  page.on('response', (r) => {
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico')
      errors.push(`${r.status()} ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text()))
      errors.push(m.text());
  });

  await page.goto(`${S.base}/login`);
  await page.fill('#user', S.login);
  await page.fill('#password', S.password);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
                     page.click('form.login button[type=submit]')]);
  ok('signed in', new URL(page.url()).pathname === '/queue', page.url());

  // the report
  const resp = await page.goto(`${S.base}/report?from=2000-01-01`);
  ok('the report: 200', resp.status() === 200, resp.status());
  ok('the report: its heading',
     /provision report/.test(await page.textContent('h1')));
  const bars = await page.$$eval('svg rect', (r) => r.map((x) => x.getBoundingClientRect().width));
  ok('the report: two charts as inline SVG',
     (await page.$$('svg')).length >= 2, (await page.$$('svg')).length);
  ok('the report: bars drawn (wider than nothing)', bars.length >= 2 && bars.every((w) => w > 0), bars);
  ok('the report: no script', (await page.$$('script')).length === 0);
  ok('the report: the CSS applied (the site allows no inline style)',
     await page.$eval('table', (t) => getComputedStyle(t).borderCollapse === 'collapse'));
  ok('the report: nothing fetched but this server',
     requests.every((u) => u.startsWith(S.base)), requests.join('\n'));
  const body = await page.textContent('body');
  for (const who of S.forbidden)
    ok(`the report names no one: not "${who}"`, !body.toLowerCase().includes(who.toLowerCase()));
  ok('the report: the rule and its category',
     body.includes(S.rule) && body.includes(S.category), body.slice(0, 400));
  ok('the report: the change and why', body.includes(S.note));
  ok('the report: by school, a chart and the school\'s row',
     (await page.$$('#schools svg rect')).length === 1 &&
     (await page.$$eval('#schools td', (tds) => tds.map((t) => t.textContent)))
       .includes(S.school));
  ok('the report: fits the page (no sideways scrolling)',
     await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  await page.screenshot({ path: path.join(S.out, 'report.png'), fullPage: true });
  // printed: the print rules apply and every section is kept whole
  await page.emulateMedia({ media: 'print' });
  ok('the report: print rules',
     await page.$eval('section', (s) => getComputedStyle(s).breakInside === 'avoid'));
  await page.emulateMedia({ media: 'screen' });

  // the same counts as CSV (a download to the browser: fetched with the
  // page's session instead)
  const csv = await ctx.request.get(`${S.base}/report?from=2000-01-01&format=csv`);
  ok('the report as CSV', csv.status() === 200 &&
     /text\/csv/.test(csv.headers()['content-type']) &&
     (await csv.text()).includes(`"rule","${S.rule}"`));

  // the changelog
  const pr = await page.goto(`${S.base}/policy`);
  ok('the policy page: 200', pr.status() === 200, pr.status());
  const ptext = await page.textContent('main');
  ok('the policy page: the note', ptext.includes(S.note), ptext.slice(0, 300));
  ok('the policy page: a diff', (await page.$$('pre.diff')).length >= 2);
  ok('the policy page: no secret', !ptext.includes(S.secret));
  await page.screenshot({ path: path.join(S.out, 'policy.png'), fullPage: false });

  // every page's header leads to the report, the policy and the export
  for (const [href, h1] of [['/report', /provision report/], ['/policy', /policy/],
                            ['/concerns', /Concern export/]]) {
    await page.goto(`${S.base}/queue`);
    const a = await page.$(`header nav.site a[href="${href}"]`);
    if (!ok(`the header has a link to ${href}`, a !== null))
      continue;
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), a.click()]);
    ok(`the header's link to ${href}`, new URL(page.url()).pathname === href &&
       h1.test(await page.textContent('h1')), page.url());
  }

  // the concern export: the track's rows as the file has them, links to
  // the files
  const since = 'since=2000-01-01';
  const cr = await page.goto(`${S.base}/concerns?track=staff-conduct&${since}`);
  ok('the concerns page: 200', cr.status() === 200, cr.status());
  const rows = await page.$$eval('table.concerns tbody tr',
    (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  const mine = rows.find((r) => r[0] === S.record);
  ok('the concerns page: the record\'s row', mine !== undefined, JSON.stringify(rows));
  ok('the concerns page: its pupil, category and rationale',
     mine !== undefined && mine.includes(S.pupil) && mine.includes(S.category) &&
     mine.includes(S.rationale), JSON.stringify(mine));
  ok('the concerns page: no message text',
     !(await page.textContent('main')).includes('07700'));
  const links = await page.$$eval('#downloads a', (as) => as.map((a) => a.getAttribute('href')));
  ok('the concerns page: links to the CSV and the JSON',
     links.length === 2 && /format=csv/.test(links[0]) && /format=json/.test(links[1]), links);
  // (downloads to the browser: fetched with the page's session instead)
  const file = async (i) => (links.length === 2
    ? ctx.request.get(new URL(links[i], S.base).href) : null);
  const ccsv = await file(0);
  const ctext = ccsv ? await ccsv.text() : '';
  ok('the concerns CSV: the same rows as the preview',
     ccsv && ccsv.status() === 200 && /text\/csv/.test(ccsv.headers()['content-type']) &&
     ctext.includes(`"${S.record}"`) &&
     ctext.trim().split('\r\n').length === rows.length + 1, ctext);
  const cjson = await file(1);
  ok('the concerns JSON: the record', cjson && cjson.status() === 200 &&
     (await cjson.json()).some((r) => r.record === S.record));
  ok('the concerns page: fits the page',
     await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  await page.screenshot({ path: path.join(S.out, 'concerns.png'), fullPage: true });
  await page.goto(`${S.base}/concerns?track=pupil-welfare&${since}`);
  ok('the concerns page: never in the pupil-welfare track',
     !(await page.textContent('main')).includes(S.record));
  ok('nothing failed to load, no error logged', errors.length === 0, errors.join('\n'));

  // on a phone: the header's links are there, nothing scrolls sideways
  await page.setViewportSize({ width: 390, height: 844 });
  for (const p of ['/queue', `/concerns?track=staff-conduct&${since}`]) {
    await page.goto(`${S.base}${p}`);
    const shown = await page.$$eval('header nav.site a', (as) => as.filter((a) => {
      const r = a.getBoundingClientRect();
      return r.width > 0 && r.right <= window.innerWidth;
    }).length);
    ok(`390 px: ${p} shows the header's three links`, shown === 3, shown);
    ok(`390 px: ${p} does not scroll sideways`,
       await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  }
  await ctx.close();

  // the subject access export: a file, opened as the DPO would
  const sctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const sp = await sctx.newPage();
  const fetched = [];
  sp.on('request', (r) => fetched.push(r.url()));
  await sp.goto(`file://${S.sar}`);
  const stext = await sp.textContent('body');
  ok('the SAR document: renders, with the record', stext.includes(S.record), stext.slice(0, 300));
  ok('the SAR document: the requester is named', stext.includes(S.sar_subject));
  ok('the SAR document: others masked ([person N])', /\[person \d+\]/.test(stext));
  for (const who of S.sar_others)
    ok(`the SAR document: no other party ("${who}")`,
       !stext.toLowerCase().includes(who.toLowerCase()));
  ok('the SAR document: its CSS applied',
     await sp.$eval('table', (t) => getComputedStyle(t).borderCollapse === 'collapse'));
  ok('the SAR document: no script, nothing fetched',
     (await sp.$$('script')).length === 0 && fetched.length === 1, fetched);
  await sp.screenshot({ path: path.join(S.out, 'sar.png'), fullPage: true });
  await sctx.close();
}

run(chromium, checks);
