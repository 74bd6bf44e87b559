// Browser test of the gateway's isolation in headless Chromium: a content
// provider's page that tries to act as garake (read the admin console with
// the tester's console cookie, take its CSRF token, move the simulated clock,
// call the QA API, beacon out) runs nothing, whether opened directly or in
// the emulator's screen.
//
// Run by .ci/run after `cargo build`: `node --test tests/browser/`. It starts a
// small content provider (node's http module) and the real garake binary with
// a copy of the shipped menus plus one unofficial site pointing at it, and
// drives Debian's chromium through playwright-core (never a downloaded browser).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createServer } from "node:http";
import { cpSync, mkdtempSync, appendFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const BINARY = process.env.GARAKE_BIN ?? `${REPO}target/debug/garake`;
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const TOKEN = "browser-test-token";

let cp; // the content provider
let cpBase;
let beacons = [];
let server;
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

function startProvider() {
  return new Promise((resolve) => {
    cp = createServer((req, res) => {
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

function startServer() {
  const args = ["serve", "--addr", "127.0.0.1:0", "--db", ":memory:", "--admin-token", TOKEN, "--menus", menus];
  server = spawn(BINARY, args, { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("garake did not start within 10 s")), 10_000);
    server.once("error", reject);
    server.once("exit", (code) => reject(new Error(`garake exited early with ${code}`)));
    const lines = createInterface({ input: server.stdout });
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = /^garake listening on (http:\/\/\S+)$/.exec(line);
      if (m) resolve(m[1]);
      else reject(new Error(`unexpected first line from garake: ${line}`));
      lines.on("line", () => {});
    });
  });
}

function stop() {
  if (server && server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
}
process.on("exit", stop);

before(async () => {
  await startProvider();
  menus = menusWithProvider();
  base = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--disable-quic", "--no-first-run"],
  });
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    stop();
    cp?.close();
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
