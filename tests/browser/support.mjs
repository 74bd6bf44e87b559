// What every browser test starts with: the real garake binary on a free port,
// and Debian's chromium driven by playwright-core (never a browser download).
// Not a test file itself (`node --test tests/browser/*.test.mjs` skips it).

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const BINARY = process.env.GARAKE_BIN ?? `${REPO}target/debug/garake`;
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/**
 * Starts `garake serve --addr 127.0.0.1:0 --db :memory: --admin-token TOKEN`
 * and `flags`; resolves with `{ base, stop }` once it listens. The server is
 * also stopped if the test process itself ends.
 */
export function startGarake(token, flags = []) {
  const args = ["serve", "--addr", "127.0.0.1:0", "--db", ":memory:", "--admin-token", token, ...flags];
  const server = spawn(BINARY, args, { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] });
  const stop = () => {
    if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
  };
  process.on("exit", stop);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("garake did not start within 10 s")), 10_000);
    server.once("error", reject);
    server.once("exit", (code) => reject(new Error(`garake exited early with ${code}`)));
    const lines = createInterface({ input: server.stdout });
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = /^garake listening on (http:\/\/\S+)$/.exec(line);
      if (m) resolve({ base: m[1], stop });
      else reject(new Error(`unexpected first line from garake: ${line}`));
      // Keep draining stdout so the server never blocks on a full pipe.
      lines.on("line", () => {});
    });
  });
}

/** Headless Chromium with the flags the project's machines need. */
export function launchChromium() {
  return chromium.launch({
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
}
