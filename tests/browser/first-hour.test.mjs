// Browser test of a newcomer's first hour, in headless Chromium at 1024×700: the
// power-on page a PC browser opens first, the emulator's meter in yen and
// seconds, and the admin console's pages with nothing in them yet.
//
// Run by .ci/run after `cargo build`: `node --test tests/browser/`. It starts the real
// garake binary on a free port with an in-memory database, and drives Debian's
// chromium (/usr/bin/chromium, or $CHROMIUM) through playwright-core; it never
// downloads a browser. Not part of `cargo test`, which must pass without Chromium.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launchChromium, startGarake } from "./support.mjs";

const TOKEN = "first-hour-test-token";
const STEP = 10_000; // ms any single page may take
const WINDOW = { width: 1024, height: 700 };

let stopServer = () => {};
let browser;
let base;

before(async () => {
  ({ base, stop: stopServer } = await startGarake(TOKEN, ["--menus", "menus"]));
  browser = await launchChromium();
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    stopServer();
  }
});

/** A fresh browser window of 1024×700 for one test. */
async function window(t) {
  const context = await browser.newContext({ viewport: WINDOW });
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  t.after(() => assert.deepEqual(errors, [], "no script errors"));
  return page;
}

/** How far the page, and its main column if it has one, is wider than the window. */
const overflow = (page) =>
  page.evaluate(() => {
    const doc = document.documentElement;
    const main = document.querySelector("main");
    return {
      page: doc.scrollWidth - doc.clientWidth,
      main: main ? main.scrollWidth - main.clientWidth : 0,
    };
  });

/** The shell counts the handset pages it has shown; wait for one more than `since`. */
async function nextPage(page, since) {
  await page.waitForFunction(
    (n) => Number(document.body.dataset.loads) > n && document.body.dataset.state === "ready",
    since,
    { timeout: STEP },
  );
}

const loads = (page) => page.evaluate(() => Number(document.body.dataset.loads));

test("a PC browser's power-on page says what garake is and opens the emulator", { timeout: 60_000 }, async (t) => {
  const page = await window(t);
  const answer = await page.goto(`${base}/`);
  assert.equal(answer.status(), 200);
  assert.match(await page.locator("body").innerText(), /i-mode carrier portal/);
  assert.deepEqual(await overflow(page), { page: 0, main: 0 }, "fits 1024 px");
  // The style sheet arrived (a handset page's policy allows no inline style).
  assert.notEqual(
    await page.locator("a.button").evaluate((a) => getComputedStyle(a).backgroundColor),
    "rgba(0, 0, 0, 0)",
  );
  // The same lines a handset gets, in the language picked.
  await page.click('a[href="/?lang=ja"]');
  assert.match(await page.locator("body").innerText(), /ドコモ太郎/);
  await page.click('a[href="/emulator"]');
  await page.waitForURL(/\/emulator/);
  await nextPage(page, 0);
  assert.match(await page.locator("#path").innerText(), /\/s\/.+\/m\/imenu/);
});

test("the meter shows a page's cost in yen and its time in seconds on the handset's network", { timeout: 60_000 }, async (t) => {
  const page = await window(t);
  await page.goto(`${base}/emulator?profile=P501i&line=09012340001&lang=en`);
  await nextPage(page, 0);
  const read = () =>
    page.evaluate(() => ({
      bytes: Number(document.getElementById("bytes").textContent.replace(/,/g, "")),
      yen: document.getElementById("yen").textContent,
      seconds: document.getElementById("seconds").textContent,
      bearer: document.getElementById("bearer").textContent,
    }));

  // A P501i on mova: 0.3 yen a packet of 128 bytes, 9.6 kbps.
  const mova = await read();
  assert.ok(mova.bytes > 0, `the meter read the page: ${JSON.stringify(mova)}`);
  const packets = Math.ceil(mova.bytes / 128);
  assert.equal(mova.yen, `¥${(packets * 0.3).toFixed(1)}`);
  assert.equal(mova.seconds, `${((mova.bytes * 8) / 9600).toFixed(2)} s`);
  assert.equal(mova.bearer, "mova PDC-P 9.6 kbps");
  assert.match(await page.locator("#meter").innerText(), /¥[\d.]+\s+[\d.]+ s/);

  // The same page on a P903i (FOMA): 0.2 yen a packet, 384 kbps.
  let before = await loads(page);
  await page.selectOption("#profile", "P903i");
  await nextPage(page, before);
  const foma = await read();
  assert.equal(foma.yen, `¥${(Math.ceil(foma.bytes / 128) * 0.2).toFixed(1)}`);
  const secs = (foma.bytes * 8) / 384_000;
  assert.equal(foma.seconds, secs < 0.01 ? "<0.01 s" : `${secs.toFixed(2)} s`);
  assert.equal(foma.bearer, "FOMA W-CDMA 384 kbps");

  // A P-07B on HSDPA, and a PC, which paid no packet fee.
  before = await loads(page);
  await page.selectOption("#profile", "P-07B");
  await nextPage(page, before);
  assert.equal((await read()).bearer, "FOMA HSDPA 7.2 Mbps");
  before = await loads(page);
  await page.selectOption("#profile", "PC");
  await nextPage(page, before);
  const pc = await read();
  assert.deepEqual([pc.yen, pc.seconds, pc.bearer], ["—", "—", "no packet fee"]);
  assert.deepEqual(await overflow(page), { page: 0, main: 0 }, "the emulator fits 1024 px");
});

