// Acceptance story, steps 5–7, in a real browser:
//   5. Student James gets list comprehensions wrong 3 times; a struggle alert reaches teacher
//      Mr. Rodriguez (live, without reloading his page).
//   6. The teacher opens James's code attempts and types "Create easy exercises on list
//      comprehensions"; exercises are generated (validated through the sandbox) and assigned
//      with one click.
//   7. James is notified, completes them, and his progress shows it (on the teacher's page too).

import {
  BASE_URL, Story, USERS, eventually, expect, guards, launch, logIn, newPage, typeInEditor,
  unlabelled, waitForOutcome,
} from "./lib.mjs";

const story = new Story("class");
const storyStarted = Date.now();
const browser = await launch();
const WRONG_COMPREHENSION = [
  "words = ['loop', 'list', 'dict']",
  "shouts = [word + 1 for word in words]",
  "print(shouts)",
];
let generated = []; // [{id, title, solution}] as the teacher's page shows them

try {
  const james = await newPage(browser);
  const teacher = await newPage(browser);

  await story.step("teacher-overview", "Mr. Rodriguez logs in and sees his class: roster and a students × modules heatmap with a legend", async () => {
    await logIn(teacher, USERS.teacher);
    expect(new URL(teacher.url()).pathname === "/teacher", `expected /teacher, got ${teacher.url()}`);
    const table = teacher.getByRole("table", { name: /Students of/ });
    const noClass = teacher.getByText("You do not teach a class yet.");
    await table.or(noClass).or(teacher.locator(".notice.error")).first().waitFor({ timeout: 30_000 });
    expect(!(await noClass.count()), "the API lists no class for Mr. Rodriguez (GET /classes answered [])");
    await waitForOutcome(teacher, table);
    const rows = await table.locator("tbody tr").allInnerTexts();
    expect(rows.some((r) => r.includes("James")) && rows.some((r) => r.includes("Maya")), `students: ${rows.join(" | ")}`);
    const heatmap = teacher.getByRole("table", { name: /Mastery of each student/ });
    await heatmap.waitFor();
    const mayaControlFlow = heatmap.locator("tr", { hasText: "Maya" }).locator('td[data-topic="control-flow"]');
    expect(Number(await mayaControlFlow.getAttribute("data-mastery")) >= 60, "the heatmap should show Maya's Control Flow mastery");
    const legend = await teacher.getByRole("list", { name: "Legend" }).innerText();
    expect(/Beginner[\s\S]*Learning[\s\S]*Proficient[\s\S]*Mastered/.test(legend), `legend: ${legend}`);
    const nameless = await unlabelled(teacher);
    expect(nameless.length === 0, `controls without an accessible name: ${nameless.join(" | ")}`);
    await story.shots(teacher, "teacher-overview");
    await teacher.waitForFunction(() => document.documentElement.getAttribute("data-live") === "on", null, { timeout: 15_000 })
      .catch(() => { throw new Error("the teacher's page did not connect to live updates (/api/events)"); });
  }, { page: teacher });

  await story.step("james-errors", "James runs a list comprehension that fails with the same TypeError 3 times", async () => {
    await logIn(james, USERS.james);
    await james.goto(`${BASE_URL}/learn`);
    await typeInEditor(james, WRONG_COMPREHENSION);
    const region = james.getByRole("region", { name: "Your code" });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [response] = await Promise.all([
        james.waitForResponse((r) => r.url().endsWith("/api/code/run") && r.request().method() === "POST", { timeout: 30_000 }),
        james.getByRole("button", { name: "Run", exact: true }).click(),
      ]);
      expect(response.ok(), `attempt ${attempt}: /api/code/run answered HTTP ${response.status()}`);
      const failed = james.locator('[data-testid="run-output"][data-status="error"]');
      await waitForOutcome(region, failed, 30_000);
      await james.getByRole("button", { name: "Run", exact: true }).waitFor();
      const stderr = await james.getByTestId("stderr").innerText();
      expect(stderr.includes("TypeError"), `attempt ${attempt}: expected a TypeError, stderr: ${stderr}`);
      expect(stderr.split("\n").length >= 3, "the traceback keeps its line breaks");
    }
    await story.shots(james, "james-typeerror");
  }, { page: james });

  await story.step("alert", "a struggle alert about James reaches the teacher live, grouped per student in plain words (story step 5)", async () => {
    const alerts = teacher.getByRole("region", { name: /Struggle alerts/ });
    const group = alerts.locator("li.alert-group", { hasText: "James" });
    await group.waitFor({ timeout: 90_000 }).catch(() => {
      throw new Error("no alert about James appeared on the open page within 90 s (live updates: struggle.detected → Kafka → the frontend's sidecar → SSE)");
    });
    const text = await group.first().innerText();
    expect(/again and again/i.test(text) && /TypeError/.test(text), `the alert should say, in plain words, that the same error repeats: ${text}`);
    expect(!/\b[a-z]+_[a-z_]+\b/.test(text.replace(/\S+\.\S+/g, "")), `no raw tokens like repeated_error: ${text}`);
    const item = group.first().locator("[data-alert-id]").first();
    const created = Date.parse(await item.getAttribute("data-created-at"));
    expect(created >= storyStarted - 5_000, `the alert about James is older than this run (${new Date(created).toISOString()})`);
    await story.shots(teacher, "teacher-alert");
    return text.replace(/\s+/g, " ");
  }, { needs: ["james-errors", "teacher-overview"], page: teacher });

  await story.step("attempts-open", "from the alert, the teacher opens James's details", async () => {
    const alerts = teacher.getByRole("region", { name: /Struggle alerts/ });
    await alerts.getByRole("button", { name: "Code attempts of James" }).first().click();
    await teacher.getByTestId("student-panel").waitFor();
    const focused = await teacher.evaluate(() => document.activeElement?.id);
    expect(focused === "student-heading", `focus should move to the details' heading, is on #${focused}`);
  }, { needs: ["alert"], page: teacher });

  await story.step("attempts", "the teacher reads James's code attempts, newest first, with their result and time (story step 6)", async () => {
    const panel = teacher.getByTestId("student-attempts");
    const list = panel.getByRole("list", { name: "Code attempts of James" });
    await waitForOutcome(panel, list, 30_000);
    const code = await list.locator("pre").first().innerText();
    expect(code.includes("word + 1 for word in words"), `the latest attempt should be James's code: ${code}`);
    const first = await list.locator("li.attempt").first().innerText();
    expect(/Finished with an error|Failed|error/i.test(first) && /TypeError/.test(first), `the attempt should show its result: ${first}`);
    expect(await list.locator("li.attempt time").count() > 0, "each attempt shows when it ran");
    await story.shots(teacher, "teacher-attempts");
  }, { needs: ["attempts-open"], page: teacher });

  await story.step("report", "James's topic breakdown with its trend, and his report (runs, error types)", async () => {
    const breakdown = teacher.getByTestId("student-breakdown");
    await breakdown.getByRole("table").waitFor({ timeout: 30_000 });
    const rows = await breakdown.locator("tbody tr").allInnerTexts();
    expect(rows.some((r) => r.includes("Basics")), `James's started topics: ${rows.join(" | ")}`);
    expect(rows.every((r) => /▲|▼|no change/.test(r)), `each topic shows its trend: ${rows.join(" | ")}`);
    const section = teacher.getByTestId("student-report");
    const report = section.locator("p", { hasText: "Runs:" });
    await waitForOutcome(section, report, 60_000);
    const text = await report.innerText();
    expect(/TypeError ×\d+/.test(text), `the report should count James's TypeErrors: ${text}`);
    return `${rows.join(" | ")} — ${text}`;
  }, { needs: ["attempts-open"], page: teacher });

  await story.step("generate", 'the teacher asks for "Create easy exercises on list comprehensions"; new exercises are validated in the sandbox (story step 6)', async () => {
    const card = teacher.getByRole("region", { name: "Request exercises" });
    await card.getByLabel("Describe the exercises you want").fill("Create easy exercises on list comprehensions");
    await card.getByRole("button", { name: "Generate exercises" }).click();
    const list = card.getByRole("list", { name: "Generated exercises" });
    await waitForOutcome(card, list, 60_000);
    const understood = await card.getByText(/^Understood:/).innerText();
    expect(/3 easy exercises on list comprehensions/.test(understood), `the request should be read as topic, difficulty and count: ${understood}`);
    await teacher.waitForFunction(() => {
      const items = [...document.querySelectorAll('[aria-label="Generated exercises"] > li')];
      return items.length > 0 && items.every((li) => li.getAttribute("data-status") === "ready" || /Did not pass/.test(li.textContent ?? ""));
    }, null, { timeout: 180_000 }).catch(() => { throw new Error("the generated exercises were not validated within 180 s"); });
    const items = list.locator(":scope > li");
    const ready = list.locator(':scope > li[data-status="ready"]');
    expect((await ready.count()) === (await items.count()), `every generated exercise should pass validation: ${await list.innerText()}`);
    const validation = await ready.first().getByTestId("validation").innerText();
    expect(/reference solution passes .*same result twice/.test(validation) && /starter code fails/.test(validation), `validation result: ${validation}`);
    for (const id of await ready.evaluateAll((lis) => lis.map((li) => li.getAttribute("data-exercise-id")))) {
      const body = await teacher.evaluate(async (exerciseId) => (await fetch(`/api/teacher/exercises/${encodeURIComponent(exerciseId)}`)).json(), id);
      expect(!/squares\(numbers\)|evens_only/.test(body.solution), `a generated exercise should not copy the curriculum: ${body.title}`);
      generated.push({ id, title: body.title, solution: body.solution });
    }
    await story.shots(teacher, "teacher-generated");
    return generated.map((g) => g.title).join("; ");
  }, { needs: ["teacher-overview"], page: teacher });

  await story.step("assign", "the teacher approves them and assigns them to James with a due date in one click (story step 6)", async () => {
    const card = teacher.getByRole("region", { name: "Request exercises" });
    await card.getByRole("button", { name: /^Approve all \d+ validated/ }).click();
    await teacher.waitForFunction(() => [...document.querySelectorAll('[aria-label="Generated exercises"] > li')].every((li) => li.getAttribute("data-review") === "approved"), null, { timeout: 20_000 });
    await card.getByLabel("Assign to").selectOption({ label: "James" });
    const dueDate = new Date(Date.now() + 7 * 86400_000).toISOString().slice(0, 10);
    await card.getByLabel("Due date (optional)").fill(dueDate);
    await card.getByRole("button", { name: /^Assign \d+ to James$/ }).click();
    const done = card.getByRole("status").filter({ hasText: "Assigned" });
    await waitForOutcome(card, done, 30_000);
    await story.shots(teacher, "teacher-assigned");
    return await done.innerText();
  }, { needs: ["generate"], page: teacher });

  await story.step("resolve", "the teacher resolves James's alert and it leaves the list", async () => {
    const alerts = teacher.getByRole("region", { name: /Struggle alerts/ });
    const item = alerts.locator("li.alert-group", { hasText: "James" }).locator("[data-alert-id]").first();
    const id = await item.getAttribute("data-alert-id");
    await item.getByRole("button", { name: /^Resolve/ }).click();
    await alerts.locator(`[data-alert-id="${id}"]`).waitFor({ state: "detached", timeout: 15_000 });
    await alerts.getByRole("button", { name: "Refresh" }).click();
    await alerts.locator(".loading").waitFor({ state: "detached", timeout: 30_000 }).catch(() => undefined);
    expect(!(await alerts.locator(`[data-alert-id="${id}"]`).count()), "the resolved alert came back after a refresh");
  }, { needs: ["alert"], page: teacher });

  await story.step("james-notified", "James is notified, completes the exercises, and his progress shows it — on the teacher's page too (story step 7)", async () => {
    await james.goto(`${BASE_URL}/student`);
    const count = james.getByTestId("unread-count");
    await eventually(james, async () => Number(await count.innerText().catch(() => "0")) >= generated.length, { what: `${generated.length} unread notifications for James` });
    const assignments = james.getByRole("list", { name: "Your assignments" });
    await assignments.waitFor({ timeout: 20_000 });
    const listed = await assignments.innerText();
    expect(listed.includes("Assigned by Mr. Rodriguez") && /due /.test(listed), `the dashboard should list "Assigned by Mr. Rodriguez" with the due date: ${listed}`);
    const before = Number((await james.getByRole("list", { name: "Mastery per module" }).locator('li[data-topic="data-structures"]').innerText()).match(/— (\d+)%/)?.[1]);
    await james.getByTestId("notifications-button").click();
    await story.shots(james, "james-notified");
    const solved = new Set();
    for (let i = 0; i < generated.length; i++) {
      if (i === 0) {
        await james.getByRole("region", { name: "Notifications" }).getByRole("link", { name: "Open" }).first().click();
      } else {
        const next = generated.find((g) => !solved.has(g.id));
        await james.goto(`${BASE_URL}/learn?exercise=${encodeURIComponent(next.id)}`);
      }
      await james.waitForURL(/\/learn\?exercise=/);
      const opened = decodeURIComponent(new URL(james.url()).searchParams.get("exercise"));
      const solving = generated.find((g) => g.id === opened);
      expect(solving, `the notification opened ${opened}, which is not one of the assigned exercises`);
      solved.add(solving.id);
      await james.locator("#exercise-heading", { hasText: solving.title }).waitFor({ timeout: 30_000 });
      await typeInEditor(james, solving.solution.trimEnd().split("\n"));
      await james.getByRole("button", { name: "Submit for grading" }).click();
      const gain = james.getByTestId("mastery-gain");
      await waitForOutcome(james.getByRole("region", { name: "Your code" }), gain, 60_000);
      expect((await james.getByTestId("grade-output").getAttribute("data-passed")) === "true", `${solving.title} should pass`);
      await gain.getByText(/Data Structures — \d+%/).waitFor({ timeout: 30_000 });
      expect(await gain.getByRole("button", { name: "Next exercise →" }).count(), "a pass offers the next exercise");
      if (i === 0) await story.shots(james, "james-passed");
    }
    await james.goto(`${BASE_URL}/student`);
    const after = Number((await james.getByRole("list", { name: "Mastery per module" }).locator('li[data-topic="data-structures"]').innerText()).match(/— (\d+)%/)?.[1]);
    expect(after > before, `James's Data Structures mastery should rise: ${before}% → ${after}%`);
    const doneNow = await james.getByRole("list", { name: "Your assignments" }).innerText();
    expect(!/To do/.test(doneNow), `every assignment should show done: ${doneNow}`);
    const teacherSees = teacher.getByRole("region", { name: "Assignments" });
    await teacher.waitForFunction((n) => [...document.querySelectorAll('[data-testid="assignment-done"]')].filter((b) => b.textContent === "1/1 done").length >= n, generated.length, { timeout: 30_000 })
      .catch(async () => { throw new Error(`the teacher's page did not show the assignments done (live): ${await teacherSees.innerText().catch(() => "")}`); });
    await story.shots(teacher, "teacher-sees-progress");
    return `Data Structures ${before}% → ${after}%`;
  }, { needs: ["assign"], page: james });

  await story.step("guards", "no request left this machine and no JavaScript error (both browsers)", async () => {
    const problems = [...guards(james), ...guards(teacher)];
    expect(problems.length === 0, problems.join("\n"));
  });
} finally {
  await browser.close();
}
process.exit(story.finish());
