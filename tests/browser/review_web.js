// review_web.js - the review web page (safeguard-review serve) in real
// headless Chromium: Debian's /usr/bin/chromium driven by playwright-core,
// never a downloaded browser.
//
//   node review_web.js SETTINGS.json
//
// tests/integration/test_review_web.sh sets everything up (a private
// Postfix, the daemon, held messages, one or two `serve` processes) and
// writes SETTINGS.json.  With "mode": "checks" this prints one
// "ok - ..." / "not ok - ..." line per check and a closing
// "# browser checks done: N passed, N failed"; the mail side (the hold
// queue, the sink, the store) is asked through the shell functions the
// test script exports (held, in_queue, sink_count, status_of, notice_to).
// With "mode": "screenshots" it writes review-queue.png and
// review-item.png (full page, 1280 px wide) and review-queue-phone.png and
// review-item-phone.png (390 px wide) into "out".
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const S = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { ok, run } = require('./lib.js');
const VIEWPORT = { width: 1280, height: 900 };
// a phone, as the page must also fit one
const PHONE = { width: 390, height: 844 };

// a check whose body may throw: a throw is a failure with the reason
async function step(what, fn) {
  try {
    await fn();
  } catch (e) {
    ok(`${what} (threw)`, false, e && e.stack ? e.stack.split('\n').slice(0, 4).join('\n') : e);
  }
}

// the test script's shell functions: the output, or null if it failed
function sh(fn, ...args) {
  try {
    return execFileSync('bash', ['-c', '"$@"', 'probe', fn, ...args],
                        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    return null;
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(fn, ms) {
  const end = Date.now() + ms;
  for (;;) {
    if (fn()) return true;
    if (Date.now() > end) return false;
    await sleep(200);
  }
}

// Submit a form with its button, as a person would; the response of the
// page it ends on (after any redirect).
async function submit(page, formSel) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click(`${formSel} button[type=submit]`),
  ]);
  return resp;
}
async function login(page, base, user, password) {
  await page.goto(`${base}/login`);
  await page.fill('#user', user);
  await page.fill('#password', password);
  return submit(page, 'form.login');
}
async function sessionCookie(ctx) {
  return (await ctx.cookies()).find((c) => c.name === 'sg_session' && c.value !== '');
}
async function text(page, sel) {
  const el = await page.$(sel);
  return el ? (await el.textContent()) : null;
}
const pathOf = (page) => new URL(page.url()).pathname;

