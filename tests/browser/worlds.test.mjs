// Browser test of worlds, in headless Chromium: the emulator inside a world
// stays in it (its power-on, its keypad, the password change it makes), the
// default world sees none of it, and a private demo started from the PC
// power-on page lands in its own world with its token shown once; a path
// recorded in the emulator is saved as a scenario that `garake replay` runs.
//
// Run by .ci/run after `cargo build`: `node --test tests/browser/`. It starts the real
// garake binary on a free port with an in-memory database, and drives Debian's
// chromium (/usr/bin/chromium, or $CHROMIUM) through playwright-core.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BINARY, launchChromium, startGarake } from "./support.mjs";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";

const TOKEN = "worlds-browser-token";
const STEP = 10_000;

let stopServer = () => {};
let browser;
let base;

before(async () => {
  ({ base, stop: stopServer } = await startGarake(TOKEN, []));
  browser = await launchChromium();
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    stopServer();
  }
});

async function window(t) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 700 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // Every request the page makes stays on garake; in a world, inside it.
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  t.after(() => assert.deepEqual(errors, [], "no script errors"));
  return { page, requests };
}

async function api(method, path, token = TOKEN, body) {
  const answer = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body,
  });
  const text = await answer.text();
  return { status: answer.status, json: text ? JSON.parse(text) : null };
}

async function nextPage(page, since) {
  await page.waitForFunction(
    (n) => Number(document.body.dataset.loads) > n && document.body.dataset.state === "ready",
    since,
    { timeout: STEP },
  );
}

async function pressFor(page, screen, label) {
  const link = screen.locator("a[accesskey]", { hasText: label }).first();
  await link.waitFor({ timeout: STEP });
  const key = await link.getAttribute("accesskey");
  const before = await page.evaluate(() => Number(document.body.dataset.loads));
  await page.click(`.keypad button[data-key="${key}"]`);
  await nextPage(page, before);
}

test("the emulator inside a world works in that world only", { timeout: 90_000 }, async (t) => {
  const made = await api("POST", "/api/worlds", TOKEN, "{}");
  assert.equal(made.status, 201);
  const { id, token } = made.json;
  const { page, requests } = await window(t);
  await page.goto(`${base}/w/${id}/emulator?profile=P903i&line=09012340001&lang=en`);
  await nextPage(page, 0);
  assert.match(await page.locator("#world").innerText(), new RegExp(id));
  assert.match(await page.locator("#path").innerText(), new RegExp(`^/w/${id}/s/.+/m/imenu`));

  const screen = page.frameLocator("#screen");
  await pressFor(page, screen, "Customer support");
  await pressFor(page, screen, "Various settings");
  await pressFor(page, screen, "Change i-mode password");
  await screen.locator('input[name="pin"]').fill("0000");
  await screen.locator('input[name="new_pin"]').fill("1234");
  await screen.locator('input[name="new_pin_confirm"]').fill("1234");
  await screen.locator('input[type="submit"]').click();
  await screen.getByText("Your i-mode password has been changed.").waitFor({ timeout: STEP });

  // The home key keeps to the world's session.
  const before = await page.evaluate(() => Number(document.body.dataset.loads));
  await page.click('.keypad button[data-key="0"]');
  await nextPage(page, before);
  assert.match(await page.locator("#path").innerText(), new RegExp(`^/w/${id}/s/`));

  const own = requests.filter((u) => u.startsWith(base));
  assert.ok(own.length > 5, `requests: ${own.length}`);
  for (const url of own) {
    const path = new URL(url).pathname;
    assert.ok(path.startsWith(`/w/${id}/`), `left the world: ${url}`);
  }
  // The change is the world's: its audit has it, the default world's has none.
  const inWorld = await api("GET", `/w/${id}/api/audit?line=09012340001`, token);
  assert.equal(inWorld.json[0].action, "change_imode_password");
  const inDefault = await api("GET", "/api/audit?line=09012340001");
  assert.equal(inDefault.json.filter((e) => e.action === "change_imode_password").length, 0);
});

test("a private demo from the power-on page shows its token once", { timeout: 60_000 }, async (t) => {
  const { page } = await window(t);
  await page.goto(`${base}/?lang=en`);
  await Promise.all([page.waitForURL(/\/w\/[a-z0-9]+\/$/), page.click("text=Start a private demo")]);
  const token = await page.locator("code.token").innerText();
  assert.ok(token.length >= 32, token);
  const id = /\/w\/([a-z0-9]+)\//.exec(page.url())[1];
  const lines = await api("GET", `/w/${id}/api/lines`, token);
  assert.equal(lines.status, 200);
  await page.reload();
  assert.equal(await page.locator("code.token").count(), 0, "shown once");
  // The world's emulator, from its own power-on page.
  await page.click("text=Open the handset emulator");
  await page.waitForURL(new RegExp(`/w/${id}/emulator`));
  await nextPage(page, 0);
  assert.match(await page.locator("#path").innerText(), new RegExp(`^/w/${id}/`));
});

test("a path recorded in the emulator replays green", { timeout: 120_000 }, async (t) => {
  const { page } = await window(t);
  await page.goto(`${base}/emulator?profile=P503i&line=09012340001&lang=en`);
  await nextPage(page, 0);
  const screen = page.frameLocator("#screen");

  // Record: a keypad key, two links clicked on the screen, a form typed in.
  let before = await page.evaluate(() => Number(document.body.dataset.loads));
  await page.check("#record");
  await nextPage(page, before);
  const supportKey = await screen.locator("a[accesskey]", { hasText: "Customer support" }).first().getAttribute("accesskey");
  before = await page.evaluate(() => Number(document.body.dataset.loads));
  await page.click(`.keypad button[data-key="${supportKey}"]`);
  await nextPage(page, before);
  for (const label of ["Various settings", "Change i-mode password"]) {
    before = await page.evaluate(() => Number(document.body.dataset.loads));
    await screen.locator("a", { hasText: label }).first().click();
    await nextPage(page, before);
  }
  await screen.locator('input[name="pin"]').fill("0000");
  await screen.locator('input[name="new_pin"]').fill("4321");
  await screen.locator('input[name="new_pin_confirm"]').fill("4321");
  before = await page.evaluate(() => Number(document.body.dataset.loads));
  await screen.locator('input[type="submit"]').click();
  await nextPage(page, before);
  assert.match(await page.locator("#recorded").innerText(), /4 steps/);

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save-scenario")]);
  const file = `${tmpdir()}/recorded-${process.pid}.toml`;
  await download.saveAs(file);
  const text = readFileSync(file, "utf8");
  assert.match(text, new RegExp(`key = "${supportKey}"`));
  assert.match(text, /follow = "Various settings \[confirm, change, use\]"/);
  assert.match(text, /follow = "Change i-mode password"/);
  assert.match(text, /submit = \{ new_pin = "4321", new_pin_confirm = "4321", pin = "0000" \}|submit = \{ pin = "0000", new_pin = "4321", new_pin_confirm = "4321" \}/);
  assert.match(text, /expect = \[/);

  // Replayed by garake itself, in a world of its own.
  const replay = spawnSync(BINARY, ["replay", file, "--base", base, "--admin-token", TOKEN], { encoding: "utf8" });
  assert.equal(replay.status, 0, replay.stdout + replay.stderr);
  assert.match(replay.stdout, /1 passed, 0 failed/);
});
