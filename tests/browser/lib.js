// lib.js - what the browser scripts share: how Debian's chromium is
// launched (headless, nothing fetched but the page under test), and the
// "ok - ..." / "not ok - ..." lines with their counts.
'use strict';

const LAUNCH = {
  executablePath: process.env.SG_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
         '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
};

const counts = { passed: 0, failed: 0 };
function ok(what, cond, detail) {
  if (cond) {
    counts.passed++;
    console.log(`ok - ${what}`);
  } else {
    counts.failed++;
    console.log(`not ok - ${what}${detail !== undefined ? `\n#   ${String(detail).replace(/\n/g, '\n#   ')}` : ''}`);
  }
  return cond;
}

// Launch chromium (playwright-core's), run body(browser), close it, and
// exit 0 when no check failed, 1 when one did, 2 when body threw.  Unless
// body returns false, a closing "# browser checks done: N passed, N
// failed" line says the checks ran to their end.
function run(chromium, body) {
  (async () => {
    const browser = await chromium.launch(LAUNCH);
    try {
      if ((await body(browser)) !== false)
        console.log(`# browser checks done: ${counts.passed} passed, ${counts.failed} failed`);
    } finally {
      await browser.close();
    }
    process.exit(counts.failed === 0 ? 0 : 1);
  })().catch((e) => {
    console.error(e);
    process.exit(2);
  });
}

module.exports = { LAUNCH, ok, counts, run };