async function checks(browser) {
  const base = S.base, R = S.records, Q = S.queueIds;

  // Any HTTP request that reaches the tracking port, from any page, at any
  // time (a bare connection is not counted: other tests probing for a
  // free port make those)
  const trackHits = [];
  const track = http.createServer((req, res) => {
    trackHits.push(`${req.method} ${req.url}`);
    res.writeHead(204);
    res.end();
  });
  await new Promise((res, rej) => {
    track.once('error', rej);
    track.listen(S.trackPort, '127.0.0.1', res);
  });

  // ---- 1. a wrong password: the error, still the login page, no session
  await step('wrong password', async () => {
    const ctx = await browser.newContext({ viewport: VIEWPORT });
    const page = await ctx.newPage();
    await page.goto(`${base}/queue`);
    ok('without a session the queue sends to the login page', pathOf(page) === '/login', page.url());
    const resp = await login(page, base, S.login, S.password + 'x');
    ok('wrong password: 401', resp && resp.status() === 401, resp && resp.status());
    ok('wrong password: the error is shown',
       /user name or password is wrong/.test((await text(page, '#login-error')) || ''),
       await text(page, '#login-error'));
    ok('wrong password: still on the login form',
       pathOf(page) === '/login' && (await page.$('#password')) !== null, page.url());
    ok('wrong password: no session cookie', (await sessionCookie(ctx)) === undefined,
       JSON.stringify(await ctx.cookies()));
    await page.goto(`${base}/queue`);
    ok('wrong password: the queue still sends to the login page', pathOf(page) === '/login', page.url());
    await ctx.close();
  });

  // ---- 1. the right password: the queue with the held messages
  const ctx = await browser.newContext({ viewport: VIEWPORT });
  const page = await ctx.newPage();
  const dialogs = [];
  const consoleMsgs = [];
  const foreign = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('console', (m) => consoleMsgs.push(m.text()));
  page.on('request', (r) => { if (!r.url().startsWith(base + '/')) foreign.push(r.url()); });

  let loggedIn = false;
  await step('login', async () => {
    const resp = await login(page, base, S.login, S.password);
    loggedIn = ok('login: the right password opens the queue', pathOf(page) === '/queue',
                  `${page.url()} ${resp && resp.status()} ${await text(page, '#login-error')}`);
    ok('login: signed in as the DSL', ((await text(page, '#who')) || '').includes(`Signed in as ${S.login}`),
       await text(page, '#who'));
    const rows = await page.$$eval('#queue tbody tr', (trs) => trs.map((tr) =>
      [tr.dataset.record].concat(Array.from(tr.cells).map((td) => td.textContent))));
    const ids = rows.map((r) => r[0]);
    const missing = Object.values(R).filter((id) => !ids.includes(id));
    ok('queue: every held message is listed', missing.length === 0 && rows.length === Object.keys(R).length,
       `missing ${missing.join(' ')}; listed ${ids.join(' ')}`);
    ok('queue: all shown as held', rows.length > 0 && rows.every((r) => r[r.length - 1] === 'held'),
       JSON.stringify(rows.map((r) => r[r.length - 1])));
    ok('queue: the rule shown by its title, not its id',
       rows.some((r) => r.join(' ').includes('Personal contact details sent to a pupil')) &&
       !rows.some((r) => r.join(' ').includes('personal-contact-details')), JSON.stringify(rows));
    // review_pseudonymise (default staff-conduct): those rows name people
    // by role and pseudonym, one per address, and hide the subject
    const row = (id) => (rows.find((r) => r[0] === id) || []).join(' ');
    ok('queue: a pupil-welfare item shows people by name',
       row(R.lookalike).includes('Ben Okafor (pupil)'), row(R.lookalike));
    const conduct = [R.view, R.release, R.reject].map(row);
    ok('queue: staff-conduct items show no name, address or subject',
       conduct.every((t) => t.includes('Sender ') && t.includes('(subject shown when opened)') &&
                       !/Amy Patel|John Smith|school\.example|Half-term/.test(t)), JSON.stringify(conduct));
    const pupilOf = (t) => (t.match(/Pupil [0-9A-F]{6}/) || [null])[0];
    ok('queue: the same pupil has the same pseudonym on every row',
       pupilOf(conduct[0]) !== null && conduct.every((t) => pupilOf(t) === pupilOf(conduct[0])),
       JSON.stringify(conduct.map(pupilOf)));
  });
  if (!loggedIn) {
    ok('cannot go on without a login', false);
    track.close();
    return;
  }

  // ---- 8. the session cookie: HttpOnly, SameSite=Strict, Secure, and
  // sent by Chromium over http://127.0.0.1 (a secure origin)
  await step('cookie', async () => {
    const c = await sessionCookie(ctx);
    ok('cookie: a session cookie was set', c !== undefined, JSON.stringify(await ctx.cookies()));
    ok('cookie: HttpOnly', c && c.httpOnly === true, JSON.stringify(c));
    ok('cookie: SameSite=Strict', c && c.sameSite === 'Strict', JSON.stringify(c));
    ok('cookie: Secure, and still used over http://127.0.0.1', c && c.secure === true && pathOf(page) === '/queue',
       JSON.stringify(c));
    ok('cookie: scripts cannot read it', !(await page.evaluate(() => document.cookie)).includes('sg_session'));
    ok('cookie: the token is long and random-looking', c && /^[A-Za-z0-9_-]{43}$/.test(c.value), c && c.value);
  });

  // ---- 3. list -> item: findings marked, attachments, history
  await step('item', async () => {
    await Promise.all([page.waitForNavigation(), page.click(`#queue a[href="/item/${R.view}"]`)]);
    ok('item: opened from the queue', pathOf(page) === `/item/${R.view}`, page.url());
    const body = (await text(page, 'body')) || '';
    ok('item: opened, the people are named and the subject shown',
       body.includes('Amy Patel') && body.includes('John Smith') && body.includes('Half-term revision'),
       body.slice(0, 400));
    ok('item: status held', (await text(page, '#status')) === 'held', await text(page, '#status'));
    const marks = await page.$$eval('pre.msg mark', (ms) => ms.map((m) => m.textContent));
    ok('item: findings marked in the message text',
       marks.some((m) => m.includes('07700 900123')) && marks.some((m) => /mrsmith_teach/.test(m)),
       JSON.stringify(marks));
    const listed = await page.$$eval('ul.findings mark', (ms) => ms.map((m) => m.textContent));
    ok('item: findings listed under the rule', listed.length >= 2, JSON.stringify(listed));
    const hist = await page.$$eval('#history tr', (trs) => trs.slice(1).map((tr) =>
      Array.from(tr.cells).map((td) => td.textContent.trim())));
    ok('item: history shows the hold by the filter',
       hist.some((h) => h[2] === 'held' && /safeguard-milter/.test(h[1])), JSON.stringify(hist));
    ok('item: all four decision forms',
       (await page.$$('#form-release, #form-reject, #form-escalate, #form-note')).length === 4);
    ok('item: release and reject each have a note and a message to the sender',
       (await page.$$('#form-release textarea[name=note], #form-release textarea[name=to_sender], ' +
                      '#form-reject textarea[name=note], #form-reject textarea[name=to_sender]')).length === 4);
    ok('item: no "tell the sender in the words of the note" box', (await page.$('[name=tell_sender]')) === null);
    await page.goto(`${base}/item/${R.attachment}`);
    const att = await page.$$eval('#attachments tr', (trs) => trs.map((tr) => tr.textContent));
    ok('item: attachments listed with type and size',
       att.some((t) => t.includes('sports-day-year5.jpg') && t.includes('image/jpeg') && /\d+ bytes/.test(t)),
       JSON.stringify(att));
    ok('item: attachments are not links', (await page.$$('#attachments a')).length === 0);
  });

  // ---- 6. a forged POST without the CSRF token, with the session cookie
  await step('csrf', async () => {
    await page.goto(`${base}/item/${R.view}`);
    const token = await page.$eval('#form-note input[name=csrf]', (i) => i.value);
    const url = `${base}/item/${R.view}/release`;
    const forged = await page.request.post(url, { form: { note: 'forged' }, maxRedirects: 0 });
    const body = await forged.text();
    ok('csrf: a POST without the token is refused (403)', forged.status() === 403, forged.status());
    ok('csrf: refused as a forgery, not for want of a session',
       /security token was missing or wrong/.test(body), body.slice(0, 300));
    const wrong = await page.request.post(url, {
      form: { csrf: 'A'.repeat(token.length), note: 'forged' }, maxRedirects: 0 });
    ok('csrf: a POST with a wrong token is refused (403)', wrong.status() === 403, wrong.status());
    ok('csrf: the record is unchanged', sh('status_of', R.view) === 'held', sh('status_of', R.view));
    ok('csrf: the message is still held', sh('held', Q.view) !== null);
    // the same request with the page's token is accepted: the refusal
    // above was the token's doing
    const right = await page.request.post(`${base}/item/${R.view}/note`, {
      form: { csrf: token, note: 'Spoke to Mr Smith' }, maxRedirects: 0 });
    ok('csrf: with the page\'s token the same kind of POST is accepted (303)', right.status() === 303,
       right.status());
  });

  // ---- 7. the XSS message: inert text, nothing run, nothing fetched
  await step('xss', async () => {
    const before = consoleMsgs.length;
    await page.goto(`${base}/queue`);
    const q = await page.evaluate(() => document.querySelectorAll(
      'script, img, b, iframe, object, embed, svg, [onmouseover], [onerror]').length);
    ok('xss: the queue has no element from the subject', q === 0, q);
    const qtext = (await text(page, '#queue')) || '';
    ok('xss: the staff-conduct subject is not in the queue until opened',
       !qtext.includes('pwned') && qtext.includes('(subject shown when opened)'), qtext.slice(0, 300));
    const [resp] = await Promise.all([page.waitForNavigation(),
                                      page.click(`#queue a[href="/item/${R.xss}"]`)]);
    ok('xss: document.title unchanged', (await page.title()) === `${R.xss} - Held mail review`,
       await page.title());
    const found = await page.evaluate(() => Array.from(document.querySelectorAll(
      'script, img, b, iframe, object, embed, svg, video, audio, [onmouseover], [onerror], [onclick]'))
      .map((e) => e.outerHTML));
    ok('xss: no element created by the payload', found.length === 0, JSON.stringify(found));
    const h1 = (await text(page, 'h1')) || '';
    ok('xss: the subject is shown as text',
       h1.includes("<script>document.title='pwned'</script>") && h1.includes('<b onmouseover='), h1);
    const msg = (await page.$$eval('pre.msg', (ps) => ps.map((p) => p.textContent))).join('\n');
    ok('xss: the message text shows the tags as text',
       msg.includes(`<img src="http://127.0.0.1:${S.trackPort}/track.gif"`) &&
       msg.includes("<script>document.title='pwned'</script>"), msg.slice(0, 600));
    const att = (await text(page, '#attachments')) || '';
    ok('xss: the attachment name is shown as text', att.includes('<img src='), att);
    const hover = page.getByText('hover here').first();
    if (await hover.count()) await hover.hover();
    await sleep(1000);
    ok('xss: no dialog', dialogs.length === 0, JSON.stringify(dialogs));
    ok('xss: document.title unchanged after a hover', (await page.title()) === `${R.xss} - Held mail review`);
    const csp = consoleMsgs.slice(before).filter((m) => /Content Security Policy/i.test(m));
    ok('xss: nothing tried to load or run (no CSP report)', csp.length === 0, JSON.stringify(csp));
    const h = resp.headers();
    const policy = h['content-security-policy'] || '';
    ok("xss: Content-Security-Policy: default-src 'none'", /(^|;)\s*default-src 'none'/.test(policy), policy);
    ok('xss: the policy allows no script and nothing inline',
       !/script-src/.test(policy) && !/unsafe/.test(policy) && !/\*/.test(policy), policy);
    ok("xss: frame-ancestors 'none'", /frame-ancestors 'none'/.test(policy), policy);
    ok('xss: X-Content-Type-Options: nosniff', h['x-content-type-options'] === 'nosniff',
       h['x-content-type-options']);
  });

  // ---- 4. release with a note: released, arrives once; a stale form refused
  await step('release', async () => {
    const stale = await ctx.newPage();
    await stale.goto(`${base}/item/${R.release}`);
    await page.goto(`${base}/item/${R.release}`);
    await page.fill('#form-release textarea[name=note]', S.releaseNote);
    await page.fill('#form-release textarea[name=to_sender]', S.releaseMessage);
    const resp = await submit(page, '#form-release');
    ok('release: the item shows released', (await text(page, '#status')) === 'released',
       `${resp && resp.status()} ${await text(page, '#status')} ${await text(page, '#outcome')}`);
    ok('release: the outcome says so, and that the message went to the sender',
       /^Released.*your message has gone to the sender/.test((await text(page, '#outcome')) || ''),
       await text(page, '#outcome'));
    ok('release: the decision forms are gone', (await page.$('#form-release')) === null);
    ok('release: credited on the record to the DSL who released it',
       (await text(page, '#decided-by')) === S.login,
       await text(page, '#decided-by'));
    const hist = (await text(page, '#history')) || '';
    ok('release: in the history, by the DSL, with the note',
       hist.includes('released') && hist.includes(S.releaseNote) && hist.includes(`${S.login} (127.0.0.1)`), hist);
    ok('release: the record is released', sh('status_of', R.release) === 'released');
    ok('release: the message arrives at the sink',
       await until(() => Number(sh('sink_count', Q.release)) >= 1, 20000), sh('sink_count', Q.release));
    // the same decision from a page opened before it
    await stale.fill('#form-release textarea[name=note]', 'again, from another tab');
    const again = await submit(stale, '#form-release');
    ok('release: a second release from a stale form is refused (409)', again && again.status() === 409,
       again && again.status());
    ok('release: it says "Not done"', /^Not done/.test((await text(stale, '#outcome')) || ''),
       await text(stale, '#outcome'));
    await stale.close();
    await sleep(3000);
    ok('release: delivered exactly once', sh('sink_count', Q.release) === '1', sh('sink_count', Q.release));
    // the sender's notice: the message to the sender, credited to the
    // reviewer who released it, and never the note for the record
    let notice = null;
    await until(() => !!(notice = sh('notice_to', S.sender, S.releaseMessage)), 30000);
    ok("release: the sender's notice with the message to the sender arrives", !!notice);
    // paragraphs are wrapped at 76 characters: joined again to read them
    const mail = notice ? fs.readFileSync(notice, 'utf8').replace(/\s+/g, ' ') : '';
    ok('release: the notice says it was delivered', /has been delivered/.test(mail), mail.slice(0, 400));
    ok('release: the notice credits the reviewer who released it',
       mail.includes(`${S.login} has read it and released it`) && !mail.includes(`${S.dsl} has read it`),
       mail.slice(0, 1200));
    ok('release: the note for the record is not in the notice', !mail.includes(S.releaseNote), mail.slice(0, 1200));
    await page.goto(`${base}/item/${R.release}`);
    const told = (await text(page, '#told')) || '';
    ok('release: "What the sender was told" shows the message sent', told.includes(S.releaseMessage), told);
  });

  // ---- 5. reject, telling the sender: never arrives; the sender gets the note
  await step('reject', async () => {
    await page.goto(`${base}/item/${R.reject}`);
    await page.fill('#form-reject textarea[name=note]', S.rejectNote);
    await page.fill('#form-reject textarea[name=to_sender]', S.rejectMessage);
    const resp = await submit(page, '#form-reject');
    ok('reject: the item shows rejected', (await text(page, '#status')) === 'rejected',
       `${resp && resp.status()} ${await text(page, '#status')} ${await text(page, '#outcome')}`);
    ok('reject: the outcome says the sender was told',
       /your message has gone to the sender/.test((await text(page, '#outcome')) || ''),
       await text(page, '#outcome'));
    ok('reject: the record is rejected', sh('status_of', R.reject) === 'rejected');
    ok('reject: gone from the hold queue', sh('in_queue', Q.reject) === null);
    ok("reject: the sender's notice with the message to the sender arrives",
       await until(() => !!sh('notice_to', S.sender, S.rejectMessage), 30000));
    ok('reject: the note for the record was not mailed', !sh('notice_to', S.sender, S.rejectNote));
    await sleep(2000);
    ok('reject: the message never reaches the sink', sh('sink_count', Q.reject) === '0',
       sh('sink_count', Q.reject));
  });

  // ---- 10. the layout, at 1280 and 390 pixels wide: nothing wider than
  // the window, the message above the policy text, names and titles
  for (const [label, vp] of [['1280', VIEWPORT], ['390', PHONE]]) {
    await step(`layout ${label}`, async () => {
      const c = await browser.newContext({ viewport: vp });
      const p = await c.newPage();
      await login(p, base, S.login, S.password);
      const fits = async (what) => {
        const m = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth,
                                            client: document.documentElement.clientWidth }));
        ok(`layout ${label}: ${what} has no horizontal overflow`, m.scroll <= m.client, JSON.stringify(m));
      };
      await fits('the queue');
      for (const which of ['view', 'lookalike', 'xss']) {
        await p.goto(`${base}/item/${R[which]}`);
        await fits(`the ${which} item`);
        const pos = await p.evaluate(() => {
          const body = document.querySelector('#message pre.msg');
          const policy = document.querySelector('details.policy');
          return { body: body && body.getBoundingClientRect().top,
                   policy: policy && policy.getBoundingClientRect().top,
                   folded: policy && !policy.open };
        });
        ok(`layout ${label}: the ${which} message body is above the policy text, which is folded`,
           pos.body !== null && pos.policy !== null && pos.body < pos.policy && pos.folded, JSON.stringify(pos));
      }
      await p.goto(`${base}/item/${R.lookalike}`);
      const shown = (await text(p, '#shown-name')) || '';
      ok(`layout ${label}: the look-alike's display name is shown`, shown.includes('John Smith'), shown);
      const heads = (await text(p, '#headers')) || '';
      ok(`layout ${label}: the From: header as written is shown`,
         heads.includes('John Smith <jsmith.teach@example.net>'), heads);
      const titles = (await text(p, '#titles')) || '';
      ok(`layout ${label}: the rule's title is shown`,
         titles.includes("Outside address using a staff member's name, writing to a pupil"), titles);
      const to = (await text(p, 'dl.facts')) || '';
      ok(`layout ${label}: the pupil is shown by name`, to.includes('Ben Okafor'), to);
      ok(`layout ${label}: nothing was sent to the look-alike's sender, so no "What the sender was told"`,
         sh('told_count', R.lookalike) === '0' && !(await p.content()).includes('What the sender was told'),
         sh('told_count', R.lookalike));
      await c.close();
    });
  }

  ok('no dialog on any page', dialogs.length === 0, JSON.stringify(dialogs));
  ok('no request left this server', foreign.length === 0, JSON.stringify(foreign));

  // ---- logout ends the session
  await step('logout', async () => {
    const c = await sessionCookie(ctx);
    await submit(page, 'form.logout');
    ok('logout: back at the login page', pathOf(page) === '/login', page.url());
    const r = await ctx.request.get(`${base}/queue`, {
      headers: { Cookie: `sg_session=${c.value}` }, maxRedirects: 0 });
    ok('logout: the old session cookie no longer works', r.status() === 303 &&
       r.headers().location === '/login', `${r.status()} ${r.headers().location}`);
  });
  await ctx.close();

  // ---- 2. the directory: a DSL in the group logs in; staff outside it do not
  if (S.ldapBase) {
    await step('directory login', async () => {
      const c1 = await browser.newContext({ viewport: VIEWPORT });
      const p1 = await c1.newPage();
      await login(p1, S.ldapBase, S.ldapDsl.login, S.ldapDsl.password);
      ok('directory: a DSL in the group logs in', pathOf(p1) === '/queue' &&
         ((await text(p1, '#who')) || '').includes(S.ldapDsl.login),
         `${p1.url()} ${await text(p1, '#login-error')}`);
      await c1.close();
      const c2 = await browser.newContext({ viewport: VIEWPORT });
      const p2 = await c2.newPage();
      const resp = await login(p2, S.ldapBase, S.ldapStaff.login, S.ldapStaff.password);
      ok('directory: staff outside the DSL group refused (403)', resp && resp.status() === 403,
         resp && resp.status());
      ok('directory: told they are not allowed to review held mail',
         /not allowed to review held mail/.test((await text(p2, '#login-error')) || ''),
         await text(p2, '#login-error'));
      ok('directory: no session for them', (await sessionCookie(c2)) === undefined,
         JSON.stringify(await c2.cookies()));
      await p2.goto(`${S.ldapBase}/item/${R.view}`);
      ok('directory: they see no item', pathOf(p2) === '/login' && (await p2.$('#status')) === null, p2.url());
      await c2.close();
    });
  }

  // ---- 1. the lockout: after review_login_attempts failures, even the
  // right password is refused
  await step('lockout', async () => {
    const c = await browser.newContext({ viewport: VIEWPORT });
    const p = await c.newPage();
    for (let i = 0; i < 3; i++) await login(p, base, S.login, `wrong-${i}`);
    const resp = await login(p, base, S.login, S.password);
    ok('lockout: the right password is refused (429)', resp && resp.status() === 429, resp && resp.status());
    ok('lockout: "Too many failed sign-ins"',
       /Too many failed sign-ins/.test((await text(p, '#login-error')) || ''), await text(p, '#login-error'));
    ok('lockout: no session', (await sessionCookie(c)) === undefined && pathOf(p) === '/login', p.url());
    await c.close();
  });

  await sleep(500);
  ok('no request ever reached the tracking port', trackHits.length === 0, JSON.stringify(trackHits));
  track.close();
}

