// Acceptance story, steps 1–4, as Maya (student) in a real browser.
//   1. Maya logs in; her dashboard shows "Module 2: Control Flow — 60%" (her demo history,
//      sent as events through Kafka at first start).
//   2. She asks "How do for loops work in Python?"; the concepts agent explains with examples.
//   3. She writes a for loop in the Monaco editor and runs it successfully.
//   4. The tutor offers a quiz; she gets 4/5; her mastery updates.
// Also: run limits are explained (timeout), Submit grades per test, a draft and the chat
// survive a reload, every page passes axe-core and works at 390 px.

import {
  BASE_URL, Story, USERS, editorText, eventually, expect, guards, launch, logIn, newPage,
  quizAnswers, typeInEditor, unlabelled, waitForOutcome,
} from "./lib.mjs";

const story = new Story("maya");
const browser = await launch();
try {
  const page = await newPage(browser);

  await story.step("login", "Maya logs in with the keyboard and lands on her dashboard", async () => {
    await page.goto(`${BASE_URL}/`);
    expect(new URL(page.url()).pathname === "/login", `/ should send a signed-out visitor to /login, got ${page.url()}`);
    expect((await unlabelled(page)).length === 0, `login controls without a name: ${await unlabelled(page)}`);
    const icon = await page.evaluate(async () => (await fetch("/icon.svg")).status);
    expect(icon === 200, `the favicon (/icon.svg) answered ${icon}`);
    await story.shots(page, "login");
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
    return `${line.split("\n")[0]}; next exercise: ${await next.innerText()}`;
  }, { needs: ["login"], page });

  await story.step("dashboard-60", 'the dashboard shows "Module 2: Control Flow — 60%" from her history (story step 1)', async () => {
    const modules = page.getByRole("list", { name: "Mastery per module" });
    await eventually(page, async () => {
      await modules.waitFor({ timeout: 20_000 }).catch(() => undefined);
      return (await modules.innerText().catch(() => "")).includes("Module 2: Control Flow — 60%");
    }, { what: '"Module 2: Control Flow — 60%" (the demo history travels through Kafka to debrief)' });
    await story.shots(page, "dashboard");
  }, { needs: ["dashboard"], page });

  await story.step("chat", 'Maya asks "How do for loops work in Python?" and the concepts agent answers, written out as it streams, with examples and sources', async () => {
    await page.getByRole("link", { name: "Learn", exact: true }).click();
    await page.waitForURL(/\/learn/);
    const input = page.getByLabel("Your message");
    await input.fill("How do for loops work in Python?");
    const streamed = page.waitForRequest((r) => r.method() === "POST" && new URL(r.url()).pathname === "/api/chat/stream", { timeout: 10_000 });
    await input.press("Enter");
    await streamed.catch(() => { throw new Error("the chat should ask for the answer as a stream (POST /api/chat/stream)"); });
    await page.getByTestId("answer-so-far").waitFor({ timeout: 30_000 })
      .catch(() => { throw new Error("the answer should appear as it is written, before it is complete"); });
    const answer = page.locator("article.msg.agent", { has: page.locator(".sources") }).last();
    await waitForOutcome(page.getByRole("region", { name: "Ask your tutors" }), answer, 60_000);
    expect((await answer.getAttribute("data-agent")) === "concepts", `answered by ${await answer.getAttribute("data-agent")}, not concepts`);
    expect((await answer.getByTestId("answered-by").innerText()) === "Concepts agent", "the answer must say the Concepts agent answered");
    const caption = answer.getByTestId("answer-model");
    const writer = (await caption.count()) ? (await caption.innerText()).trim() : "";
    expect(/^(Offline tutor — built from the lessons|Written by \S.* from the lessons)$/.test(writer), `the answer must say who wrote it: "${writer}"`);
    const body = await answer.innerText();
    expect(/for\b/.test(body) && (await answer.locator("pre code").count()) > 0, "the answer should explain for loops with code examples");
    expect((await answer.locator("pre code .hljs-keyword").count()) > 0, "code examples should be syntax-highlighted");
    const sources = await answer.locator(".sources li").allInnerTexts();
    expect(sources.some((s) => s.startsWith("control-flow.")), `sources should cite a Control Flow lesson: ${sources}`);
    const nameless = await unlabelled(page);
    expect(nameless.length === 0, `controls without an accessible name: ${nameless.join(" | ")}`);
    await story.shots(page, "chat");
    return `${writer}; sources: ${sources.join(", ")}`;
  }, { needs: ["login"], page });

  await story.step("run", "Maya writes a for loop in Monaco and runs it successfully (story step 3)", async () => {
    const exerciseTitle = await page.locator("#exercise-heading").innerText();
    await page.locator(".monaco-editor .view-lines").first().waitFor({ timeout: 30_000 });
    if (exerciseTitle !== "Exercise") {
      await page.waitForFunction(() => !document.querySelector(".monaco-editor .view-lines")?.textContent?.includes("Write Python here"), null, { timeout: 10_000 })
        .catch(() => { throw new Error(`the editor should open with the starter code of "${exerciseTitle}"`); });
    }
    // one input (as a paste is), not key by key: typed, the body relied on Monaco indenting after
    // the colon, which it does only once Python's language rules have loaded — a race this step
    // lost 2 runs in 5. No line dedents after the block (Monaco keeps the previous indentation).
    const editor = page.locator(".monaco-editor").first();
    await editor.locator(".view-lines").click();
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.press("Delete");
    await page.keyboard.insertText(
      ["fruits = ['apple', 'banana', 'cherry']", "for index, fruit in enumerate(fruits, start=1):", "    print(index, fruit)"].join("\n"),
    );
    // Monaco draws its lines on a later frame: wait for the view to show the text, then check
    // (read at once, it was still empty in one CI run though the code was there a moment later)
    const loop = "for index, fruit in enumerate(fruits, start=1):";
    await page
      .waitForFunction(
        (wanted) => (document.querySelector(".monaco-editor .view-lines")?.textContent ?? "").replace(/\u00a0/g, " ").includes(wanted),
        loop,
        { timeout: 10_000 },
      )
      .catch(() => {});
    const typed = await editorText(page);
    expect(typed.includes(loop), `the editor holds: ${typed}`);
    await page.getByRole("button", { name: "Run", exact: true }).click();
    const output = page.getByTestId("run-output");
    await waitForOutcome(page.getByRole("region", { name: "Your code" }), output, 30_000);
    const status = await page.getByTestId("run-status").innerText();
    const stdout = await page.getByTestId("stdout").innerText();
    expect(status === "Ran successfully", `status: ${status}; stderr: ${await page.getByTestId("stderr").innerText().catch(() => "")}`);
    expect(stdout.trim() === "1 apple\n2 banana\n3 cherry", `stdout: ${JSON.stringify(stdout)}`);
    await story.shots(page, "run");
    return `stdout: ${JSON.stringify(stdout)}`;
  }, { needs: ["login"], page });

  await story.step("run-limits", "an endless loop is stopped and the page says the time limit was reached", async () => {
    await typeInEditor(page, ["while True:", "    pass"]);
    await page.locator(".monaco-editor textarea").first().press("Control+Enter"); // run from the keyboard
    const output = page.locator('[data-testid="run-output"][data-status="timeout"]');
    await waitForOutcome(page.getByRole("region", { name: "Your code" }), output, 45_000);
    const status = await page.getByTestId("run-status").innerText();
    expect(status === "Time limit reached", `status: ${status}`);
  }, { needs: ["run"], page });

  await story.step("submit", "the draft survives a reload; Submit grades the exercise and shows each test's result", async () => {
    const loaded = page.getByRole("button", { name: "Reset to the starter code" });
    expect(await loaded.count(), "no exercise is loaded on the learning page");
    await typeInEditor(page, ["# my draft, kept on the server", "x = 1"]);
    await page.getByTestId("draft-status").filter({ hasText: "Draft saved" }).waitFor({ timeout: 15_000 });
    await page.reload();
    await page.locator(".monaco-editor .view-lines").first().waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector(".monaco-editor .view-lines")?.textContent?.replace(/\u00a0/g, " ").includes("my draft, kept on the server"), null, { timeout: 15_000 })
      .catch(() => { throw new Error("after a reload the editor does not show the draft"); });
    await page.getByRole("button", { name: "Reset to the starter code" }).click();
    await page.getByRole("button", { name: "Submit for grading" }).click();
    const region = page.getByRole("region", { name: "Your code" });
    const grade = page.getByTestId("grade-output");
    await waitForOutcome(region, grade, 60_000);
    const rows = await grade.locator("tbody tr").count();
    expect(rows > 0, "the grade should list each test");
    return await page.getByTestId("grade-status").innerText();
  }, { needs: ["run"], page });

  await story.step("quiz", "the tutor runs a quiz; Maya gets 4/5 with the keyboard and her mastery updates (story step 4)", async () => {
    const keys = quizAnswers("control-flow");
    const input = page.getByLabel("Your message");
    await input.fill("Quiz me on for loops");
    await input.press("Enter");
    const card = page.getByTestId("quiz-card").last();
    await waitForOutcome(page.getByRole("region", { name: "Ask your tutors" }), card, 60_000);
    for (let n = 1; n <= 5; n++) {
      const question = card.locator("[data-question-id]");
      await question.waitFor({ timeout: 10_000 });
      const id = await question.getAttribute("data-question-id");
      expect(id in keys, `question ${id} is not in the Control Flow bank`);
      expect(!(await card.getByTestId("quiz-feedback").count()), "right or wrong must not show before answering");
      const right = keys[id];
      const choice = n < 5 ? right : (right + 1) % (await card.locator(".quiz-choices button").count());
      await card.locator(".quiz-choices button").first().focus();
      await page.keyboard.press(String(choice + 1)); // keys 1–4
      const feedback = card.getByTestId("quiz-feedback");
      await waitForOutcome(card, feedback, 20_000);
      expect((await feedback.getAttribute("data-correct")) === String(n < 5), `question ${n}: the card should say ${n < 5 ? "right" : "wrong"}`);
      expect((await feedback.innerText()).length > 40, "each answer comes with its explanation");
      if (n === 1) await story.shots(page, "quiz-question");
      if (n < 5) await card.getByRole("button", { name: "Next question →" }).click();
    }
    const result = card.getByTestId("quiz-result");
    await result.waitFor({ timeout: 10_000 });
    expect((await result.innerText()).includes("Score: 4/5"), `result: ${await result.innerText()}`);
    const mastery = card.getByTestId("quiz-mastery");
    await mastery.waitFor({ timeout: 30_000 });
    const text = await mastery.innerText();
    const now = Number(text.match(/Control Flow — (\d+)%/)?.[1]);
    expect(now > 60, `Control Flow mastery should rise above 60% after 4/5: ${text}`);
    await story.shots(page, "quiz-result");
    await page.reload();
    const kept = page.locator("article.msg.agent");
    await kept.first().waitFor({ timeout: 20_000 });
    const log = await page.getByRole("log", { name: "Conversation" }).innerText();
    expect(log.includes("Quiz me on for loops") && log.includes("How do for loops work"), "after a reload the conversation should still be there");
    return text;
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
