// Shared helpers of the browser tests: Debian's chromium driven by playwright-core, a step
// runner that reports PASS or FAIL (a missing route is a failure, never "pending"), screenshots,
// guards (no external requests, no JavaScript errors) and axe-core's accessibility check.
//
// Environment:
//   E2E_BASE_URL        the running frontend (default http://127.0.0.1:3000)
//   E2E_LOGINS_FILE     demo-logins.json written by triage (default ../.run/dev/demo-logins.json)
//   E2E_PASSWORD        one password for every demo user (when LEARNFLOW_DEMO_PASSWORD is used)
//   E2E_SCREENSHOT_DIR  where screenshots go (default: a new temp dir)
//   E2E_RESULTS_DIR     if set, each story writes <story>.json with its steps there
//   CHROMIUM_PATH       default /usr/bin/chromium

import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
export const DESKTOP = { width: 1440, height: 960 };
export const PHONE = { width: 390, height: 844 };
export const BASE_URL = (process.env.E2E_BASE_URL || "http://127.0.0.1:3000").replace(/\/+$/, "");
export const SHOT_DIR = process.env.E2E_SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), "learnflow-e2e-"));
mkdirSync(SHOT_DIR, { recursive: true });

export const USERS = {
  maya: "maya@learnflow.dev",
  james: "james@learnflow.dev",
  teacher: "rodriguez@learnflow.dev",
};

export function passwordOf(email) {
  if (process.env.E2E_PASSWORD) return process.env.E2E_PASSWORD;
  const file = process.env.E2E_LOGINS_FILE || resolve(here, "../../../.run/dev/demo-logins.json");
  if (!existsSync(file)) {
    throw new Error(`no demo logins: ${file} does not exist (set E2E_LOGINS_FILE or E2E_PASSWORD)`);
  }
  const found = JSON.parse(readFileSync(file, "utf8")).users?.find((u) => u.email === email);
  if (!found) throw new Error(`${email} is not in ${file}`);
  return found.password;
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
}

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** A page that records every request to another host and every JavaScript error. */
export async function newPage(browser) {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  page.external = [];
  page.jsErrors = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if ((url.protocol === "http:" || url.protocol === "https:") && !LOCAL_HOSTS.has(url.hostname)) {
      page.external.push(request.url());
    }
  });
  page.on("pageerror", (error) => page.jsErrors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() === "error" && !/Failed to load resource: the server responded with a status of (4\d\d)/.test(text)) {
      page.jsErrors.push(`console.error: ${text}`);
    }
    if (/web worker|MonacoEnvironment/i.test(text)) page.jsErrors.push(`monaco: ${text}`);
  });
  return page;
}

export function expect(condition, message) {
  if (!condition) throw new Error(message);
}

/** Runs steps in order; a failed step blocks the ones that need it. */
export class Story {
  constructor(name) {
    this.name = name;
    this.results = [];
    this.shot = 0;
  }

  async screenshot(page, label) {
    const file = join(SHOT_DIR, `${this.name}-${String(++this.shot).padStart(2, "0")}-${label}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    return file;
  }

  /**
   * A story step's screenshots at desktop width and at 390 px (a phone), and the checks that go
   * with them: nothing wider than the phone's screen, and axe-core finds no serious or critical
   * accessibility violation at either width.
   */
  async shots(page, label) {
    await this.screenshot(page, `${label}-desktop`);
    const problems = await axeProblems(page, `${label} (desktop)`);
    await page.setViewportSize(PHONE);
    try {
      await page.waitForTimeout(250); // layout settles (Monaco re-measures on resize)
      await this.screenshot(page, `${label}-390px`);
      const overflow = await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll("body *")]
          .filter((el) => {
            const box = el.getBoundingClientRect();
            if (box.width === 0 || box.right <= width + 1) return false;
            // inside something that scrolls sideways on purpose (tables, code, the editor)
            for (let up = el.parentElement; up; up = up.parentElement) {
              const style = getComputedStyle(up);
              if (["auto", "scroll", "hidden"].includes(style.overflowX) && up.getBoundingClientRect().right <= width + 1) return false;
            }
            return true;
          })
          .slice(0, 5)
          .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${[...el.classList].join(".")} (right edge ${Math.round(el.getBoundingClientRect().right)} px)`);
        return { page: document.documentElement.scrollWidth, width, wide };
      });
      if (overflow.page > overflow.width + 1 || overflow.wide.length) {
        problems.push(`${label}: wider than 390 px (${overflow.page} px): ${overflow.wide.join(", ")}`);
      }
      problems.push(...(await axeProblems(page, `${label} (390 px)`)));
    } finally {
      await page.setViewportSize(DESKTOP);
    }
    expect(problems.length === 0, problems.join("\n"));
  }

  async step(id, title, fn, { needs = [], page = null } = {}) {
    const failed = needs.filter((n) => this.status(n) !== "PASS");
    const started = Date.now();
    let result;
    if (failed.length) {
      result = { id, title, status: "FAIL", detail: `not run: it needs ${failed.join(", ")}, which failed` };
    } else {
      try {
        const detail = await fn();
        result = { id, title, status: "PASS", detail: detail ?? "" };
      } catch (error) {
        result = { id, title, status: "FAIL", detail: error?.stack || String(error) };
        if (page) result.screenshot = await this.screenshot(page, `FAILED-${id}`);
      }
    }
    result.seconds = Math.round((Date.now() - started) / 100) / 10;
    this.results.push(result);
    const line = `[${result.status}] ${this.name}/${id}: ${title}`;
    console.log(result.detail ? `${line}\n    ${String(result.detail).split("\n").join("\n    ")}` : line);
    return result.status === "PASS";
  }

  status(id) {
    return this.results.find((r) => r.id === id)?.status;
  }

  finish() {
    const counts = { PASS: 0, FAIL: 0 };
    for (const r of this.results) counts[r.status]++;
    console.log(`\n${this.name}: ${counts.PASS} passed, ${counts.FAIL} failed; screenshots in ${SHOT_DIR}`);
    if (process.env.E2E_RESULTS_DIR) {
      mkdirSync(process.env.E2E_RESULTS_DIR, { recursive: true });
      writeFileSync(
        join(process.env.E2E_RESULTS_DIR, `${this.name}.json`),
        JSON.stringify({ story: this.name, screenshots: SHOT_DIR, steps: this.results }, null, 2),
      );
    }
    return counts.FAIL === 0 ? 0 : 1;
  }
}

