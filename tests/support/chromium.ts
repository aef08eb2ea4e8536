/**
 * Debian's Chromium driven by puppeteer-core, for the tests of the events page.
 * A fresh profile per launch, no network of its own (no component updates, no
 * sync), no sandbox (tests run as an unprivileged user without user namespaces).
 */
import puppeteer, { type Browser, type Page } from "npm:puppeteer-core@25.16.0";
import { availableOrSkip, programRuns } from "./machine.ts";
import { tempDir } from "./temp_dir.ts";

export const CHROMIUM = "/usr/bin/chromium";

/** Whether Chromium can be run here; tests skip with a clear message when not (never in CI). */
export function chromiumAvailable(): boolean {
  return availableOrSkip(programRuns(CHROMIUM, ["--version"]), {
    program: CHROMIUM,
    tests: "the events page browser tests",
    install: "chromium",
  });
}

export interface Chromium extends AsyncDisposable {
  browser: Browser;
}

export async function launchChromium(): Promise<Chromium> {
  const profile = await tempDir("hookgate-chromium-");
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      pipe: true,
      timeout: 60_000,
      protocolTimeout: 60_000,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile.path}`,
      ],
    });
  } catch (error) {
    await profile[Symbol.asyncDispose]();
    throw error;
  }
  return {
    browser,
    async [Symbol.asyncDispose]() {
      await browser.close().catch(() => {});
      await profile[Symbol.asyncDispose]();
    },
  };
}

/** The events page's rows, each as "id status" (the id button's text and the status cell's). */
export function pageRows(page: Page): Promise<string[]> {
  return page.$$eval(
    "#rows tr",
    (trs) =>
      trs.map((tr) =>
        `${tr.querySelector("button")?.textContent} ` +
        `${tr.querySelector('[data-label="Status"]')?.textContent}`
      ),
  );
}
