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

module.exports = { LAUNCH, ok, counts };
