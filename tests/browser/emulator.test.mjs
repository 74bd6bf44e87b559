// Browser test of the handset emulator (/emulator) in headless Chromium.
//
// Run by .ci/run after `cargo build`: `node --test tests/browser/`. It starts the real
// garake binary on a free port with an in-memory database, and drives Debian's
// chromium (/usr/bin/chromium, or $CHROMIUM) through playwright-core; it never
// downloads a browser. Not part of `cargo test`, which must pass without Chromium.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launchChromium, startGarake } from "./support.mjs";

const STEP = 10_000; // ms any single page may take

let stopServer = () => {};
let browser;
let base;

before(async () => {
  ({ base, stop: stopServer } = await startGarake("browser-test-token", ["--menus", "menus"]));
  browser = await launchChromium();
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    stopServer();
  }
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

/** Waits until the handset screen shows a link whose text contains `label`. */
async function linkKey(screen, label) {
  const link = screen.locator("a[accesskey]", { hasText: label }).first();
  await link.waitFor({ timeout: STEP });
  const key = await link.getAttribute("accesskey");
  assert.match(key, /^[0-9*#]$/, `access key of "${label}"`);
  return key;
}

/** Presses the shell's keypad button for the link labelled `label`. */
async function pressFor(page, screen, label) {
  const key = await linkKey(screen, label);
  const before = await loads(page);
  await page.click(`.keypad button[data-key="${key}"]`);
  await nextPage(page, before);
}

const meterText = (page) => page.locator("#meter").innerText();

test("the emulator walks a P501i to the password change and switches to a PC in Japanese", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));

    // The shell opens and powers on by itself.
    await page.goto(`${base}/emulator`);
    await nextPage(page, 0);
    for (const name of ["P501i", "P503i", "N505i", "P903i", "P-07B", "PC"]) {
      assert.equal(await page.locator(`#profile option[value="${name}"]`).count(), 1, name);
    }
    assert.equal(await page.locator(".keypad button[data-key]").count(), 12);

    // Power on as 090-1234-0001, P501i, English.
    await page.selectOption("#line", "09012340001");
    await page.selectOption("#profile", "P501i");
    const beforePower = await loads(page);
    await page.selectOption("#lang", "en");
    await nextPage(page, beforePower);
    const screen = page.frameLocator("#screen");
    await linkKey(screen, "Customer support");
    assert.match(await page.locator("#path").innerText(), /^\/s\/[0-9a-f]+\/m\/imenu$/);

    const imenuMeter = await meterText(page);
    assert.match(imenuMeter, /Shift_JIS/);
    assert.match(imenuMeter, /\/\s*2,?048/);
    assert.match(imenuMeter, /^\s*[1-9][\d,]* \//, "iMenu has a size");
    assert.ok(!(await page.locator("#meter").evaluate((m) => m.classList.contains("over"))), "iMenu is within 2 KB");
    assert.match(await page.locator("#packets").innerText(), /^[1-9]\d* pkt$/, "packets of 128 bytes");
    assert.equal(await page.locator("#tags").innerText(), "", "garake's own pages use only i-mode HTML 1.0 tags");

    // Follow the menu with the keypad, reading each link's access key.
    await pressFor(page, screen, "Customer support");
    const supportMeter = await meterText(page);
    assert.notEqual(supportMeter, imenuMeter, "the meter follows the page");
    assert.match(supportMeter, /Shift_JIS/);
    await pressFor(page, screen, "Various settings");
    await pressFor(page, screen, "Change i-mode password");
    assert.match(await page.locator("#path").innerText(), /\/a\/change-imode-password$/);
    assert.match(await meterText(page), /\/\s*2,?048/);

    // Fill in the handset's form and submit it.
    await screen.locator('input[name="pin"]').fill("0000");
    await screen.locator('input[name="new_pin"]').fill("1234");
    await screen.locator('input[name="new_pin_confirm"]').fill("1234");
    const beforeSubmit = await loads(page);
    await screen.locator('input[type="submit"]').click();
    await nextPage(page, beforeSubmit);
    await screen.getByText("Your i-mode password has been changed.").waitFor({ timeout: STEP });

    // The keyboard presses keys too: with focus in the shell, and in the screen.
    await page.locator("h1").click();
    const homeKey = await linkKey(screen, "iMenu");
    let before = await loads(page);
    await page.keyboard.press(homeKey);
    await nextPage(page, before);
    assert.match(await page.locator("#path").innerText(), /\/m\/imenu$/);
    await screen.locator("body").click({ position: { x: 200, y: 5 } });
    const supportKey = await linkKey(screen, "Customer support");
    before = await loads(page);
    await page.keyboard.press(supportKey);
    await nextPage(page, before);
    await linkKey(screen, "Various settings");

    // The i key goes to iMenu, the Back key returns.
    before = await loads(page);
    await page.click("#imenu");
    await nextPage(page, before);
    assert.match(await page.locator("#path").innerText(), /\/m\/imenu$/);
    before = await loads(page);
    await page.click("#back");
    await nextPage(page, before);
    assert.match(await page.locator("#path").innerText(), /\/m\/support$/);

    // Typing into a field is not a key press.
    await pressFor(page, screen, "Various settings");
    await pressFor(page, screen, "Change i-mode password");
    const pathAtForm = await page.locator("#path").innerText();
    await screen.locator('input[name="pin"]').focus();
    await page.keyboard.press("1");
    assert.equal(await screen.locator('input[name="pin"]').inputValue(), "1");
    assert.equal(await page.locator("#path").innerText(), pathAtForm);

    // A PC in Japanese: UTF-8 pages and Japanese labels.
    await page.selectOption("#profile", "PC");
    before = await loads(page);
    await page.selectOption("#lang", "ja");
    await nextPage(page, before);
    await linkKey(screen, "お客様サポート");
    const charset = await page.locator("#screen").evaluate((f) => f.contentDocument.characterSet);
    assert.equal(charset, "UTF-8");
    assert.match(await meterText(page), /UTF-8/);
    assert.match(new URL(page.url()).search, /profile=PC/);

    // A screenshot shows a phone, not a blank page.
    const shot = await page.screenshot();
    assert.ok(shot.length > 5000, `screenshot is ${shot.length} bytes`);
    const blankPage = await context.newPage();
    const blank = await blankPage.screenshot();
    assert.ok(!shot.equals(blank), "the screenshot differs from a blank page");

    assert.deepEqual(errors, [], "no script errors in the shell");
  } finally {
    await context.close();
  }
});

