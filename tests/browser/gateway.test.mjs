// Browser test of the gateway's isolation in headless Chromium: a content
// provider's page that tries to act as garake (read the admin console with
// the tester's console cookie, take its CSRF token, move the simulated clock,
// call the QA API, beacon out) runs nothing, whether opened directly or in
// the emulator's screen. Pages that only a browser's own reading would
// unlock (a byte-order mark against the declared charset, a Content-Type
// of two types) reach it with nothing off-site and send the handset's
// session URL to no one; a page whose named forms shadow the document's
// methods leaves the emulator's keypad and meter working.
//
// Run by .ci/run after `cargo build`: `node --test tests/browser/`. It starts a
// small content provider (node's http module) and the real garake binary with
// a copy of the shipped menus plus one unofficial site pointing at it, and
// drives Debian's chromium through playwright-core (never a downloaded browser).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { REPO, launchChromium, startGarake } from "./support.mjs";
import { createServer } from "node:http";
import { cpSync, mkdtempSync, appendFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const TOKEN = "browser-test-token";

let cp; // the content provider
let cpBase;
let other; // another host, where a page that slipped through would lead
let otherBase;
let beacons = [];
/** Every request either provider saw, with its Referer. */
let seen = [];
let stop = () => {};
let base;
let browser;
let menus;

/** The hostile page: every way a page could run something. */
function hostile(cpOrigin) {
  const beacon = (what) => `${cpOrigin}/beacon?${what}`;
  return `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta http-equiv="refresh" content="0;URL=${beacon("refresh")}">
<title>cp page</title>
<script>
  document.title = "RAN";
  fetch("/admin").then((r) => r.text()).then((html) => {
    const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(html);
    const body = "csrf=" + (csrf ? csrf[1] : "") + "&seconds=86400";
    return fetch("/admin/clock", { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } });
  });
  fetch("/api/lines", { headers: { authorization: "Bearer ${TOKEN}" } });
  fetch("${beacon("script")}", { mode: "no-cors" });
  location.href = "${beacon("navigate")}";
</script>
</head><body onload="fetch('${beacon("onload")}', {mode: 'no-cors'})">
<p id="content">provider content</p>
<img src="/nothing.gif" onerror="fetch('${beacon("onerror")}', {mode: 'no-cors'})">
<a id="js" href="javascript:fetch('${beacon("javascript")}', {mode: 'no-cors'})">js</a>
<div style="background:url(javascript:fetch('${beacon("css")}'))">styled</div>
</body></html>`;
}

/**
 * Every docomo pictogram (Shift_JIS F89F..F9FC, the codes the table lists),
 * a tag and an attribute no i-mode HTML version has, in Shift_JIS.
 */
function pictogramPage() {
  const head = Buffer.from(
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><title>emoji</title></head>' +
      '<body><p id="all">',
    "latin1",
  );
  const codes = [];
  const ranges = [[0xf89f, 0xf8fc], [0xf940, 0xf949], [0xf950, 0xf952], [0xf955, 0xf957], [0xf95b, 0xf95e],
    [0xf972, 0xf97e], [0xf980, 0xf9fc]];
  for (const [from, to] of ranges) for (let c = from; c <= to; c++) codes.push(c);
  const body = Buffer.from(codes.flatMap((c) => [c >> 8, c & 0xff]));
  const tail = Buffer.from('</p><section>new</section><p data-x="1">x</p></body></html>', "latin1");
  return { page: Buffer.concat([head, body, tail]), count: codes.length };
}

/**
 * A page that would send the handset's session URL to another host: a
 * referrer policy that sends the whole URL, a <base> and links there.
 */
function leaky(name) {
  return `<html><head><title>${name}</title><meta name="referrer" content="unsafe-url">
<base href="${otherBase}/"><script>document.title = "RAN";</script></head><body>
<p id="content">${name} content</p>
<a id="off" href="${otherBase}/landing">off-site</a> <a id="rel" href="landing">relative</a>
<img src="${otherBase}/pixel.gif"></body></html>`;
}

/** The pages a browser would read otherwise than their headers say, by path. */
const SLIPS = {
  // A UTF-16 page declared windows-1252: a browser reads it by its mark.
  "/cp/bom-le": () => ["text/html; charset=windows-1252", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(leaky("bom-le"), "utf16le")])],
  "/cp/bom-be": () => ["text/html; charset=windows-1252", Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(leaky("bom-be"), "utf16le").swap16()])],
  "/cp/bom-utf8": () => ["text/html; charset=Shift_JIS", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(leaky("bom-utf8"))])],
  // Chromium takes the last of comma-separated types: HTML.
  "/cp/two-types": () => ["text/plain;,text/html", Buffer.from(leaky("two-types"))],
};

