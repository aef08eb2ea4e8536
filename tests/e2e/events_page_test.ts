/// <reference lib="dom" />
/**
 * The events page in a real Chromium: the real `serve` (two routes, an --exec
 * agent) fed by the real `hookgate send`, the page opened with the link the
 * real `hookgate ui` prints. Set HOOKGATE_UPDATE_SCREENSHOT=1 to write the
 * screenshot to docs/img/events.png; otherwise it goes to a temporary directory.
 */
import assert from "node:assert/strict";
import type { Page } from "npm:puppeteer-core@25.16.0";
import { chromiumAvailable, launchChromium, pageRows } from "../support/chromium.ts";
import { ROOT, runCli } from "../support/cli.ts";
import { type ServeProcess, startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";

const ENV = {
  WEBHOOK_SECRET: "page-webhook-secret-" + crypto.randomUUID(),
  ORDERS_SECRET: "page-orders-secret-" + crypto.randomUUID(),
  HOOKGATE_TOKEN_SECRET: "page-token-secret-" + crypto.randomUUID(),
};
/** Fails events whose id starts with "flaky-" until $OUT/ok exists. */
const AGENT = `cat > /dev/null; case "$HOOKGATE_EVENT_ID" in flaky-*) ` +
  `if [ -f "$OUT/ok" ]; then echo "$HOOKGATE_EVENT_ID" >> "$OUT/done.log"; else exit 3; fi;; esac`;
const WAIT_MS = 30_000;

interface Serving extends AsyncDisposable {
  /** The running serve process (a new one after restart()). */
  server: ServeProcess;
  /** Stops serve, awaits `whileDown`, then starts it again on the same port and data. */
  restart(whileDown: () => Promise<void>): Promise<void>;
}

async function serve(dir: string): Promise<Serving> {
  const serving: Serving = {
    server: await startOn(dir, 0),
    async restart(whileDown) {
      const port = Number(new URL(serving.server.url).port);
      await serving.server.stop();
      await whileDown();
      serving.server = await startOn(dir, port);
    },
    [Symbol.asyncDispose]: () => serving.server[Symbol.asyncDispose](),
  };
  return serving;
}

function startOn(dir: string, port: number): Promise<ServeProcess> {
  return startServe({
    env: { ...ENV, OUT: dir },
    cwd: dir,
    args: [
      ...(port === 0 ? [] : ["--port", String(port)]),
      "--data-dir",
      `${dir}/data`,
      "--route",
      "/webhook=hookgate:WEBHOOK_SECRET",
      "--route",
      "/orders=hookgate:ORDERS_SECRET",
      "--exec",
      AGENT,
      "--exec-env",
      "OUT",
      "--exec-attempts",
      "1",
    ],
  });
}

async function send(server: ServeProcess, route: "webhook" | "orders", payload: object) {
  const result = await runCli([
    "send",
    `${server.url}/${route}`,
    "--data",
    JSON.stringify(payload),
    "--secret-var",
    route === "orders" ? "ORDERS_SECRET" : "WEBHOOK_SECRET",
  ], { env: ENV });
  assert.equal(result.code, 0, result.stderr);
}

async function pageLink(server: ServeProcess, scope: "read" | "write"): Promise<string> {
  const port = new URL(server.url).port;
  const result = await runCli(["ui", "--scope", scope, "--port", port], { env: ENV });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim();
}

async function waitForRows(page: Page, expected: string[]): Promise<void> {
  const want = [...expected].sort().join("|");
  try {
    await page.waitForFunction(
      (want: string) =>
        [...document.querySelectorAll("#rows tr")].map((tr) =>
          `${tr.querySelector("button")?.textContent} ` +
          `${tr.querySelector('[data-label="Status"]')?.textContent}`
        ).sort().join("|") === want,
      { timeout: WAIT_MS, polling: 100 },
      want,
    );
  } catch (error) {
    throw new Error(`rows are ${JSON.stringify(await pageRows(page))}, want ${want}: ${error}`);
  }
}

async function openRow(page: Page, id: string): Promise<void> {
  // Found and clicked in one step inside the page: a live update may re-render the table
  // at any moment, which would detach a button handle held across two round trips.
  const clicked = await page.evaluate((id: string) => {
    const button = [...document.querySelectorAll<HTMLButtonElement>("#rows tr button")]
      .find((candidate) => candidate.textContent === id);
    button?.click();
    return button !== undefined;
  }, id);
  if (!clicked) throw new Error(`no row for ${id}: ${JSON.stringify(await pageRows(page))}`);
  await page.waitForFunction(
    (id: string) =>
      document.getElementById("detail-title")?.textContent === id &&
      document.getElementById("payload")?.textContent !== "loading…",
    { timeout: WAIT_MS },
    id,
  );
}

async function choose(page: Page, selector: string, value: string): Promise<void> {
  await page.select(selector, value);
}

async function search(page: Page, text: string): Promise<void> {
  await page.$eval("#filter-text", (input, text) => {
    (input as HTMLInputElement).value = text as string;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }, text);
}

/** docs/img/events.png only when asked, so a test run leaves the tree as it was. */
async function screenshotPath(dir: string): Promise<string> {
  if (Deno.env.get("HOOKGATE_UPDATE_SCREENSHOT") !== "1") return `${dir}/events.png`;
  await Deno.mkdir(`${ROOT}docs/img`, { recursive: true });
  return `${ROOT}docs/img/events.png`;
}

const XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

Deno.test({
  name: "the events page in Chromium",
  ignore: !chromiumAvailable(),
  // puppeteer keeps timers and pipes of its own beyond a step.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using scratch = await tempDir("hookgate-page-");
    const dir = scratch.path;
    await using chromium = await launchChromium();
    await using serving = await serve(dir);
    const server = () => serving.server;
    await send(server(), "webhook", { id: "evt-push-1", type: "push", repo: "hookgate" });
    await send(server(), "orders", { id: "ord-1", type: "order.paid", total: 12.5 });
    await send(server(), "webhook", { id: "flaky-1", type: "deploy" });
    await send(server(), "webhook", { id: "xss-1", note: XSS });
    const initial = ["evt-push-1 done", "ord-1 done", "flaky-1 dead", "xss-1 done"];
    const writeLink = await pageLink(server(), "write");
    const token = new URL(writeLink).hash.replace("#token=", "");
    const page = await chromium.browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    const scriptErrors: string[] = [];
    page.on("pageerror", (error) => scriptErrors.push(String(error)));
    // Anything the page tried that its Content-Security-Policy blocked.
    await page.evaluateOnNewDocument(() => {
      const violations: string[] = [];
      (globalThis as { __violations?: string[] }).__violations = violations;
      document.addEventListener("securitypolicyviolation", (event) => {
        violations.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });

    await t.step("a hookgate ui link logs in and lists the delivered events", async () => {
      await page.goto(writeLink);
      await waitForRows(page, initial);
      assert.equal(await page.evaluate(() => location.hash), "", "the token stayed in the URL");
      assert.equal(
        await page.evaluate(() => sessionStorage.getItem("hookgate.token")),
        token,
      );
      assert.equal(server().stderr().includes(token), false, "serve logged the token");
    });

    await t.step("the page is served with strict security headers", async () => {
      const response = await fetch(`${server().url}/ui`);
      await response.body?.cancel();
      const csp = response.headers.get("content-security-policy") ?? "";
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    });

    await t.step("the status, route and text filters narrow the list", async () => {
      await choose(page, "#filter-status", "dead");
      assert.deepEqual(await pageRows(page), ["flaky-1 dead"]);
      await choose(page, "#filter-status", "");
      await choose(page, "#filter-route", "orders");
      assert.deepEqual(await pageRows(page), ["ord-1 done"]);
      await choose(page, "#filter-route", "");
      await search(page, "push");
      assert.deepEqual(await pageRows(page), ["evt-push-1 done"]);
      await search(page, "");
      assert.equal((await pageRows(page)).length, initial.length);
    });

    await t.step("an event's detail shows its payload pretty-printed", async () => {
      await openRow(page, "evt-push-1");
      const payload = await page.$eval("#payload", (pre) => pre.textContent);
      assert.equal(
        payload,
        JSON.stringify({ id: "evt-push-1", type: "push", repo: "hookgate" }, null, 2),
      );
      assert.match(await page.$eval("#timeline", (ol) => ol.textContent ?? ""), /done/);
    });

    await t.step("the screenshot of the page is taken", async () => {
      await page.screenshot({ path: await screenshotPath(dir) });
    });

    await t.step("a payload holding <script> is shown as text and never runs", async () => {
      await openRow(page, "xss-1");
      const payload = await page.$eval("#payload", (pre) => pre.textContent ?? "");
      assert.ok(payload.includes(XSS.replaceAll('"', '\\"')), payload);
      assert.equal(await page.$$eval("#payload *", (nodes) => nodes.length), 0);
      assert.equal(
        await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned),
        undefined,
      );
    });

    await t.step(
      "the page works by keyboard: Enter opens an event, Escape closes it",
      async () => {
        await page.click("#detail-close");
        await page.focus("#filter-text");
        await page.keyboard.press("Tab");
        const focused = await page.evaluate(() => document.activeElement?.textContent ?? "");
        assert.ok(["evt-push-1", "ord-1", "flaky-1", "xss-1"].includes(focused), focused);
        await page.keyboard.press("Enter");
        await page.waitForFunction(() => document.activeElement?.id === "detail-title", {
          timeout: WAIT_MS,
        });
        assert.equal(await page.$eval("#detail-title", (h) => h.textContent), focused);
        await page.keyboard.press("Escape");
        assert.equal(await page.$eval("#detail", (d) => (d as HTMLElement).hidden), true);
        assert.equal(await page.evaluate(() => document.activeElement?.textContent), focused);
      },
    );

    await t.step("at 400 px wide nothing scrolls sideways", async () => {
      await page.setViewport({ width: 400, height: 800 });
      await openRow(page, "evt-push-1");
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 400, `the page is ${width} px wide`);
      await page.setViewport({ width: 1280, height: 800 });
    });

    await t.step("a new delivery appears without a reload", async () => {
      await page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument = true);
      await send(server(), "orders", { id: "ord-2", type: "order.paid", total: 99 });
      await waitForRows(page, [...initial, "ord-2 done"]);
      assert.equal(
        await page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument),
        true,
        "the page reloaded",
      );
    });

    await t.step("redeliver brings a dead event back to pending, then done", async () => {
      await openRow(page, "flaky-1");
      // Every status the row shows from now on, in order.
      await page.evaluate(() => {
        const seen: string[] = [];
        (globalThis as { __statuses?: string[] }).__statuses = seen;
        const note = () => {
          const row = [...document.querySelectorAll("#rows tr")]
            .find((tr) => tr.querySelector("button")?.textContent === "flaky-1");
          const status = row?.querySelector('[data-label="Status"]')?.textContent;
          if (status && seen.at(-1) !== status) seen.push(status);
        };
        new MutationObserver(note).observe(document.getElementById("rows")!, {
          childList: true,
          subtree: true,
          characterData: true,
        });
        note();
      });
      await Deno.writeTextFile(`${dir}/ok`, "");
      assert.equal(await page.$eval("#redeliver", (b) => (b as HTMLElement).hidden), false);
      await page.click("#redeliver");
      await page.waitForFunction(
        () => (globalThis as { __statuses?: string[] }).__statuses?.at(-1) === "done",
        { timeout: WAIT_MS },
      );
      const statuses = await page.evaluate(() =>
        (globalThis as { __statuses?: string[] }).__statuses
      );
      assert.deepEqual(statuses, ["dead", "pending", "done"]);
      assert.equal((await Deno.readTextFile(`${dir}/done.log`)).trim(), "flaky-1");
    });

    await t.step("the live view recovers after serve restarts", async () => {
      await serving.restart(async () => {
        await page.waitForFunction(
          () => document.getElementById("live")?.textContent !== "live",
          { timeout: WAIT_MS },
        );
      });
      await page.waitForFunction(
        () => document.getElementById("live")?.textContent === "live",
        { timeout: WAIT_MS },
      );
      await send(server(), "webhook", { id: "evt-after-restart", type: "push" });
      await waitForRows(page, [
        ...initial.filter((row) => !row.startsWith("flaky-1")),
        "flaky-1 done",
        "ord-2 done",
        "evt-after-restart done",
      ]);
    });

    await t.step(
      "a read token shows no redeliver button and the API refuses it (403)",
      async () => {
        const reader = await chromium.browser.newPage();
        await reader.goto(await pageLink(server(), "read"));
        await reader.waitForFunction(() => document.querySelectorAll("#rows tr").length > 0, {
          timeout: WAIT_MS,
        });
        await openRow(reader, "flaky-1");
        assert.equal(await reader.$eval("#redeliver", (b) => (b as HTMLElement).hidden), true);
        const answer = await reader.evaluate(async () => {
          const response = await fetch("/events/webhook/id%3Aflaky-1/redeliver", {
            method: "POST",
            headers: { authorization: `Bearer ${sessionStorage.getItem("hookgate.token")}` },
          });
          return response.status;
        });
        assert.equal(answer, 403);
        // Refused means not redelivered: the event is still done after its one attempt.
        const event = await reader.evaluate(async () => {
          const response = await fetch("/events/webhook/id%3Aflaky-1", {
            headers: { authorization: `Bearer ${sessionStorage.getItem("hookgate.token")}` },
          });
          return await response.json();
        });
        assert.equal(event.status, "done");
        assert.equal(event.attempt, 1);
        await reader.close();
      },
    );

    await t.step(
      "the page's script raised no error and its CSP had nothing to block",
      async () => {
        assert.deepEqual(scriptErrors, []);
        const violations = await page.evaluate(() =>
          (globalThis as { __violations?: string[] }).__violations
        );
        assert.deepEqual(violations, []);
      },
    );

    await t.step("a pasted token logs in too", async () => {
      const pasted = await chromium.browser.newPage();
      await pasted.goto(`${server().url}/ui`);
      await pasted.waitForSelector("#token-input", { visible: true, timeout: WAIT_MS });
      await pasted.type("#token-input", new URL(await pageLink(server(), "read")).hash.slice(7));
      await pasted.keyboard.press("Enter");
      await pasted.waitForFunction(() => document.querySelectorAll("#rows tr").length >= 6, {
        timeout: WAIT_MS,
      });
      await pasted.close();
    });
  },
});
