/// <reference lib="dom" />
/**
 * The events page in Chromium with events an operator meets sooner or later: ids the
 * redactor hides, an id with a right-to-left override, an event without an id (a long
 * sha256: key), a dead letter whose agent fails again at once, and more events than the
 * page keeps. The happy path is tests/e2e/events_page_test.ts.
 */
import assert from "node:assert/strict";
import type { Page } from "npm:puppeteer-core@25.16.0";
import { chromiumAvailable, launchChromium, pageRows } from "../support/chromium.ts";
import { runCli } from "../support/cli.ts";
import { type ServeProcess, startServe } from "../support/serve_process.ts";
import { postSigned } from "../support/signing.ts";
import { tempDir } from "../support/temp_dir.ts";

const ENV = {
  WEBHOOK_SECRET: "odd-webhook-secret-" + crypto.randomUUID(),
  HOOKGATE_TOKEN_SECRET: "odd-token-secret-" + crypto.randomUUID(),
};
const WAIT_MS = 30_000;
/** Shaped like GitHub tokens: the API shows both as ***redacted***. */
const TOKEN_LIKE_IDS = ["ghp_" + "a".repeat(36), "ghp_" + "b".repeat(36)];
/** Shown as it is, it reads "rtlexe.png". */
const RTL_ID = "rtl\u202egnp.exe";
/** The most events of one status the page keeps. */
const PAGE_LIMIT = 1000;

async function post(server: ServeProcess, payload: object): Promise<void> {
  const response = await postSigned(server.url, JSON.stringify(payload), ENV.WEBHOOK_SECRET);
  assert.equal(response.status, 200, await response.text());
}

async function open(page: Page, server: ServeProcess): Promise<void> {
  const port = new URL(server.url).port;
  const link = await runCli(["ui", "--scope", "write", "--port", port], { env: ENV });
  assert.equal(link.code, 0, link.stderr);
  await page.goto(link.stdout.trim());
  await page.waitForFunction(() => document.getElementById("live")?.textContent === "live", {
    timeout: WAIT_MS,
  });
}

async function waitForRow(page: Page, row: string): Promise<void> {
  try {
    await page.waitForFunction(
      (row: string) =>
        [...document.querySelectorAll("#rows tr")].some((tr) =>
          `${tr.querySelector("button")?.textContent} ` +
              `${tr.querySelector('[data-label="Status"]')?.textContent}` === row
        ),
      { timeout: WAIT_MS, polling: 100 },
      row,
    );
  } catch (error) {
    throw new Error(`no row '${row}' in ${JSON.stringify(await pageRows(page))}: ${error}`);
  }
}

/** Clicks the row whose id button reads `shown`, the `nth` such (0 first). */
async function openRow(page: Page, shown: string, nth = 0): Promise<void> {
  const clicked = await page.evaluate(
    (shown: string, nth: number) => {
      const button = [...document.querySelectorAll<HTMLButtonElement>("#rows tr button")]
        .filter((candidate) => candidate.textContent === shown)[nth];
      button?.click();
      return button !== undefined;
    },
    shown,
    nth,
  );
  assert.ok(clicked, `no row for ${shown}: ${JSON.stringify(await pageRows(page))}`);
  await page.waitForFunction(
    () => !["", "loading…"].includes(document.getElementById("payload")?.textContent ?? ""),
    { timeout: WAIT_MS },
  );
}