/**
 * A page whose named forms and images shadow the document's own methods and
 * getters (DOM clobbering), and whose form's fields shadow an element's; its
 * [1] link leads on.
 */
const CLOBBER = `<html><head><title>clobber</title></head><body>
<form name="querySelector"></form><form name="querySelectorAll"></form><form name="activeElement"></form>
<form name="createTreeWalker"></form><form name="createElement"></form><form name="createDocumentFragment"></form>
<form name="addEventListener"></form><form name="adoptedStyleSheets"></form><form name="title"></form>
<form name="characterSet"></form><form name="documentElement"></form><img name="body" src="/cp/none.gif" alt="">
<form name="fields"><input name="tagName"><input name="getAttributeNames"><input name="classList"><input name="matches"></form>
<p>\u{E63E} fine</p><a accesskey="1" href="/cp/next">next</a></body></html>`;

function startProvider() {
  return new Promise((resolve) => {
    cp = createServer((req, res) => {
      seen.push({ host: "cp", url: req.url, referer: req.headers.referer ?? null });
      if (SLIPS[req.url]) {
        const [type, body] = SLIPS[req.url]();
        res.writeHead(200, { "content-type": type });
        res.end(body);
        return;
      }
      if (req.url === "/cp/clobber") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(CLOBBER);
        return;
      }
      if (req.url === "/cp/next" || req.url === "/cp/landing") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(`<html><head><title>${req.url.slice(4)}</title></head><body><p id="next">${req.url}</p></body></html>`);
        return;
      }
      if (req.url.startsWith("/cp/pictograms")) {
        res.writeHead(200, { "content-type": "text/html; charset=Shift_JIS" });
        res.end(pictogramPage().page);
        return;
      }
      if (req.url.startsWith("/beacon")) {
        beacons.push(req.url);
        res.end("ok");
        return;
      }
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(hostile(cpBase));
    });
    cp.listen(0, "127.0.0.1", () => {
      cpBase = `http://127.0.0.1:${cp.address().port}`;
      resolve();
    });
  });
}

/** Another host, which no page through the gateway may reach. */
function startOther() {
  return new Promise((resolve) => {
    other = createServer((req, res) => {
      seen.push({ host: "other", url: req.url, referer: req.headers.referer ?? null });
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<p id=\"elsewhere\">another host</p>");
    });
    other.listen(0, "127.0.0.1", () => {
      otherBase = `http://127.0.0.1:${other.address().port}`;
      resolve();
    });
  });
}

/** The shipped menus plus an unofficial site `evil` behind the gateway. */
function menusWithProvider() {
  const dir = mkdtempSync(join(tmpdir(), "garake-menus-"));
  cpSync(join(REPO, "menus"), dir, { recursive: true });
  appendFileSync(
    join(dir, "sites.toml"),
    `\n[[site]]\nid = "evil"\nja = "怪しいサイト"\nen = "Hostile site"\nabout_ja = "試験"\nabout_en = "Test"\n` +
      `upstream = "${cpBase}/cp/"\nofficial = false\n`,
  );
  return dir;
}

before(async () => {
  await startOther();
  await startProvider();
  menus = menusWithProvider();
  ({ base, stop } = await startGarake(TOKEN, ["--menus", menus]));
  browser = await launchChromium();
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    stop();
    cp?.close();
    other?.close();
    rmSync(menus, { recursive: true, force: true });
  }
});

async function clockOffset() {
  const r = await fetch(`${base}/api/clock`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await r.json()).offset_seconds;
}

/** Logs the context in to the admin console: its cookie is what a script would ride on. */
async function consoleLogin(page) {
  await page.goto(`${base}/admin/login`);
  await page.fill('input[name="token"]', TOKEN);
  await page.click("button");
  await page.waitForURL(`${base}/admin`);
}

