// Acceptance story, steps 5–7, in a real browser:
//   5. Student James gets list comprehensions wrong 3 times; a struggle alert reaches teacher
//      Mr. Rodriguez.
//   6. The teacher opens James's code attempts and types "Create easy exercises on list
//      comprehensions"; exercises are generated (validated through the sandbox) and assigned
//      with one click.
//   7. James is notified, completes them, and his progress shows it.

import {
  BASE_URL, Pending, Story, USERS, expect, guards, launch, logIn, newPage, pendingIfRouteMissing,
  typeInEditor, unlabelled, waitForOutcome,
} from "./lib.mjs";

const story = new Story("class");
const storyStarted = Date.now();
const browser = await launch();
const WRONG_COMPREHENSION = [
  "words = ['loop', 'list', 'dict']",
  "shouts = [word + 1 for word in words]",
  "print(shouts)",
];

try {
  const james = await newPage(browser);
  const teacher = await newPage(browser);

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
      expect((await james.getByTestId("run-status").innerText()) === "Finished with an error", "the status should say the run failed");
    }
    await story.screenshot(james, "james-typeerror");
  }, { page: james });

  await story.step("teacher-overview", "Mr. Rodriguez logs in and sees his class overview", async () => {
    await logIn(teacher, USERS.teacher);
    expect(new URL(teacher.url()).pathname === "/teacher", `expected /teacher, got ${teacher.url()}`);
    const table = teacher.getByRole("table", { name: /Students of/ });
    const noClass = teacher.getByText("You do not teach a class yet.");
    await table.or(noClass).or(teacher.locator(".notice.error")).first().waitFor({ timeout: 30_000 });
    expect(!(await noClass.count()), "the API lists no class for Mr. Rodriguez (GET /classes answered [])");
    await waitForOutcome(teacher, table);
    const rows = await table.locator("tbody tr").allInnerTexts();
    expect(rows.some((r) => r.includes("James")) && rows.some((r) => r.includes("Maya")), `students: ${rows.join(" | ")}`);
    const nameless = await unlabelled(teacher);
    expect(nameless.length === 0, `controls without an accessible name: ${nameless.join(" | ")}`);
  }, { page: teacher });

  await story.step("alert", "a struggle alert about James's repeated TypeError reaches the teacher (story step 5)", async () => {
    const alerts = teacher.getByRole("region", { name: /Struggle alerts/ });
    const james = alerts.locator("li", { hasText: "James" });
    const deadline = Date.now() + 90_000;
    while (!(await james.count())) {
      await pendingIfRouteMissing(alerts);
      if (Date.now() > deadline) {
        throw new Error(
          "no open alert about James after 90 s (a struggle episode fires once: re-running within 60 min of the last run shows none)",
        );
      }
      await teacher.waitForTimeout(2_000);
      await alerts.getByRole("button", { name: "Refresh" }).click();
      await alerts.locator(".loading").waitFor({ state: "detached", timeout: 30_000 }).catch(() => undefined);
    }
    const text = await james.first().innerText();
    expect(/again and again|TypeError/.test(text), `the alert should be about the repeated error: ${text}`);
    const created = Date.parse(await james.first().getAttribute("data-created-at"));
    expect(
      created >= storyStarted - 5_000,
      `the open alert about James is older than this run (${new Date(created).toISOString()}): no new alert fired ` +
        "(one alert per struggle episode: re-running within 60 min of James's last activity fires none)",
    );
    await story.screenshot(teacher, "teacher-alert");
    return text.replace(/\s+/g, " ");
  }, { needs: ["james-errors", "teacher-overview"], page: teacher });

  await story.step("attempts-open", "from the alert, the teacher opens James's details", async () => {
    const alerts = teacher.getByRole("region", { name: /Struggle alerts/ });
    await alerts.getByRole("button", { name: "Code attempts of James" }).first().click();
    await teacher.getByTestId("student-panel").waitFor();
    const focused = await teacher.evaluate(() => document.activeElement?.id);
    expect(focused === "student-heading", `focus should move to the details' heading, is on #${focused}`);
  }, { needs: ["alert"], page: teacher });

  await story.step("attempts", "the teacher reads James's recent code attempts (story step 6)", async () => {
    const panel = teacher.getByTestId("student-attempts");
    if (!(await panel.count())) throw new Error("James's details did not open");
    const list = panel.getByRole("list", { name: "Code attempts of James" });
    await list.or(panel.locator(".notice.error")).first().waitFor({ timeout: 30_000 });
    await pendingIfRouteMissing(panel);
    await waitForOutcome(panel, list, 5_000); // already shown: 1 ms loses the race with the round trip
    const code = await list.locator("pre").first().innerText();
    expect(code.includes("word + 1 for word in words"), `the latest attempt should be James's code: ${code}`);
    await story.screenshot(teacher, "teacher-attempts");
  }, { needs: ["attempts-open"], page: teacher });

  await story.step("report", "James's report shows his runs, failed runs and error types (from the API)", async () => {
    const section = teacher.getByTestId("student-report");
    await section.waitFor();
    const report = section.locator("p", { hasText: "Runs:" });
    await waitForOutcome(section, report, 60_000);
    const text = await report.innerText();
    expect(/TypeError ×\d+/.test(text), `the report should count James's TypeErrors: ${text}`);
    return text;
  }, { needs: ["attempts-open"], page: teacher });

  await story.step("generate", 'the teacher asks for "Create easy exercises on list comprehensions" (story step 6)', async () => {
    const card = teacher.getByRole("region", { name: "Request exercises" });
    await card.getByLabel("Describe the exercises you want").fill("Create easy exercises on list comprehensions");
    await card.getByRole("button", { name: "Generate exercises" }).click();
    const generated = card.getByRole("list", { name: "Generated exercises" });
    await generated.or(card.locator(".notice.error")).first().waitFor({ timeout: 120_000 });
    await story.screenshot(teacher, "teacher-generate");
    await pendingIfRouteMissing(card);
    await waitForOutcome(card, generated, 5_000); // already shown: 1 ms loses the race with the round trip
    const items = await generated.locator("li").allInnerTexts();
    expect(items.length > 0, "no exercise was generated");
    expect(items.some((t) => /\bready\b/.test(t)), `no exercise passed validation in the sandbox: ${items.join(" | ")}`);
    return items.map((t) => t.split("\n")[0]).join("; ");
  }, { needs: ["teacher-overview"], page: teacher });

  await story.step("assign", "the teacher assigns the generated exercises to the class in one click (story step 6)", async () => {
    const card = teacher.getByRole("region", { name: "Request exercises" });
    await card.getByRole("button", { name: /^Assign \d+ to/ }).click();
    const done = card.getByRole("status").filter({ hasText: "Assigned" });
    await done.or(card.locator(".notice.error")).first().waitFor({ timeout: 30_000 });
    await pendingIfRouteMissing(card);
    await waitForOutcome(card, done, 5_000); // already shown: 1 ms loses the race with the round trip
    return await done.innerText();
  }, { needs: ["generate"], page: teacher });

  await story.step("resolve", "the teacher resolves James's alert and it leaves the list", async () => {
    const alerts = teacher.getByRole("region", { name: /Struggle alerts/ });
    const item = alerts.locator("li", { hasText: "James" }).first();
    const id = await item.getAttribute("data-alert-id");
    await item.getByRole("button", { name: /^Resolve/ }).click();
    await alerts.locator(`li[data-alert-id="${id}"]`).waitFor({ state: "detached", timeout: 15_000 });
    await pendingIfRouteMissing(alerts);
    await alerts.getByRole("button", { name: "Refresh" }).click();
    await alerts.locator(".loading").waitFor({ state: "detached", timeout: 30_000 }).catch(() => undefined);
    expect(!(await alerts.locator(`li[data-alert-id="${id}"]`).count()), "the resolved alert came back after a refresh");
    await story.screenshot(teacher, "teacher-resolved");
  }, { needs: ["alert"], page: teacher });

  await story.step("james-notified", "James sees the assigned exercise, completes it and his progress shows it (story step 7)", async () => {
    await james.goto(`${BASE_URL}/student`);
    const next = james.getByRole("region", { name: "Next exercise" });
    await waitForOutcome(next, next.locator("#next-title"));
    const assigned = next.getByText("Assigned by your teacher");
    if (!(await assigned.count())) {
      throw new Error(`James's next exercise is not the assigned one: ${await next.innerText()}`);
    }
    // Notifications and completing generated exercises have no API contract yet.
    throw new Pending("the assigned exercise shows; notifications and completing it have no API route yet");
  }, { needs: ["assign"], page: james });

  await story.step("guards", "no request left this machine and no JavaScript error (both browsers)", async () => {
    const problems = [...guards(james), ...guards(teacher)];
    expect(problems.length === 0, problems.join("\n"));
  });
} finally {
  await browser.close();
}
process.exit(story.finish());