async function screenshots(browser) {
  const ctx = await browser.newContext({ viewport: VIEWPORT });
  const page = await ctx.newPage();
  await login(page, S.base, S.login, S.password);
  if (pathOf(page) !== '/queue') throw new Error(`login failed: ${page.url()}`);
  await page.screenshot({ path: path.join(S.out, 'review-queue.png'), fullPage: true });
  // the same on a phone, before the note below changes the item
  const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  const pp = await phone.newPage();
  await login(pp, S.base, S.login, S.password);
  await pp.screenshot({ path: path.join(S.out, 'review-queue-phone.png'), fullPage: true });
  await pp.goto(`${S.base}/item/${S.item}`);
  await pp.screenshot({ path: path.join(S.out, 'review-item-phone.png'), fullPage: true });
  await phone.close();
  // the item as it is after the DSL has added a note
  await Promise.all([page.waitForNavigation(), page.click(`#queue a[href="/item/${S.item}"]`)]);
  await page.fill('#form-note textarea[name=note]',
                  'Phoned Mr Smith. He will use the school office number for revision questions.');
  await submit(page, '#form-note');
  if (!/note has been added/.test((await text(page, '#outcome')) || '')) throw new Error('the note was not added');
  await page.screenshot({ path: path.join(S.out, 'review-item.png'), fullPage: true });
  await ctx.close();
  console.log(`screenshots written to ${S.out}`);
}

run(chromium, async (browser) => {
  if (S.mode === 'screenshots') {
    await screenshots(browser);
    return false;
  }
  await checks(browser);
});
