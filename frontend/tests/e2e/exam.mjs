// Timed exams in a real browser (issue 13):
//   Mr. Rodriguez sets a short exam for Python 101; Maya starts it from her dashboard, answers
//   two of its four items, and closes the tab. Nobody is connected when the deadline passes: the
//   exam's workflow hands it in on its own. Maya comes back to her result and its per-question
//   debrief; the teacher sees the results per student and per question.

import { BASE_URL, Story, USERS, expect, guards, launch, logIn, newPage, waitForOutcome } from "./lib.mjs";

const story = new Story("exam");
const browser = await launch();
const TITLE = `Basics sprint ${Date.now().toString(36)}`;
const LIMIT_S = 45;
const ITEMS = [
  { kind: "quiz", id: "basics.q1" }, // right choice: 1 ("10")
  { kind: "quiz", id: "basics.q2" }, // right choice: 2
  { kind: "exercise", id: "basics.greeting" },
  { kind: "quiz", id: "basics.q3" },
];

let examId = null;
let deadline = null;

try {
  const teacher = await newPage(browser);
  let maya = await newPage(browser);

  await story.step("set", "Mr. Rodriguez sets a 45-second exam of four items for Python 101 (through the BFF)", async () => {
    await logIn(teacher, USERS.teacher);
    const made = await teacher.evaluate(
      async ({ title, items, limit }) => {
        const classes = await (await fetch("/api/classes", { headers: { accept: "application/json" } })).json();
        const klass = classes.find((c) => c.name === "Python 101");
        const response = await fetch("/api/exams", {
          method: "POST",
          headers: { accept: "application/json", "content-type": "application/json" },
          body: JSON.stringify({
            class_id: klass.id,
            title,
            items,
            time_limit_s: limit,
            closes_at: new Date(Date.now() + 3600_000).toISOString(),
          }),
        });
        return { status: response.status, body: await response.json() };
      },
      { title: TITLE, items: ITEMS, limit: LIMIT_S },
    );
    expect(made.status === 201, `POST /api/exams: ${made.status} ${JSON.stringify(made.body)}`);
    examId = made.body.id;
  });

  await story.step(
    "start",
    "Maya opens the exam from her dashboard and starts it: a countdown, question 1 of 4",
    async () => {
      await logIn(maya, USERS.maya);
      await maya.goto(`${BASE_URL}/student`);
      const open = maya.getByRole("link", { name: `Open ${TITLE}` });
      await open.waitFor({ timeout: 30_000 });
      await open.click();
      await waitForOutcome(maya, maya.getByTestId("exam-intro"));
      await story.shots(maya, "exam-intro");
      await maya.getByRole("button", { name: "Start the exam" }).click();
      await waitForOutcome(maya, maya.getByTestId("exam-runner"));
      const clock = (await maya.getByTestId("exam-countdown").textContent()) ?? "";
      expect(/^0:[0-4]\d left$/.test(clock.trim()), `a countdown under 45 s: ${clock}`);
      expect(await maya.getByRole("heading", { level: 2, name: /^1\. Question 1/ }).isVisible(), "question 1 shows first");
      deadline = Date.now() + LIMIT_S * 1000;
    },
    { needs: ["set"], page: maya },
  );

  await story.step(
    "answer",
    "she answers question 1 (right) and question 2 (wrong), each saved as given, opens the exercise, then closes the tab",
    async () => {
      await maya.locator('[data-item-id="basics.q1"] button[data-choice="1"]').click();
      await waitForOutcome(maya, maya.getByTestId("exam-saved").filter({ hasText: "Question 1" }));
      await maya.getByRole("button", { name: "Next →" }).click();
      await maya.locator('[data-item-id="basics.q2"] button[data-choice="0"]').click();
      await waitForOutcome(maya, maya.getByTestId("exam-saved").filter({ hasText: "Question 2" }));
      expect((await maya.getByTestId("exam-progress").textContent()).startsWith("2 of 4 answered"), "2 of 4 answered");
      await maya.getByRole("button", { name: "Next →" }).click();
      await maya.getByTestId("code-editor").locator(".monaco-editor").waitFor({ timeout: 30_000 });
      await story.shots(maya, "exam-exercise");
      // a reload shows what the workflow kept
      await maya.reload();
      await waitForOutcome(maya, maya.getByTestId("exam-progress"));
      expect((await maya.getByTestId("exam-progress").textContent()).startsWith("2 of 4 answered"), "after a reload: 2 of 4 answered");
      await maya.context().close(); // the tab (and the browser session) is gone
    },
    { needs: ["start"], page: maya },
  );

  await story.step(
    "result",
    "after the deadline, with nobody connected, the exam was handed in: 1 of 4 right, 2 answered, a debrief per question",
    async () => {
      const wait = Math.max(0, deadline - Date.now()) + 1000;
      await new Promise((r) => setTimeout(r, wait)); // nobody is connected while the deadline passes
      maya = await newPage(browser);
      await logIn(maya, USERS.maya);
      await maya.goto(`${BASE_URL}/student/exams/${examId}`);
      await waitForOutcome(maya, maya.getByTestId("exam-debrief"), 90_000);
      const score = (await maya.getByTestId("exam-score").textContent()) ?? "";
      expect(score.includes("1 of 4 right") && score.includes("2 of 4 answered") && score.includes("at the deadline"), `score line: ${score}`);
      const marks = await maya.locator(".debrief-item").evaluateAll((els) => els.map((e) => `${e.dataset.itemId}:${e.dataset.mark}`));
      expect(
        marks.join(" ") === "basics.q1:right basics.q2:wrong basics.greeting:unanswered basics.q3:unanswered",
        `marks: ${marks.join(" ")}`,
      );
      const q2 = maya.locator('.debrief-item[data-item-id="basics.q2"]');
      const q2Text = (await q2.textContent()) ?? "";
      expect(q2Text.includes("The right answer: second_score") && q2Text.includes("Lesson to revisit"), `q2 debrief: ${q2Text}`);
      await story.shots(maya, "exam-debrief");
    },
    { needs: ["answer"], page: maya },
  );

  await story.step(
    "teacher-results",
    "Mr. Rodriguez sees Maya's 1 of 4 with her marks, and each question's right/wrong/unanswered",
    async () => {
      await teacher.goto(`${BASE_URL}/teacher`);
      const link = teacher.getByRole("link", { name: `Results ${TITLE}` });
      await link.waitFor({ timeout: 30_000 });
      await link.click();
      await waitForOutcome(teacher, teacher.getByTestId("exam-results"));
      const row = teacher.locator('tr[data-email="maya@learnflow.dev"]');
      const cells = (await row.locator("th, td").allTextContents()).map((t) => t.trim());
      expect(cells[1] === "1 / 4" && cells[2] === "2", `Maya's row: ${cells.join(" | ")}`);
      const q1 = (await teacher.locator('tr[data-item-id="basics.q1"] td').allTextContents()).map((t) => t.trim());
      expect(q1.slice(1).join(",") === "1,0,0", `question 1: ${q1.join(",")}`);
      await story.shots(teacher, "exam-teacher-results");
    },
    { needs: ["result"], page: teacher },
  );

  await story.step("guards", "no request left this machine and no JavaScript error", async () => {
    const problems = [...guards(teacher), ...guards(maya)];
    expect(problems.length === 0, problems.join("\n"));
  });
} finally {
  await browser.close();
}
process.exit(story.finish());
