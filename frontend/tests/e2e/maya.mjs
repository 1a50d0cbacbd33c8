// Acceptance story, steps 1–4, as Maya (student) in a real browser.
//   1. Maya logs in; her dashboard shows "Module 2: Control Flow — 60%".
//   2. She asks "How do for loops work in Python?"; the concepts agent explains with examples.
//   3. She writes a for loop in the Monaco editor and runs it successfully.
//   4. The tutor offers a quiz; she gets 4/5; her mastery updates.
// Also: run limits are explained (timeout), Submit grades the current exercise per test.

import {
  BASE_URL, Pending, Story, USERS, editorText, expect, guards, launch, logIn, newPage,
  pendingIfRouteMissing, typeInEditor, unlabelled, waitForOutcome,
} from "./lib.mjs";

const story = new Story("maya");
const browser = await launch();
try {
  const page = await newPage(browser);

  await story.step("login", "Maya logs in with the keyboard and lands on her dashboard", async () => {
    await page.goto(`${BASE_URL}/`);
    expect(new URL(page.url()).pathname === "/login", `/ should send a signed-out visitor to /login, got ${page.url()}`);
    expect((await unlabelled(page)).length === 0, `login controls without a name: ${await unlabelled(page)}`);
    await story.screenshot(page, "login");
    await logIn(page, USERS.maya);
    expect(new URL(page.url()).pathname === "/student", `expected /student after login, got ${page.url()}`);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "lf_session");
    expect(session && session.httpOnly && session.sameSite === "Strict", `session cookie must be httpOnly+Strict: ${JSON.stringify(session)}`);
    const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage }));
    expect(!stored.includes("eyJ"), "no token may be in localStorage");
    expect(!(await page.evaluate(() => document.cookie)).includes("lf_session"), "the token must not be readable by scripts");
  }, { page });

  await story.step("dashboard", "the dashboard shows mastery per module with level names and the next exercise", async () => {
    const modules = page.getByRole("list", { name: "Mastery per module" });
    await waitForOutcome(page, modules);
    const items = await modules.locator("li").allInnerTexts();
    expect(items.length === 8, `expected the 8 curriculum modules, got ${items.length}: ${items.join(" | ")}`);
    const line = items.find((t) => t.includes("Module 2: Control Flow"));
    expect(line && /Module 2: Control Flow — \d+%/.test(line), `no "Module 2: Control Flow — N%" line: ${items.join(" | ")}`);
    expect(/Beginner|Learning|Proficient|Mastered/.test(line), `no level name on: ${line}`);
    const next = page.locator("#next-title");
    await waitForOutcome(page.getByRole("region", { name: "Next exercise" }), next);
    const nameless = await unlabelled(page);
    expect(nameless.length === 0, `controls without an accessible name: ${nameless.join(" | ")}`);
    await story.screenshot(page, "dashboard");
    return `${line.split("\n")[0]}; next exercise: ${await next.innerText()}`;
  }, { needs: ["login"], page });

  await story.step("dashboard-60", 'the dashboard shows "Module 2: Control Flow — 60%" (story step 1)', async () => {
    const text = await page.getByRole("list", { name: "Mastery per module" }).innerText();
    if (!text.includes("Module 2: Control Flow — 60%")) {
      const shown = text.match(/Module 2: Control Flow — \d+%/)?.[0];
      throw new Pending(`Maya has no Control Flow history in the demo data yet: the dashboard shows "${shown}" (the API's value)`);
    }
  }, { needs: ["dashboard"], page });

  await story.step("chat", 'Maya asks "How do for loops work in Python?" and the concepts agent answers with examples and sources', async () => {
    await page.getByRole("link", { name: "Learn", exact: true }).click();
    await page.waitForURL(/\/learn$/);
    const input = page.getByLabel("Your message");
    await input.fill("How do for loops work in Python?");
    await input.press("Enter");
    const answer = page.locator("article.msg.agent").first();
    await waitForOutcome(page.getByRole("region", { name: "Ask your tutors" }), answer, 60_000);
    expect((await answer.getAttribute("data-agent")) === "concepts", `answered by ${await answer.getAttribute("data-agent")}, not concepts`);
    expect((await answer.getByTestId("answered-by").innerText()) === "Concepts agent", "the answer must say the Concepts agent answered");
    const body = await answer.innerText();
    expect(/for\b/.test(body) && (await answer.locator("pre code").count()) > 0, "the answer should explain for loops with code examples");
    const sources = await answer.locator(".sources li").allInnerTexts();
    expect(sources.some((s) => s.startsWith("control-flow.")), `sources should cite a Control Flow lesson: ${sources}`);
    const nameless = await unlabelled(page);
    expect(nameless.length === 0, `controls without an accessible name: ${nameless.join(" | ")}`);
    await story.screenshot(page, "chat");
    return `sources: ${sources.join(", ")}`;
  }, { needs: ["login"], page });

  await story.step("run", "Maya writes a for loop in Monaco and runs it successfully", async () => {
    const exerciseTitle = await page.locator("#exercise-heading").innerText();
    await page.locator(".monaco-editor .view-lines").first().waitFor({ timeout: 30_000 });
    if (exerciseTitle !== "Exercise") {
      await page.waitForFunction(() => !document.querySelector(".monaco-editor .view-lines")?.textContent?.includes("Write Python here"), null, { timeout: 10_000 })
        .catch(() => { throw new Error(`the editor should open with the starter code of "${exerciseTitle}"`); });
    }
    await typeInEditor(page, [
      "fruits = ['apple', 'banana', 'cherry']",
      "for index, fruit in enumerate(fruits, start=1):",
      "    print(index, fruit)",
      "print('done')",
    ]);
    const typed = await editorText(page);
    expect(typed.includes("for index, fruit in enumerate(fruits, start=1):"), `the editor holds: ${typed}`);
    await page.getByRole("button", { name: "Run", exact: true }).click();
    const output = page.getByTestId("run-output");
    await waitForOutcome(page.getByRole("region", { name: "Your code" }), output, 30_000);
    const status = await page.getByTestId("run-status").innerText();
    const stdout = await page.getByTestId("stdout").innerText();
    expect(status === "Ran successfully", `status: ${status}; stderr: ${await page.getByTestId("stderr").innerText().catch(() => "")}`);
    expect(stdout.trim() === "1 apple\n2 banana\n3 cherry\ndone", `stdout: ${JSON.stringify(stdout)}`);
    await story.screenshot(page, "run-ok");
    return `stdout: ${JSON.stringify(stdout)}`;
  }, { needs: ["login"], page });

  await story.step("run-limits", "an endless loop is stopped and the page says the time limit was reached", async () => {
    await typeInEditor(page, ["while True:", "    pass"]);
    await page.locator(".monaco-editor textarea").first().press("Control+Enter"); // run from the keyboard
    const output = page.locator('[data-testid="run-output"][data-status="timeout"]');
    await waitForOutcome(page.getByRole("region", { name: "Your code" }), output, 45_000);
    const status = await page.getByTestId("run-status").innerText();
    expect(status === "Time limit reached", `status: ${status}`);
    await story.screenshot(page, "run-timeout");
  }, { needs: ["run"], page });

  await story.step("submit", "Submit grades the current exercise and shows each test's result", async () => {
    const loaded = page.getByRole("button", { name: "Reset to the starter code" });
    if (!(await loaded.count())) {
      const shown = await page.locator('section[aria-labelledby="exercise-heading"]').innerText();
      throw new Error(`no exercise is loaded on the learning page: ${shown.replace(/\s+/g, " ").slice(0, 300)}`);
    }
    await loaded.click();
    await page.getByRole("button", { name: "Submit for grading" }).click();
    const region = page.getByRole("region", { name: "Your code" });
    const grade = page.getByTestId("grade-output");
    await region.locator(".notice.error").or(grade).first().waitFor({ timeout: 60_000 });
    await pendingIfRouteMissing(region);
    await waitForOutcome(region, grade, 5_000); // already shown: a 1 ms timeout loses the race with the browser round trip
    const rows = await grade.locator("tbody tr").count();
    expect(rows > 0, "the grade should list each test");
    await story.screenshot(page, "submit");
    return await page.getByTestId("grade-status").innerText();
  }, { needs: ["login"], page });

  await story.step("quiz", "the tutor offers a quiz, Maya gets 4/5 and her mastery updates (story step 4)", async () => {
    const input = page.getByLabel("Your message");
    await input.fill("Quiz me on for loops");
    await input.press("Enter");
    const answers = page.locator("article.msg.agent");
    const before = await answers.count();
    await page.waitForFunction((n) => document.querySelectorAll("article.msg.agent").length > n || document.querySelectorAll(".chat-log .notice.error").length > 0, before, { timeout: 60_000 });
    const reply = answers.last();
    const text = await reply.innerText();
    await story.screenshot(page, "quiz");
    // A quiz has questions with lettered options; anything else means the tutor does not run
    // quizzes yet (there is no quiz route in the API either).
    if (!/\b1[.)]/.test(text) || !/\bA\)/.test(text)) {
      throw new Pending(`the tutor does not run quizzes yet: "Quiz me on for loops" got (${await reply.getAttribute("data-agent")}) "${text.split("\n").slice(1, 3).join(" ").slice(0, 160)}"`);
    }
    throw new Pending("a quiz was offered, but answering it (4/5) and the mastery update have no API contract yet");
  }, { needs: ["chat"], page });

  await story.step("guards", "no request left this machine (no CDN, no external font) and no JavaScript error", async () => {
    const problems = guards(page);
    expect(problems.length === 0, problems.join("\n"));
  }, { page });

  await story.step("logout", "Log out clears the session", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/login/);
    await page.goto(`${BASE_URL}/student`);
    expect(new URL(page.url()).pathname === "/login", `after logout /student should send to /login, got ${page.url()}`);
  }, { needs: ["login"], page });
} finally {
  await browser.close();
}
process.exit(story.finish());