// --- LearnFlow pages ----------------------------------------------------------------------------

export async function logIn(page, email) {
  await page.goto(`${BASE_URL}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(passwordOf(email));
  await page.getByLabel("Password").press("Enter"); // keyboard submit
  await page.waitForURL((url) => !url.pathname.startsWith("/login"), { timeout: 20_000 });
}

/** Wait until `locator` or an error notice in `scope` shows; an error notice fails the step. */
export async function waitForOutcome(scope, locator, timeout = 30_000) {
  const error = scope.locator(".notice.error");
  await locator.or(error).first().waitFor({ timeout });
  if (!(await locator.count()) || !(await locator.first().isVisible())) {
    throw new Error(`the page shows an error: ${(await error.first().innerText()).replace(/\s+/g, " ")}`);
  }
}

/** Replace the Monaco editor's text by typing, as a learner would. */
export async function typeInEditor(page, lines) {
  const editor = page.locator(".monaco-editor").first();
  await editor.waitFor({ timeout: 30_000 });
  await editor.locator(".view-lines").click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  for (const [i, line] of lines.entries()) {
    // Monaco indents after a colon by itself: type each line's text without its indentation,
    // and dedent with Shift+Tab where the line is less indented than the previous one
    if (i > 0) {
      await page.keyboard.press("Enter");
      const previous = lines[i - 1].match(/^ */)[0].length + (lines[i - 1].trimEnd().endsWith(":") ? 4 : 0);
      const wanted = line.match(/^ */)[0].length;
      for (let level = previous; level > wanted; level -= 4) await page.keyboard.press("Shift+Tab");
    }
    await page.keyboard.type(line.trimStart(), { delay: 5 });
  }
}

export async function editorText(page) {
  const text = await page.locator(".monaco-editor .view-lines").first().innerText();
  return text.replace(/\u00a0/g, " ");
}

export function guards(page) {
  const problems = [];
  if (page.external.length) problems.push(`requests to other hosts: ${[...new Set(page.external)].join(", ")}`);
  if (page.jsErrors.length) problems.push(`JavaScript errors: ${page.jsErrors.join(" | ")}`);
  return problems;
}

/** Form controls and buttons without an accessible name (a label, aria-label(ledby), text). */
export async function unlabelled(page) {
  return page.evaluate(() => {
    const problems = [];
    const named = (el) => {
      if (el.getAttribute("aria-label")?.trim()) return true;
      const by = el.getAttribute("aria-labelledby");
      if (by && by.split(/\s+/).some((id) => document.getElementById(id)?.textContent?.trim())) return true;
      if (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)?.textContent?.trim()) return true;
      if (el.closest("label")?.textContent?.trim()) return true;
      if (el.tagName === "BUTTON" || el.tagName === "A") return Boolean(el.textContent?.trim() || el.getAttribute("title"));
      return false;
    };
    for (const el of document.querySelectorAll("input:not([type=hidden]), textarea, select, button, a[href]")) {
      if (el.closest('[aria-hidden="true"]')) continue; // hidden from assistive technology
      if (!named(el)) problems.push(el.outerHTML.slice(0, 120));
    }
    return problems;
  });
}


/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.x A/AA rules).
 * The engine is evaluated through the DevTools protocol, so the page's Content-Security-Policy
 * stays as strict as users get it.
 */
export async function axeProblems(page, where) {
  await page.evaluate(`${AXE_SOURCE}\n;0`);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      resultTypes: ["violations"],
    });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
  });
  return violations.map((v) => `axe on ${where}: ${v}`);
}

/** The answer key of a module's quiz, read from the curriculum file (question id → index). */
export function quizAnswers(module) {
  const file = resolve(here, `../../../learnflow/curriculum/content/${module}/quiz.yaml`);
  const text = readFileSync(file, "utf8");
  const answers = {};
  for (const block of text.split(/\n  - id: /).slice(1)) {
    const id = block.split("\n")[0].trim();
    const answer = block.match(/\n    answer: (\d+)/);
    if (answer) answers[id] = Number(answer[1]);
  }
  return answers;
}

/** Reload until `check()` is true (data that arrives through Kafka lands a moment later).
 *
 * Between reloads the check is polled while the page loads its data, for a wait that grows from
 * 1 s to 8 s: a fixed reload every second aborted a dashboard whose requests took longer than
 * that (CI: James's three notifications were stored within a second, but his page, reloaded
 * every second, never finished loading them). */
export async function eventually(page, check, { timeout = 60_000, reload = true, what = "the expected state" } = {}) {
  const deadline = Date.now() + timeout;
  let wait = 1_000;
  for (;;) {
    const reloadAt = Math.min(Date.now() + wait, deadline);
    do {
      if (await check()) return;
      await page.waitForTimeout(250);
    } while (Date.now() < reloadAt);
    if (Date.now() >= deadline) throw new Error(`${what} did not show within ${Math.round(timeout / 1000)} s`);
    if (reload) await page.reload();
    wait = Math.min(wait * 2, 8_000);
  }
}
