// Browser test of the handset emulator (/emulator) in headless Chromium.
//
// Run by .ci/run after `cargo build`: `node --test tests/browser/`. It starts the real
// garake binary on a free port with an in-memory database, and drives Debian's
// chromium (/usr/bin/chromium, or $CHROMIUM) through playwright-core; it never
// downloads a browser. Not part of `cargo test`, which must pass without Chromium.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const BINARY = process.env.GARAKE_BIN ?? `${REPO}target/debug/garake`;
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const STEP = 10_000; // ms any single page may take

let server;
let browser;
let base;

/** Starts `garake serve` on a free port; resolves with its base URL. */
function startServer() {
  const args = ["serve", "--addr", "127.0.0.1:0", "--db", ":memory:", "--admin-token", "browser-test-token", "--menus", "menus"];
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
      // Keep draining stdout so the server never blocks on a full pipe.
      lines.on("line", () => {});
    });
  });
}

function stopServer() {
  if (server && server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
}
// Also on a crash of the test process itself.
process.on("exit", stopServer);

before(async () => {
  base = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
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