/** Powers on as Taro on a browser-2.0 handset; returns the session's path prefix. */
async function powerOn(page) {
  await page.goto(`${base}/on/09012340001?profile=P-07B&lang=en`);
  const m = /\/s\/([0-9a-f]{32})\//.exec(page.url());
  assert.ok(m, `a session in ${page.url()}`);
  return `/s/${m[1]}`;
}

test("a provider's page run directly with a console cookie present runs nothing", { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await consoleLogin(page);
    const cookies = await context.cookies();
    assert.ok(cookies.some((c) => c.name === "garake_admin"), "the console cookie is set");
    const offset = await clockOffset();
    const prefix = await powerOn(page);
    beacons = [];
    const answer = await page.goto(`${base}${prefix}/g/evil/`);
    assert.equal(answer.status(), 200);
    assert.match(answer.headers()["content-security-policy"], /sandbox allow-forms allow-same-origin/);
    await page.waitForTimeout(1500);
    assert.equal(await page.locator("#content").innerText(), "provider content");
    assert.notEqual(await page.title(), "RAN", "the script did not run");
    assert.equal(await page.evaluate(() => document.scripts.length), 0, "no script reached the browser");
    assert.ok(page.url().startsWith(`${base}${prefix}/g/evil/`), `still on the page: ${page.url()}`);
    // The javascript: link was neutralised: clicking it goes nowhere harmful.
    const href = await page.locator("#js").getAttribute("href");
    assert.ok(href === null || !/javascript/i.test(href), `href ${href}`);
    assert.deepEqual(beacons, [], "nothing reached the provider's beacon");
    assert.equal(await clockOffset(), offset, "the simulated clock was not moved");
  } finally {
    await context.close();
  }
});