const TOKEN = "browser-test-token";

/** Runs `body` on the emulator of Taro's P501i, in English, in a 1024x700 window. */
async function onTaroP501i(body) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 700 } });
  try {
    const { page, errors } = await openEmulator(context, "profile=P501i&line=09012340001&lang=en");
    await body(page, errors);
  } finally {
    await context.close();
  }
}

/** Opens the emulator in a fresh context; returns the page once the screen shows a page. */
async function openEmulator(context, query) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${base}/emulator?${query}`);
  await nextPage(page, 0);
  return { page, errors };
}

test("the whole phone, keypad included, fits a 1024x700 window without scrolling", { timeout: 60_000 }, async () => {
  await onTaroP501i(async (page, errors) => {
    // A few pages fill the log and the tags line; the layout must stay put.
    const screen = page.frameLocator("#screen");
    await pressFor(page, screen, "Customer support");
    await pressFor(page, screen, "Various settings");
    const keys = page.locator(".keypad button[data-key], .softkeys button");
    const count = await keys.count();
    assert.ok(count >= 12 + 3 + 5, `keypad, soft keys and direction pad: ${count} buttons`);
    for (let i = 0; i < count; i++) {
      const box = await keys.nth(i).boundingBox();
      const name = await keys.nth(i).getAttribute("aria-label") ?? await keys.nth(i).getAttribute("title");
      assert.ok(box, `${name} is shown`);
      assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= 1024 && box.y + box.height <= 700, `${name} inside the window: ${JSON.stringify(box)}`);
    }
    const phone = await page.locator(".phone").boundingBox();
    assert.ok(phone.y >= 0 && phone.y + phone.height <= 700, `the whole phone is inside: ${JSON.stringify(phone)}`);
    const scroll = await page.evaluate(() => [document.scrollingElement.scrollHeight, document.scrollingElement.scrollWidth]);
    assert.ok(scroll[0] <= 700, `the page does not scroll down: ${scroll[0]}`);
    assert.ok(scroll[1] <= 1024, `the page does not scroll sideways: ${scroll[1]}`);
    // The screen still shows the handset's columns: its layout width is unchanged.
    assert.ok((await page.locator("#screen").evaluate((f) => f.clientWidth)) > 200);
    assert.deepEqual(errors, []);
  });
});

test("the direction pad and the arrow keys move a cursor over the links, scroll the screen and select", { timeout: 60_000 }, async () => {
  await onTaroP501i(async (page, errors) => {
    const screen = page.frameLocator("#screen");
    // "Various settings" lists the line's settings before its links: longer than a P501i's screen.
    await pressFor(page, screen, "Customer support");
    await pressFor(page, screen, "Various settings");
    const frame = page.locator("#screen");
    const where = () => frame.evaluate((f) => {
      const a = f.contentDocument.activeElement;
      return { y: f.contentWindow.scrollY, link: a && a.tagName === "A" ? a.getAttribute("href") : null };
    });
    const tall = await frame.evaluate((f) => f.contentDocument.scrollingElement.scrollHeight - f.contentWindow.innerHeight);
    assert.ok(tall > 100, `the page is longer than the screen by ${tall}px`);
    assert.equal((await where()).y, 0);
    assert.equal(await frame.evaluate((f) => getComputedStyle(f.contentDocument.documentElement).scrollbarWidth), "none", "no scrollbar shows");

    const seen = [];
    for (let i = 0; i < 12; i++) {
      await page.click('.dpad [data-dir="down"]');
      seen.push(await where());
    }
    assert.ok(seen.some((s) => s.y > 0), `down scrolls: ${JSON.stringify(seen)}`);
    const links = [...new Set(seen.map((s) => s.link).filter(Boolean))];
    assert.ok(links.length >= 3, `down moves the cursor from link to link: ${JSON.stringify(seen)}`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].y >= seen[i - 1].y, "down never scrolls up");
    assert.equal(seen[0].link, null, "the first presses scroll to the first link");

    // Up comes back over the same links.
    const last = seen.at(-1).link;
    await page.click('.dpad [data-dir="up"]');
    const up = await where();
    assert.ok(up.link && up.link !== last, `up moves back: ${up.link}`);
    assert.equal(up.link, links.at(-2), "up goes to the link before");

    // The centre key follows the link under the cursor.
    let before = await loads(page);
    await page.click('.dpad [data-dir="select"]');
    await nextPage(page, before);
    assert.equal(await page.locator("#path").innerText(), up.link);

    // The keyboard: arrows move the cursor, Enter follows it, left and right scroll and break nothing.
    before = await loads(page);
    await page.click("#back");
    await nextPage(page, before);
    await page.locator("h1").click();
    for (let i = 0; i < 12; i++) await page.keyboard.press("ArrowDown");
    const keyed = await where();
    assert.ok(keyed.y > 0 && keyed.link, `ArrowDown scrolls and moves the cursor: ${JSON.stringify(keyed)}`);
    await page.keyboard.press("ArrowUp");
    const keyedUp = await where();
    assert.ok(keyedUp.link && keyedUp.link !== keyed.link, "ArrowUp moves back");
    await page.keyboard.press("ArrowLeft");
    const left = await where();
    assert.ok(left.y < keyedUp.y, "left scrolls a screen up");
    await page.keyboard.press("ArrowRight");
    assert.ok((await where()).y > left.y, "right scrolls a screen down");
    await page.click('.dpad [data-dir="left"]');
    await page.click('.dpad [data-dir="right"]');
    assert.equal(await page.locator("body").getAttribute("data-state"), "ready", "no page load from left or right");
    before = await loads(page);
    await page.keyboard.press("Enter");
    await nextPage(page, before);
    assert.equal(await page.locator("#path").innerText(), keyedUp.link, "Enter follows the cursor");
    assert.deepEqual(errors, []);
  });
});

test("the profile picker names the same page budget as the meter", { timeout: 60_000 }, async () => {
  await onTaroP501i(async (page, errors) => {
    for (const name of ["P501i", "P503i", "P-07B", "PC"]) {
      if (name !== "P501i") {
        const before = await loads(page);
        await page.selectOption("#profile", name);
        await nextPage(page, before);
      }
      const label = await page.locator("#profile").evaluate((s) => s.selectedOptions[0].textContent);
      const picked = /page ([\d,]+) B/.exec(label);
      assert.ok(picked, `${name}: the option names a page budget: ${label}`);
      assert.doesNotMatch(label, /KB/, `${name}: no second budget in the option: ${label}`);
      const meter = await page.locator("#budget").innerText();
      assert.equal(picked[1], meter, `${name}: option "${label}" and meter "/ ${meter} B"`);
      assert.match(await meterText(page), new RegExp(`/ ${meter} B`));
    }
    assert.equal(await page.locator("#budget").innerText(), "1,048,576");
    assert.deepEqual(errors, []);
  });
});

test("a URL typed into the shell opens through the session's URL page", { timeout: 60_000 }, async () => {
  await onTaroP501i(async (page, errors) => {
    const screen = page.frameLocator("#screen");
    await page.fill("#url", "http://example.com/a b?c=1&d=2");
    let before = await loads(page);
    await page.click("#go");
    await nextPage(page, before);
    await screen.getByText("This site is not configured in garake").waitFor({ timeout: STEP });
    await screen.getByText("http://example.com/a b?c=1&d=2").waitFor({ timeout: STEP });
    const path = await page.locator("#path").innerText();
    assert.match(path, /^\/s\/[0-9a-f]+\/url\?url=http%3A%2F%2Fexample\.com%2Fa%20b%3Fc%3D1%26d%3D2$/);
    // Enter in the field opens it too, and digits typed there are not key presses.
    await page.fill("#url", "");
    await page.locator("#url").focus();
    await page.keyboard.type("10.0.0.1/x");
    assert.equal(await page.locator("#url").inputValue(), "10.0.0.1/x");
    before = await loads(page);
    await page.keyboard.press("Enter");
    await nextPage(page, before);
    await screen.getByText("10.0.0.1/x").waitFor({ timeout: STEP });
    assert.deepEqual(errors, []);
  });
});

/** `MM/DD HH:MM` in Japan time of Unix milliseconds. */
function jstShort(ms) {
  const d = new Date(ms + 9 * 3600 * 1000);
  const two = (n) => String(n).padStart(2, "0");
  return `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}