test("every console page fits 1024 px and an empty list says why it is empty", { timeout: 60_000 }, async (t) => {
  const page = await window(t);
  await page.goto(`${base}/admin/login`);
  await page.fill("input[name=token]", TOKEN);
  await Promise.all([page.waitForURL(`${base}/admin`), page.click("button")]);

  const empty = {
    "/outbox": /The outbox is empty/,
    "/admin/support": /No inquiries/,
    "/admin/mail-log": /No mail yet/,
  };
  const pages = ["/admin", "/admin/audit", "/admin/mail-log", "/outbox", "/admin/support", "/admin/lines/09012340001"];
  for (const path of pages) {
    await page.goto(`${base}${path}`);
    assert.deepEqual(await overflow(page), { page: 0, main: 0 }, `${path} fits 1024 px`);
    if (empty[path]) {
      assert.match(await page.locator("p.empty").innerText(), empty[path], path);
      assert.equal(await page.locator("main table").count(), 0, `${path}: no bare table header`);
    }
  }

  // With mail in them, long addresses and subjects wrap inside the window.
  for (let i = 0; i < 3; i++) {
    const sent = await fetch(`${base}/api/mail`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        from: "taro-demo@docomo.ne.jp",
        to: "a-rather-long-recipient-address-for-the-test@mail.partner-site.example.co.jp",
        subject: "パスワード再設定のお知らせ：長い件名が折り返されることを確かめるための件名です",
        body: "本文",
      }),
    });
    assert.equal(sent.status, 200);
  }
  for (const path of ["/outbox", "/outbox/1", "/admin/mail-log", "/admin/audit"]) {
    await page.goto(`${base}${path}`);
    assert.deepEqual(await overflow(page), { page: 0, main: 0 }, `${path} fits 1024 px with mail`);
  }
  await page.goto(`${base}/outbox`);
  assert.equal(await page.locator("p.empty").count(), 0);
  assert.equal(await page.locator("main table tr").count(), 4, "a header and three messages");
});

/** Presses keypad button `key` and waits for the page it leads to. */
async function press(page, key) {
  const before = await loads(page);
  await page.click(`.keypad button[data-key="${key}"]`);
  await nextPage(page, before);
}

/** Picks `value` in the shell's picker `id`, which powers on again. */
async function pick(page, id, value) {
  const before = await loads(page);
  await page.selectOption(id, value);
  await nextPage(page, before);
}

/** Submits the handset page's form and waits for the next page. */
async function submit(page, screen) {
  const before = await loads(page);
  await screen.locator('input[type="submit"]').click();
  await nextPage(page, before);
}

test("the README's five-minute tour works with the keys it names", { timeout: 90_000 }, async (t) => {
  const page = await window(t);
  const screen = page.frameLocator("#screen");
  const screenText = () => screen.locator("body").innerText();

  // 1. Power on: Taro on a P501i, then English; the meter in yen and seconds.
  await page.goto(`${base}/emulator`);
  await nextPage(page, 0);
  assert.equal(await page.locator("#profile").inputValue(), "P501i");
  assert.equal(await page.locator("#line").inputValue(), "09012340001");
  await pick(page, "#lang", "en");
  assert.match(await screenText(), /Customer support/);
  assert.match(await page.locator("#yen").innerText(), /^¥\d/);
  assert.match(await page.locator("#seconds").innerText(), /^\d+\.\d\d s$/);

  // 2. Change the i-mode password: 5, 1, 1; 0000 then 1234 twice; then 0000 again is refused.
  const changePassword = async (current) => {
    await press(page, "5");
    await press(page, "1");
    await press(page, "1");
    assert.match(await page.locator("#path").innerText(), /\/a\/change-imode-password$/);
    await screen.locator('input[name="pin"]').fill(current);
    await screen.locator('input[name="new_pin"]').fill("1234");
    await screen.locator('input[name="new_pin_confirm"]').fill("1234");
    await submit(page, screen);
  };
  await changePassword("0000");
  assert.match(await screenText(), /Your i-mode password has been changed\./);
  let before = await loads(page);
  await page.click("#imenu");
  await nextPage(page, before);
  await changePassword("0000");
  assert.match(await screenText(), /The i-mode password is incorrect\./);

  // 3. Read a mail: Hanako writes to Taro (3, 2), Taro reads it (3, 1).
  await pick(page, "#line", "09012340002");
  await press(page, "3");
  await press(page, "2");
  await screen.locator('input[name="to"]').fill("taro-demo@docomo.ne.jp");
  await screen.locator('input[name="subject"]').fill("Lunch?");
  await screen.locator('textarea[name="body"]').fill("At noon.");
  await submit(page, screen);
  assert.match(await screenText(), /Sent\./);
  await pick(page, "#line", "09012340001");
  await press(page, "3");
  await press(page, "1");
  assert.match(await screenText(), /Lunch\?/);

  // 4. The console: Taro's line, the password change and the refused try, the mail.
  await page.goto(`${base}/admin/login`);
  await page.fill("input[name=token]", TOKEN);
  await Promise.all([page.waitForURL(`${base}/admin`), page.click("button")]);
  assert.match(await page.locator("main").innerText(), /taro-demo@docomo\.ne\.jp/);
  assert.equal(await page.locator('a[href="/admin/restore"]').count(), 1, "Restore demo fixtures…");
  await page.goto(`${base}/admin/audit?line=09012340001`);
  const audit = await page.locator("main table").innerText();
  assert.match(audit, /change_imode_password\s+ok/);
  assert.match(audit, /change_imode_password\s+wrong_pin/);
  await page.goto(`${base}/admin/mail-log`);
  assert.match(await page.locator("main table").innerText(), /09012340002@docomo\.ne\.jp\s+taro-demo@docomo\.ne\.jp/);
});
