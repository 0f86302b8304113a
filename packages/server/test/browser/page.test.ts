import { mkdirSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/browser.js";
import { freePort, sleep } from "../../../../test/support/ports.js";
import { startRedisServer, type RedisServer } from "../../../../test/support/redis-server.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

const ARTIFACTS = new URL("../../../../test-artifacts/browser/", import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });
const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });

/** The page's state attribute: "loading", "login", "profile", "expired" or "unavailable". */
const state = (page: Page) => page.locator("main").getAttribute("data-state");
const waitForState = (page: Page, expected: string) => page.waitForSelector(`main[data-state="${expected}"]`, { timeout: 10_000 });

async function logIn(page: Page, baseUrl: string, username: string): Promise<void> {
  await page.goto(baseUrl);
  await waitForState(page, "login");
  await page.getByLabel("Username").fill(username);
  await page.getByRole("button", { name: "Log in" }).click();
  await waitForState(page, "profile");
}

describe("the web page in Chromium, on Redis", () => {
  let redis: RedisServer;
  let server: ServerProcess;
  let browser: Browser;
  let baseUrl: string;
  const contexts: BrowserContext[] = [];
  const newPage = async (options: Parameters<Browser["newContext"]>[0] = {}) => {
    const context = await browser.newContext(options);
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    return page;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    server = await startServerProcess({ PORT: String(await freePort()), REDIS_URL: redis.url });
    baseUrl = server.baseUrl;
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.stop("SIGKILL");
    await redis?.dispose();
  });

  it("logs in through the form and stays logged in across a reload; the cookie is HttpOnly, SameSite=Lax and hidden from scripts", async () => {
    const page = await newPage();
    await logIn(page, baseUrl, "ada");
    expect(await page.locator("#profile-user").textContent()).toBe("ada");
    expect(await page.locator("#profile-status").textContent()).toBe("active");
    expect(await page.locator("#profile-created").textContent()).not.toBe("—");
    // Keyboard users land on the new content.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("profile-title");
    await page.reload();
    await waitForState(page, "profile");
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: "session_id", httpOnly: true, sameSite: "Lax", secure: false, path: "/" });
    expect(await page.evaluate(() => document.cookie)).not.toContain("session_id");
    await shot(page, "01-logged-in");
  });

  it("shows a second device, signs it out, and that device's next action shows it is logged out", async () => {
    const laptop = await newPage({ userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0" });
    const phone = await newPage({
      userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1",
      viewport: { width: 390, height: 844 },
    });
    await logIn(laptop, baseUrl, "grace");
    await logIn(phone, baseUrl, "grace");
    await laptop.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => laptop.locator("#devices li").count()).toBe(2);
    expect(await laptop.locator("#devices li", { hasText: "This device" }).textContent()).toContain("Firefox 132 on Linux");
    await shot(laptop, "02-two-devices");

    await laptop.getByRole("button", { name: /Sign out Safari 18 on iOS/ }).click();
    await expect.poll(() => laptop.locator("#devices li").count()).toBe(1);
    expect(await laptop.locator("#status").textContent()).toBe("Device signed out.");

    await phone.getByRole("button", { name: "Refresh" }).click();
    await waitForState(phone, "expired");
    expect(await phone.locator("#status").textContent()).toContain("expired or was signed out");
    await shot(phone, "03-signed-out-phone");
  });

  it("signs out all other devices with one button", async () => {
    const pages = [await newPage(), await newPage(), await newPage()];
    for (const page of pages) await logIn(page, baseUrl, "linus");
    const first = pages[0]!;
    // It was the only device when it rendered, so the button started disabled.
    expect(await first.getByRole("button", { name: "Sign out all other devices" }).isDisabled()).toBe(true);
    await first.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => first.locator("#devices li").count()).toBe(3);
    await first.getByRole("button", { name: "Sign out all other devices" }).click();
    await expect.poll(() => first.locator("#status").textContent()).toBe("Signed out 2 other devices.");
    for (const page of pages.slice(1)) {
      await page.reload();
      await waitForState(page, "expired");
    }
  });

  it("logout clears the cookie, and the back button never shows the profile from a cache", async () => {
    const page = await newPage();
    await logIn(page, baseUrl, "barbara");
    await page.goto(`${baseUrl}/docs`);
    // Log out from elsewhere (same browser, another request), then come back.
    const logout = await page.context().request.post(`${baseUrl}/logout/`);
    expect(logout.status()).toBe(200);
    expect(await page.context().cookies()).toEqual([]);
    await page.goBack();
    await waitForState(page, "login");
    expect(await page.locator("#profile-view").isHidden()).toBe(true);

    await logIn(page, baseUrl, "barbara");
    await page.getByRole("button", { name: "Log out" }).click();
    await waitForState(page, "login");
    expect(await page.locator("#status").textContent()).toBe("You are logged out.");
    expect(await page.context().cookies()).toEqual([]);
    await shot(page, "04-logged-out");
  });

  it("shows a readable error instead of a blank page for bad input", async () => {
    const page = await newPage();
    await page.goto(baseUrl);
    await waitForState(page, "login");
    await page.getByRole("button", { name: "Log in" }).click();
    expect(await page.locator("#status").textContent()).toBe("Please enter a username.");
    await page.getByLabel("Username").fill("x".repeat(256));
    await page.getByLabel("Username").evaluate((input: HTMLInputElement) => input.removeAttribute("maxlength"));
    await page.getByLabel("Username").fill("x".repeat(300));
    await page.getByRole("button", { name: "Log in" }).click();
    await expect.poll(() => page.locator("#status").textContent()).toBe("String should have at most 256 characters");
  });

  it("fits a narrow phone screen without sideways scrolling", async () => {
    const page = await newPage({ viewport: { width: 360, height: 740 } });
    await logIn(page, baseUrl, "a-rather-long-username-for-a-small-screen");
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await shot(page, "05-phone");
  });

  it("renders /docs offline: every endpoint listed, nothing fetched from another host", async () => {
    const page = await newPage();
    const foreign: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(baseUrl) && !request.url().startsWith("data:")) foreign.push(request.url());
    });
    await page.goto(`${baseUrl}/docs`);
    await page.waitForSelector(".opblock", { timeout: 15_000 });
    // One block per documented operation (the document is what the route-table test checks).
    const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(document.paths).reduce((sum, methods) => sum + Object.keys(methods).length, 0);
    expect(operations).toBeGreaterThanOrEqual(11);
    // Polled (bounded at 5 s): the blocks are rendered, not necessarily all in the frame the first one showed in.
    await expect.poll(() => page.locator(".opblock").count(), { timeout: 5000 }).toBe(operations);
    expect(await page.locator(".opblock-summary-path", { hasText: "/login/" }).count()).toBe(1);
    expect(foreign).toEqual([]);
    await shot(page, "06-docs");
  });
});