test("the same page in the emulator's sandboxed screen runs nothing either", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  try {
    const page = await context.newPage();
    await consoleLogin(page);
    const offset = await clockOffset();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${base}/emulator?profile=P-07B&line=09012340001&lang=en`);
    await page.waitForFunction(() => document.body.dataset.state === "ready", null, { timeout: 10_000 });
    const frame = page.locator("#screen");
    assert.equal(await frame.getAttribute("sandbox"), "allow-forms allow-same-origin");
    const sid = await frame.evaluate((f) => /\/s\/([0-9a-f]{32})\//.exec(f.contentWindow.location.pathname)[1]);
    beacons = [];
    const before = Number(await page.evaluate(() => document.body.dataset.loads));
    await frame.evaluate((f, path) => f.contentWindow.location.assign(path), `/s/${sid}/g/evil/`);
    await page.waitForFunction((n) => Number(document.body.dataset.loads) > n, before, { timeout: 10_000 });
    await page.waitForTimeout(1500);
    const screen = page.frameLocator("#screen");
    assert.equal(await screen.locator("#content").innerText(), "provider content");
    assert.notEqual(await frame.evaluate((f) => f.contentDocument.title), "RAN");
    // The shell still styles the screen (a constructed sheet, which the page's CSP allows).
    assert.equal(await frame.evaluate((f) => f.contentDocument.adoptedStyleSheets.length), 1);
    assert.deepEqual(beacons, []);
    assert.equal(await clockOffset(), offset);
    assert.deepEqual(errors, [], "no script errors in the shell");
  } finally {
    await context.close();
  }
});

test("the emulator draws all 252 pictograms and names what the handset's HTML version lacks", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(`${base}/emulator?profile=P-07B&line=09012340001&lang=en`);
    await page.waitForFunction(() => document.body.dataset.state === "ready", null, { timeout: 10_000 });
    const frame = page.locator("#screen");
    const sid = await frame.evaluate((f) => /\/s\/([0-9a-f]{32})\//.exec(f.contentWindow.location.pathname)[1]);
    const before = Number(await page.evaluate(() => document.body.dataset.loads));
    await frame.evaluate((f, path) => f.contentWindow.location.assign(path), `/s/${sid}/g/evil/pictograms`);
    await page.waitForFunction((n) => Number(document.body.dataset.loads) > n, before, { timeout: 10_000 });
    const drawn = await frame.evaluate((f) => {
      const doc = f.contentDocument;
      const spans = [...doc.querySelectorAll("#all .garake-picto")];
      return {
        count: spans.length,
        codes: new Set(spans.map((s) => s.dataset.code)).size,
        empty: spans.filter((s) => !s.textContent.trim()).length,
        unnamed: spans.filter((s) => !/docomo pictogram U\+E[67]/.test(s.title)).length,
        // No private-use character is left for the PC's fonts to show as a box.
        leftover: /[\uE000-\uF8FF]/.test(doc.body.textContent),
        fine: spans.find((s) => s.dataset.code === "E63E")?.textContent,
        imode: spans.find((s) => s.dataset.code === "E6D1")?.className,
      };
    });
    assert.equal(pictogramPage().count, 252);
    assert.equal(drawn.count, 252, "every pictogram drawn");
    assert.equal(drawn.codes, 252, "each one its own");
    assert.equal(drawn.empty, 0);
    assert.equal(drawn.unnamed, 0, "each has its name as a tooltip");
    assert.equal(drawn.leftover, false);
    assert.equal(drawn.fine, "\u2600", "Fine is the sun");
    assert.match(drawn.imode, /garake-badge/, "the i-mode mark has no Unicode equivalent: a badge");
    const report = await page.locator("#tags").innerText();
    assert.match(report, /not in i-mode HTML \S+: .*\bsection\b/, report);
    assert.match(report, /\bp@data-x\b/, report);
    assert.doesNotMatch(report, /garake|span@/, "the emulator's own spans are not reported");
  } finally {
    await context.close();
  }
});

/**
 * What the providers saw since `seen` was emptied: only garake's own
 * fetches of provider pages, none carrying a Referer (so none the handset's
 * session URL), and nothing at the other host.
 */
function assertNothingLeft() {
  assert.deepEqual(seen.filter((r) => r.host === "other"), [], "nothing reached the other host");
  assert.deepEqual(seen.filter((r) => r.referer !== null), [], "no request carried a Referer");
  assert.ok(seen.length > 0, "the provider was asked");
}

/** Every URL the document on `target` (a page or frame) would follow or load, made absolute. */
function urlsOf(target) {
  return target.evaluate(() =>
    [...document.querySelectorAll("[href], [src], [action]")].map((el) => el.href || el.src || el.action));
}

/**
 * Asserts a page reached the browser with nothing off-site left in it: on
 * garake's own pages every URL is garake's; on a provider's, every URL
 * leads into the gateway or to the "not configured" page.
 */
async function assertInside(target, prefix, provider) {
  const tags = await target.evaluate(() => document.querySelectorAll("base, script, iframe, meta[name=referrer i]").length);
  assert.equal(tags, 0, "no base, script, frame or referrer policy");
  assert.notEqual(await target.evaluate(() => document.title), "RAN");
  for (const url of await urlsOf(target)) {
    assert.equal(new URL(url).origin, base, `${url} is garake's`);
    if (provider) {
      assert.ok(url.startsWith(`${base}${prefix}/g/evil/`) || url.startsWith(`${base}${prefix}/url?`), `${url} stays in the gateway`);
    }
  }
}

test("pages a browser reads otherwise than their headers say lead nowhere off-site, opened directly", { timeout: 90_000 }, async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const prefix = await powerOn(page);
    for (const path of Object.keys(SLIPS)) {
      seen = [];
      const answer = await page.goto(`${base}${prefix}/g/evil/${path.slice(4)}`);
      if (path === "/cp/two-types") {
        assert.equal(answer.status(), 415, path);
        assert.match(await page.locator("body").innerText(), /cannot be shown on a handset/);
        assert.equal(await page.locator("#off").count(), 0);
        await assertInside(page, prefix, false);
      } else {
        assert.equal(answer.status(), 200, path);
        assert.equal(await page.locator("#content").innerText(), `${path.slice(4)} content`);
        await assertInside(page, prefix, true);
        // Follow the off-site link (to garake's "not configured" page), then
        // the relative one (without the <base>, into the gateway).
        await Promise.all([page.waitForEvent("load"), page.click("#off")]);
        await page.waitForTimeout(300);
        assertNothingLeft();
        assert.ok(new URL(page.url()).pathname.startsWith(`${prefix}/url`), page.url());
        await page.goBack();
        await Promise.all([page.waitForEvent("load"), page.click("#rel")]);
        assert.equal(page.url(), `${base}${prefix}/g/evil/landing`);
        assert.equal(await page.locator("#next").innerText(), "/cp/landing");
      }
      await page.waitForTimeout(300);
      assertNothingLeft();
    }
  } finally {
    await context.close();
  }
});