async function serverNow() {
  const r = await fetch(`${base}/api/clock`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(r.status, 200);
  return Date.parse((await r.json()).now);
}

// Last in this file: it moves the server's simulated clock for good.
test("the status bar shows the server's simulated clock in Japan time", { timeout: 60_000 }, async () => {
  const answer = await fetch(`${base}/emulator/clock`);
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get("cache-control"), "no-store");
  const body = await answer.json();
  assert.equal(typeof body.now, "number");
  assert.equal(body.jst, jstShort(body.now * 1000));

  await onTaroP501i(async (page, errors) => {
    const shows = (ms) => [-60_000, 0, 60_000].map((d) => jstShort(ms + d));
    const clock = page.locator("#clock");
    let expected = shows(await serverNow());
    await page.waitForFunction((texts) => texts.includes(document.getElementById("clock").textContent), expected, { timeout: STEP });

    const advanced = await fetch(`${base}/api/clock/advance`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ seconds: 86400 * 3 + 3600 }),
    });
    assert.equal(advanced.status, 200);
    expected = shows(await serverNow());
    // The next page on the screen makes the shell read the clock again.
    const before = await loads(page);
    await page.click("#power-key");
    await nextPage(page, before);
    await page.waitForFunction((texts) => texts.includes(document.getElementById("clock").textContent), expected, { timeout: STEP });
    // Not the PC's clock: three days and an hour ahead of it.
    assert.ok(!shows(Date.now()).includes(await clock.innerText()));
    assert.deepEqual(errors, []);
  });
});
