// report_web.js - the review site's provision report (/report) and policy
// changelog (/policy) in real headless Chromium: Debian's
// /usr/bin/chromium driven by playwright-core, never a downloaded browser.
//
//   node report_web.js SETTINGS.json
//
// tests/integration/test_reports.sh sets everything up (a private Postfix,
// the daemon, a held and decided message, the page) and writes
// SETTINGS.json: base, login, password, note (the policy change's why),
// forbidden (strings that name a person: never on the report), out (where
// the screenshots go).  Prints one "ok - ..." / "not ok - ..." line per
// check and "# browser checks done: N passed, N failed"; writes
// report.png and policy.png (full page, 1280 px wide) into out.
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
  ok('nothing failed to load, no error logged', errors.length === 0, errors.join('\n'));
  await ctx.close();
}

run(chromium, checks);