Deno.test({
  name: "the events page with odd events in Chromium",
  ignore: !chromiumAvailable(),
  // puppeteer keeps timers and pipes of its own beyond a step.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using scratch = await tempDir("hookgate-odd-page-");
    await using chromium = await launchChromium();
    await using server = await startServe({
      env: ENV,
      cwd: scratch.path,
      // Fails the events whose id starts with "bad", at once.
      args: [
        "--exec",
        'case "$HOOKGATE_EVENT_ID" in bad*) exit 3;; esac; cat > /dev/null',
        "--exec-attempts",
        "1",
      ],
    });
    for (const [n, id] of [...TOKEN_LIKE_IDS, RTL_ID, "bad-1"].entries()) {
      await post(server, { id, n });
    }
    await post(server, { note: "no id: its key is sha256:…" });
    const page = await chromium.browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await open(page, server);
    await waitForRow(page, "bad-1 dead");

    await t.step("two events whose ids are redacted are both listed and both open", async () => {
      await page.waitForFunction(() => document.querySelectorAll("#rows tr").length === 5, {
        timeout: WAIT_MS,
      }).catch(async () => assert.fail(JSON.stringify(await pageRows(page))));
      const hidden = (await pageRows(page)).filter((row) => row.startsWith("***redacted***"));
      assert.equal(hidden.length, 2);
      const payloads = [];
      for (const nth of [0, 1]) {
        await openRow(page, "***redacted***", nth);
        payloads.push(await page.$eval("#payload", (pre) => pre.textContent));
      }
      assert.notEqual(payloads[0], payloads[1], "both rows opened the same event");
      const text = await page.evaluate(() => document.body.innerText);
      for (const id of TOKEN_LIKE_IDS) assert.equal(text.includes(id), false, "an id is shown");
    });

    await t.step(
      "an id with a right-to-left override is shown with the override spelled out",
      async () => {
        await waitForRow(page, "rtl\\u202egnp.exe done");
        await openRow(page, "rtl\\u202egnp.exe");
        assert.equal(await page.$eval("#detail-title", (h) => h.textContent), "rtl\\u202egnp.exe");
        const text = await page.evaluate(() => document.body.innerText);
        assert.equal(text.includes("\u202e"), false, "an override reached the page");
      },
    );

    await t.step(
      "a long key beside the open detail leaves the other columns readable",
      async () => {
        const key = await page.$$eval(
          "#rows tr button",
          (buttons) =>
            buttons.map((button) => button.textContent ?? "").find((text) =>
              text.startsWith("sha256:")
            ),
        );
        assert.ok(key);
        await openRow(page, key);
        // A status broken inside the word ("do / ne") is laid out as two line boxes.
        const broken = await page.$$eval(
          "#rows .status",
          (badges) =>
            badges.filter((badge) => badge.getClientRects().length > 1)
              .map((badge) => badge.textContent),
        );
        assert.deepEqual(broken, []);
      },
    );

    await t.step("a dead letter redelivered that fails again shows as dead again", async () => {
      await openRow(page, "bad-1");
      await page.click("#redeliver");
      await page.waitForFunction(
        () => document.getElementById("action-result")?.textContent === "sent back to pending",
        { timeout: WAIT_MS },
      );
      await waitForRow(page, "bad-1 dead");
      assert.match(await page.$eval("#detail-facts", (dl) => dl.textContent ?? ""), /Statusdead/);
    });
  },
});

Deno.test({
  name: "the events page keeps the newest events of each status as live changes arrive",
  ignore: !chromiumAvailable(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using scratch = await tempDir("hookgate-many-page-");
    await using chromium = await launchChromium();
    // --pull: the events stay pending, no agent runs.
    await using server = await startServe({ env: ENV, cwd: scratch.path, args: ["--pull"] });
    const page = await chromium.browser.newPage();
    await open(page, server);
    const total = PAGE_LIMIT + 150;
    const batch = 150;
    for (let sent = 0; sent < total; sent += batch) {
      // In batches the live view sees whole (it watches the newest 200 of each status).
      const ids = Array.from({ length: Math.min(batch, total - sent) }, (_, i) => `m-${sent + i}`);
      for (let i = 0; i < ids.length; i += 10) {
        await Promise.all(ids.slice(i, i + 10).map((id) => post(server, { id })));
      }
      await waitForRow(page, `${ids.at(-1)} pending`);
    }
    const count = await page.$eval("#count", (p) => p.textContent);
    assert.equal((await pageRows(page)).length, PAGE_LIMIT, count ?? "");
    assert.match(count ?? "", /newest 1000 of each status/);
    // What was kept is the newest.
    await waitForRow(page, `m-${total - 1} pending`);
  },
});