test("the same pages in the emulator's screen lead nowhere off-site either", { timeout: 90_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${base}/emulator?profile=P-07B&line=09012340001&lang=en`);
    await page.waitForFunction(() => document.body.dataset.state === "ready", null, { timeout: 10_000 });
    const frame = page.locator("#screen");
    const sid = await frame.evaluate((f) => /\/s\/([0-9a-f]{32})\//.exec(f.contentWindow.location.pathname)[1]);
    const prefix = `/s/${sid}`;
    const loads = () => page.evaluate(() => Number(document.body.dataset.loads));
    const next = (n) => page.waitForFunction((k) => Number(document.body.dataset.loads) > k && document.body.dataset.state === "ready", n, { timeout: 10_000 });
    for (const path of Object.keys(SLIPS)) {
      seen = [];
      let before = await loads();
      await frame.evaluate((f, to) => f.contentWindow.location.assign(to), `${prefix}/g/evil/${path.slice(4)}`);
      await next(before);
      const screen = page.frames().find((f) => f.parentFrame() === page.mainFrame());
      await assertInside(screen, prefix, path !== "/cp/two-types");
      if (path !== "/cp/two-types") {
        assert.equal(await screen.locator("#content").innerText(), `${path.slice(4)} content`);
        before = await loads();
        await Promise.all([page.waitForEvent("framenavigated", { predicate: (f) => f === screen }), screen.click("#off")]);
        await screen.waitForLoadState("load");
        await page.waitForTimeout(300);
        assertNothingLeft();
        await next(before);
        assert.match(await page.locator("#path").innerText(), new RegExp(`^${prefix}/url\\?`));
      }
      await page.waitForTimeout(300);
      assertNothingLeft();
    }
    assert.deepEqual(errors, [], "no script errors in the shell");
  } finally {
    await context.close();
  }
});

test("the emulator's keypad and meter work on a page whose names shadow the document's methods", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${base}/emulator?profile=P-07B&line=09012340001&lang=en`);
    await page.waitForFunction(() => document.body.dataset.state === "ready", null, { timeout: 10_000 });
    const frame = page.locator("#screen");
    const sid = await frame.evaluate((f) => /\/s\/([0-9a-f]{32})\//.exec(f.contentWindow.location.pathname)[1]);
    const path = `/s/${sid}/g/evil/clobber`;
    const loads = () => page.evaluate(() => Number(document.body.dataset.loads));
    let before = await loads();
    await frame.evaluate((f, to) => f.contentWindow.location.assign(to), path);
    await page.waitForFunction((n) => Number(document.body.dataset.loads) > n && document.body.dataset.state === "ready", before, { timeout: 10_000 });
    // The page really shadows them (the shell must not be fooled by that).
    assert.equal(await frame.evaluate((f) => f.contentDocument.querySelector instanceof f.contentWindow.HTMLFormElement), true);
    // The meter shows the page's bytes, as the handset got them.
    const size = await page.evaluate((p) => fetch(p).then((r) => r.arrayBuffer()).then((b) => b.byteLength), path);
    assert.ok(size > 0);
    assert.equal((await page.locator("#bytes").innerText()).replace(/,/g, ""), String(size));
    assert.match(await page.locator("#charset").innerText(), /Shift_JIS/i);
    assert.equal(await page.locator("#log li .t").first().innerText(), "clobber", "the title, not a form");
    // The pictogram is drawn, and the [1] key is lit and follows the page's link.
    assert.equal(await frame.evaluate((f) => f.contentDocument.getElementsByClassName("garake-picto").length), 1);
    const key = page.locator('.keypad button[data-key="1"]');
    assert.match(await key.getAttribute("class"), /\blive\b/);
    before = await loads();
    await key.click();
    await page.waitForFunction((n) => Number(document.body.dataset.loads) > n && document.body.dataset.state === "ready", before, { timeout: 10_000 });
    assert.equal(await page.locator("#path").innerText(), `/s/${sid}/g/evil/next`);
    assert.deepEqual(errors, [], "no script errors in the shell");
  } finally {
    await context.close();
  }
});