describe("the web page when things go wrong", () => {
  let redis: RedisServer;
  let server: ServerProcess;
  let browser: Browser;
  beforeAll(async () => {
    redis = await startRedisServer();
    // A 2-second idle timeout, so expiry can be seen without a long wait.
    server = await startServerProcess({ PORT: String(await freePort()), REDIS_URL: redis.url, SESSION_TIMEOUT_SECONDS: "2" });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop("SIGKILL");
    await redis?.dispose();
  });

  it("shows the 'session expired' state after the idle timeout, not an error page", async () => {
    const page = await (await browser.newContext()).newPage();
    await logIn(page, server.baseUrl, "idle");
    await sleep(3000);
    await page.getByRole("button", { name: "Refresh" }).click();
    await waitForState(page, "expired");
    expect(await page.locator("#status").textContent()).toContain("Your session has expired");
    expect(await page.getByLabel("Username").isVisible()).toBe(true);
    await shot(page, "07-expired");
  });

  it("says the service is unavailable, in words, while Redis is down, and recovers", async () => {
    const page = await (await browser.newContext()).newPage();
    await logIn(page, server.baseUrl, "patient");
    await redis.stop();
    try {
      await page.getByRole("button", { name: "Refresh" }).click();
      await waitForState(page, "unavailable");
      expect(await page.locator("#status").textContent()).toContain("unavailable right now");
      await shot(page, "08-store-down");
    } finally {
      await redis.start();
    }
    for (let attempt = 0; attempt < 50 && (await state(page)) !== "profile"; attempt++) {
      await sleep(200);
      await page.reload();
      await page.waitForSelector('main:not([data-state="loading"])');
    }
    expect(await state(page)).toBe("profile");
  });
});
