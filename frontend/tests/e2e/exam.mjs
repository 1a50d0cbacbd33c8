// Timed exams in a real browser (issue 13):
//   Mr. Rodriguez sets a short exam for Python 101 with the "New exam" form (after one refused
//   submit); Maya starts it from her dashboard, answers
//   two of its four items, and closes the tab. Nobody is connected when the deadline passes: the
//   exam's workflow hands it in on its own. Maya comes back to her result and its per-question
//   debrief, and listens to one item (spoken by espeak-ng); the teacher sees the results per
//   student and per question.

import { BASE_URL, Story, USERS, editorText, expect, guards, launch, logIn, newPage, typeInEditor, waitForOutcome } from "./lib.mjs";

const story = new Story("exam");
const browser = await launch();
const TITLE = `Basics sprint ${Date.now().toString(36)}`;
const LIMIT_S = 45;
const CLASS = "Python 101";
const SAVED_CODE = 'print("happy birthday")'; // not what basics.greeting asks: graded wrong
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

  /** The teacher's exams as the API lists them (ids). */
  const examIds = () =>
    teacher.evaluate(async () => (await (await fetch("/api/exams", { headers: { accept: "application/json" } })).json()).map((e) => e.id));
  const posts = [];
  teacher.on("request", (r) => {
    if (r.method() === "POST" && new URL(r.url()).pathname === "/api/exams") posts.push(r.url());
  });

  await story.step(
    "set-invalid",
    "Mr. Rodriguez opens \"New exam\" from Python 101's card and submits with no question: the form says what to fix and nothing is set",
    async () => {
      await logIn(teacher, USERS.teacher);
      await teacher.goto(`${BASE_URL}/teacher`);
      const select = teacher.getByLabel("Class", { exact: true });
      const link = teacher.getByRole("link", { name: `New exam for ${CLASS}` });
      // the class picker shows only for a teacher with more than one class (other stories open some)
      await Promise.race([select.waitFor({ timeout: 30_000 }).catch(() => {}), link.waitFor({ timeout: 30_000 }).catch(() => {})]);
      if (await select.count()) {
        await select.selectOption(await select.locator("option", { hasText: CLASS }).first().getAttribute("value"));
      }
      await link.click();
      await teacher.waitForURL(/\/teacher\/exams\/new\?class=/);
      await waitForOutcome(teacher, teacher.getByTestId("exam-builder"));
      await teacher.locator('.exam-bank-module[data-module="basics"]').waitFor({ timeout: 30_000 }); // the bank loaded
      // the classes load on their own request: wait for them too, not only for the bank
      await teacher.getByLabel("Class", { exact: true }).locator("option", { hasText: CLASS }).waitFor({ state: "attached", timeout: 30_000 });
      const classValue = await teacher.getByLabel("Class", { exact: true }).locator("option:checked").textContent();
      expect(classValue?.trim() === CLASS, `the class comes preselected from the card: ${classValue}`);
      const before = await examIds();
      await teacher.getByLabel("Title", { exact: true }).fill(TITLE);
      await teacher.getByLabel("Time per student (minutes)", { exact: true }).fill("0.75");
      expect((await teacher.locator("#exam-minutes-hint").textContent()).startsWith("45 s each"), "0.75 min reads as 45 s");
      await teacher.getByLabel("Title", { exact: true }).press("Enter"); // keyboard submit, no question chosen
      const alert = teacher.getByTestId("exam-form-errors");
      await alert.waitFor({ timeout: 10_000 });
      expect((await alert.getAttribute("role")) === "alert", "the error summary is an alert");
      const said = (await alert.textContent()) ?? "";
      expect(said.includes("Choose at least one question or exercise"), `the summary says what to fix: ${said}`);
      expect((await teacher.locator("#exam-bank").getAttribute("aria-invalid")) === "true", "the bank is marked invalid");
      const focused = await teacher.evaluate(() => document.activeElement?.id);
      expect(focused === "exam-bank", `focus goes to the field to fix: ${focused}`);
      expect(new URL(teacher.url()).pathname === "/teacher/exams/new", `still on the form: ${teacher.url()}`);
      expect(posts.length === 0, `no exam was sent: ${posts.join(", ")}`);
      const after = await examIds();
      expect(after.length === before.length, `nothing was set: ${before.length} exams before, ${after.length} after`);
      await story.shots(teacher, "exam-form-invalid");
    },
    { page: teacher },
  );

  await story.step(
    "set",
    "he picks four Basics items from the bank (filtered by module, one ticked with the keyboard), sets 45 seconds each, and lands on the exam's results page",
    async () => {
      await teacher.getByLabel("Module", { exact: true }).selectOption({ label: "Basics" });
      const shown = await teacher.locator(".exam-bank-module").evaluateAll((els) => els.map((e) => e.dataset.module));
      expect(shown.join(",") === "basics", `the filter shows Basics only: ${shown.join(",")}`);
      for (const [n, item] of ITEMS.entries()) {
        const box = teacher.locator(`input[type="checkbox"][value="${item.id}"]`);
        if (n === 0) {
          await box.focus();
          await teacher.keyboard.press("Space"); // keyboard usable
        } else {
          await box.check();
        }
        const count = (await teacher.getByTestId("exam-count").textContent())?.trim();
        expect(count === `${n + 1} of at most 40 chosen`, `count after ${n + 1}: ${count}`);
        if (n === 0) {
          // the error from the empty submit no longer applies once a question is chosen
          await teacher.getByTestId("exam-form-errors").waitFor({ state: "detached", timeout: 5_000 });
          expect((await teacher.locator("#exam-bank").getAttribute("aria-invalid")) === null, "choosing a question clears the bank's error");
        }
      }
      // a prompt's fenced code shows as code, without its backticks
      const q1 = teacher.locator('label[for="bank-basics.q1"]');
      const q1Text = (await q1.textContent()) ?? "";
      expect((await q1.locator("code.code-block").count()) === 1 && !q1Text.includes("```"), `basics.q1's code block: ${q1Text}`);
      const order = await teacher.getByTestId("exam-paper").locator("li").evaluateAll((els) => els.map((e) => e.dataset.itemId));
      expect(order.join(",") === ITEMS.map((i) => i.id).join(","), `the paper in the order picked: ${order.join(",")}`);
      await story.shots(teacher, "exam-form-filled");
      await teacher.getByRole("button", { name: "Set the exam" }).click();
      await teacher.waitForURL(/\/teacher\/exams\/[0-9a-f-]{36}$/, { timeout: 30_000 });
      examId = new URL(teacher.url()).pathname.split("/").pop();
      await waitForOutcome(teacher, teacher.getByTestId("exam-results"));
      const heading = (await teacher.getByRole("heading", { level: 1 }).textContent()) ?? "";
      expect(heading === `${TITLE}: results`, `results page of the new exam: ${heading}`);
      const exam = await teacher.evaluate(async (id) => (await fetch(`/api/exams/${id}`, { headers: { accept: "application/json" } })).json(), examId);
      expect(exam.time_limit_s === LIMIT_S && exam.items === ITEMS.length && exam.class_name === CLASS && exam.state === "open", `the exam as set: ${JSON.stringify(exam).slice(0, 300)}`);
      expect(exam.paper.map((p) => p.id).join(",") === ITEMS.map((i) => i.id).join(","), "the paper's order is the order picked");
      expect(posts.length === 1, `one exam sent: ${posts.length}`);
    },
    { needs: ["set-invalid"], page: teacher },
  );

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
      const intro = (await maya.getByTestId("exam-intro").textContent()) ?? "";
      expect(intro.includes("45 s from the moment you start"), `the intro says the time in seconds under a minute (it said "1 min"): ${intro.slice(0, 200)}`);
      await story.shots(maya, "exam-intro");
      // she reads the intro a moment: the countdown must start from the exam's limit, not from
      // when the page opened (it once showed "0:51 left" for a 45 s exam: a clock read at mount)
      await maya.waitForTimeout(2_000);
      await maya.getByRole("button", { name: "Start the exam" }).click();
      await waitForOutcome(maya, maya.getByTestId("exam-runner"));
      const clock = ((await maya.getByTestId("exam-countdown").textContent()) ?? "").trim();
      const shown = /^(\d+):(\d\d) left$/.exec(clock);
      const seconds = shown ? Number(shown[1]) * 60 + Number(shown[2]) : NaN;
      // the first paint after the start: at most the limit, and only a few seconds under it
      expect(seconds <= LIMIT_S && seconds >= LIMIT_S - 10, `a countdown from ${LIMIT_S} s, at most ${LIMIT_S} s: ${clock}`);
      expect(await maya.getByRole("heading", { level: 2, name: /^1\. Question 1/ }).isVisible(), "question 1 shows first");
      deadline = Date.now() + LIMIT_S * 1000;
    },
    { needs: ["set"], page: maya },
  );

  await story.step(
    "answer",
    "she answers question 1 (right) and question 2 (wrong), each saved as given, then saves a (wrong) program for the exercise",
    async () => {
      await maya.locator('[data-item-id="basics.q1"] button[data-choice="1"]').click();
      await waitForOutcome(maya, maya.getByTestId("exam-saved").filter({ hasText: "Question 1" }));
      await maya.getByRole("button", { name: "Next →" }).click();
      await maya.locator('[data-item-id="basics.q2"] button[data-choice="0"]').click();
      await waitForOutcome(maya, maya.getByTestId("exam-saved").filter({ hasText: "Question 2" }));
      expect((await maya.getByTestId("exam-progress").textContent()).startsWith("2 of 4 answered"), "2 of 4 answered");
      await maya.getByRole("button", { name: "Next →" }).click();
      await maya.getByTestId("code-editor").locator(".monaco-editor").waitFor({ timeout: 30_000 });
      await typeInEditor(maya, [SAVED_CODE]);
      await maya.getByRole("button", { name: "Save this answer" }).click();
      await waitForOutcome(maya, maya.getByTestId("exam-saved").filter({ hasText: "birthday" }));
      expect((await maya.getByTestId("exam-progress").textContent()).startsWith("3 of 4 answered"), "3 of 4 answered");
      await story.shots(maya, "exam-exercise");
    },
    { needs: ["start"], page: maya },
  );

  await story.step(
    "reload",
    "she reloads mid-exam: her two choices and her saved code show again (as the workflow holds them); then she closes the tab",
    async () => {
      await maya.reload();
      await waitForOutcome(maya, maya.getByTestId("exam-progress"));
      expect((await maya.getByTestId("exam-progress").textContent()).startsWith("3 of 4 answered"), "after a reload: 3 of 4 answered");
      const nav = maya.getByRole("navigation", { name: "Questions" });
      const pressed = async (item) =>
        maya.locator(`[data-item-id="${item}"] button[data-choice]`).evaluateAll((els) => els.filter((e) => e.getAttribute("aria-pressed") === "true").map((e) => e.dataset.choice));
      await nav.getByRole("button", { name: /^1 / }).click();
      expect((await pressed("basics.q1")).join(",") === "1", `question 1 shows choice 1 chosen: ${await pressed("basics.q1")}`);
      await nav.getByRole("button", { name: /^2 / }).click();
      expect((await pressed("basics.q2")).join(",") === "0", `question 2 shows choice 0 chosen: ${await pressed("basics.q2")}`);
      await nav.getByRole("button", { name: /^3 / }).click();
      await maya.getByTestId("code-editor").locator(".monaco-editor").waitFor({ timeout: 30_000 });
      const shown = (await editorText(maya)).trim();
      expect(shown === SAVED_CODE, `the editor shows the saved code: ${JSON.stringify(shown)}`);
      await story.shots(maya, "exam-reloaded");
      await maya.context().close(); // the tab (and the browser session) is gone
    },
    { needs: ["answer"], page: maya },
  );

  await story.step(
    "result",
    "after the deadline, with nobody connected, the exam was handed in: 1 of 4 right, 3 answered, a debrief per question",
    async () => {
      const wait = Math.max(0, deadline - Date.now()) + 1000;
      await new Promise((r) => setTimeout(r, wait)); // nobody is connected while the deadline passes
      maya = await newPage(browser);
      await logIn(maya, USERS.maya);
      await maya.goto(`${BASE_URL}/student/exams/${examId}`);
      await waitForOutcome(maya, maya.getByTestId("exam-debrief"), 90_000);
      const score = (await maya.getByTestId("exam-score").textContent()) ?? "";
      expect(score.includes("1 of 4 right") && score.includes("3 of 4 answered") && score.includes("at the deadline"), `score line: ${score}`);
      const marks = await maya.locator(".debrief-item").evaluateAll((els) => els.map((e) => `${e.dataset.itemId}:${e.dataset.mark}`));
      expect(
        marks.join(" ") === "basics.q1:right basics.q2:wrong basics.greeting:wrong basics.q3:unanswered",
        `marks: ${marks.join(" ")}`,
      );
      const q2 = maya.locator('.debrief-item[data-item-id="basics.q2"]');
      const q2Text = (await q2.textContent()) ?? "";
      expect(q2Text.includes("The right answer: second_score") && q2Text.includes("Lesson to revisit"), `q2 debrief: ${q2Text}`);
      await story.shots(maya, "exam-debrief");
    },
    { needs: ["reload"], page: maya },
  );

  await story.step(
    "listen",
    "Maya clicks Listen on question 2: the spoken debrief (espeak-ng, WAV) loads into a playable, seekable audio player (byte ranges, a finite duration)",
    async () => {
      const item = maya.locator('.debrief-item[data-item-id="basics.q2"]');
      const spoken = maya.waitForResponse((r) => new URL(r.url()).pathname === `/api/exams/${examId}/debrief/speech`, { timeout: 60_000 });
      await item.getByRole("button", { name: "Listen to the debrief of item 2" }).click();
      const response = await spoken;
      const headers = response.headers();
      const type = headers["content-type"] ?? "";
      // the media element asks `Range: bytes=0-`: a part (206) of a file of known size, seekable
      expect(response.status() === 206 && type.startsWith("audio/wav"), `speech: HTTP ${response.status()} ${type}`);
      expect(
        /^bytes 0-\d+\/\d+$/.test(headers["content-range"] ?? "") && headers["accept-ranges"] === "bytes",
        `speech ranges: content-range ${headers["content-range"]}, accept-ranges ${headers["accept-ranges"]}`,
      );
      await item.getByTestId("listen-audio").waitFor({ timeout: 30_000 });
      // the metadata, then a finite duration (Chromium may first report Infinity while it reads)
      const state = await item.getByTestId("listen-audio").evaluate(
        (el) =>
          new Promise((resolve) => {
            const audioEl = /** @type {HTMLAudioElement} */ (el);
            const report = () => ({ readyState: audioEl.readyState, duration: String(audioEl.duration), error: audioEl.error?.code ?? null });
            const settled = () => audioEl.error !== null || (audioEl.readyState >= 1 && Number.isFinite(audioEl.duration));
            if (settled()) return resolve(report());
            const check = () => settled() && resolve(report());
            for (const name of ["loadedmetadata", "durationchange", "canplaythrough", "error"]) audioEl.addEventListener(name, check);
            setTimeout(() => resolve(report()), 20_000);
          }),
      );
      expect(
        state.error === null && state.readyState >= 1 && Number(state.duration) > 1 && Number(state.duration) < 120,
        `audio element: ${JSON.stringify(state)}`,
      );
      const label = await item.getByTestId("listen-audio").getAttribute("aria-label");
      expect(label === "Listen to the debrief of item 2", `audio label: ${label}`);
    },
    { needs: ["result"], page: maya },
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
      expect(cells[1] === "1 / 4" && cells[2] === "3", `Maya's row: ${cells.join(" | ")}`);
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
