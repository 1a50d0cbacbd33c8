// Enrollment in a real browser (issue 13):
//   Mr. Rodriguez opens a class with one place and reads its join code off his page; Maya joins
//   with it from her dashboard; her second join and James's join past the cap are refused with
//   the API's own words; the teacher's roster shows Maya, and he can remove her.

import { BASE_URL, Story, USERS, expect, guards, launch, logIn, newPage, unlabelled, waitForOutcome } from "./lib.mjs";

const story = new Story("enrollment");
const browser = await launch();
const className = `Evening Python ${new Date().toISOString().slice(0, 16).replace("T", " ")}`;
let code = null;

async function joinWith(page, joinCode) {
  await page.goto(`${BASE_URL}/student`);
  const card = page.getByRole("region", { name: "Your classes" }).or(page.locator('section[aria-labelledby="join-heading"]')).first();
  await card.getByLabel("Join code").fill(joinCode);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/api/classes/join") && r.request().method() === "POST", { timeout: 30_000 }),
    card.getByRole("button", { name: "Join the class" }).click(),
  ]);
  await card.locator('.notice.ok, .notice.error').first().waitFor({ timeout: 15_000 });
  return { card, status: response.status(), body: await response.json() };
}

try {
  const teacher = await newPage(browser);
  const maya = await newPage(browser);
  const james = await newPage(browser);

  await story.step("open-class", "Mr. Rodriguez opens a class with 1 place and sees its join code with a copy button", async () => {
    await logIn(teacher, USERS.teacher);
    await teacher.goto(`${BASE_URL}/teacher`);
    const form = teacher.locator('section[aria-labelledby="new-class-heading"]');
    await form.getByLabel("Class name").fill(className);
    await form.getByLabel("Places (1–500)").fill("1");
    await form.getByRole("button", { name: "Open the class" }).click();
    const admission = teacher.getByTestId("admission");
    await waitForOutcome(teacher, admission.locator("h2", { hasText: className }));
    code = (await admission.getByTestId("join-code").innerText()).trim();
    expect(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/.test(code), `join code: ${code}`);
    expect((await admission.getByTestId("seats").innerText()).startsWith("0 of 1 places"), "0 of 1 places taken");
    expect(await admission.getByRole("button", { name: "Copy the join code" }).isVisible(), "a copy button");
    const nameless = await unlabelled(teacher);
    expect(nameless.length === 0, `controls without an accessible name: ${nameless.join(" | ")}`);
    await story.shots(teacher, "teacher-class-code");
    return `code ${code}`;
  }, { page: teacher });

  await story.step("join", "Maya joins with the code from her dashboard and the class is listed", async () => {
    await logIn(maya, USERS.maya);
    const { card, status, body } = await joinWith(maya, code.toLowerCase());
    expect(status === 201, `POST /api/classes/join answered ${status}: ${JSON.stringify(body)}`);
    const said = await card.locator(".notice.ok").innerText();
    expect(said.includes(`You joined ${className}`), `the page says: ${said}`);
    await card.getByRole("list", { name: "Classes you are in" }).getByText(className).waitFor({ timeout: 15_000 });
    await story.shots(maya, "student-joined");
  }, { needs: ["open-class"], page: maya });

  await story.step("join-again", "Maya's second join is refused with a clear message (already in the class)", async () => {
    const { card, status, body } = await joinWith(maya, code);
    expect(status === 409, `expected 409, got ${status}`);
    const said = await card.locator(".notice.error").innerText();
    expect(said.includes(body.message) && /already in/.test(said), `the page says: ${said}; the API: ${body.message}`);
    await story.shots(maya, "student-join-again");
  }, { needs: ["join"], page: maya });

  await story.step("join-full", "James's join past the cap is refused with a clear message (the class is full)", async () => {
    await logIn(james, USERS.james);
    const { card, status, body } = await joinWith(james, code);
    expect(status === 409 && body.reason === "class_full", `expected 409 class_full, got ${status} ${JSON.stringify(body)}`);
    const said = await card.locator(".notice.error").innerText();
    expect(said.includes(body.message) && /full/.test(said), `the page says: ${said}; the API: ${body.message}`);
    await story.shots(james, "student-join-full");
  }, { needs: ["join"], page: james });

  await story.step("roster", "the teacher's roster shows Maya (1 of 1 places); removing her takes two clicks and frees the place", async () => {
    await teacher.reload();
    const select = teacher.getByLabel("Class", { exact: true });
    if (await select.count()) {
      const value = await select.locator("option", { hasText: className }).getAttribute("value");
      await select.selectOption(value);
    }
    const admission = teacher.getByTestId("admission");
    await waitForOutcome(teacher, admission.locator("h2", { hasText: className }));
    const roster = admission.getByRole("list", { name: `Roster of ${className}` });
    await roster.locator("strong", { hasText: "Maya" }).waitFor({ timeout: 15_000 });
    expect((await admission.getByTestId("seats").innerText()).startsWith("1 of 1 places"), "1 of 1 places taken");
    await story.shots(teacher, "teacher-roster");
    await roster.getByRole("button", { name: /^Remove Maya/ }).click();
    await roster.getByRole("button", { name: /^Remove Maya.* now$/ }).click();
    await admission.getByText(/^Removed \(their past work stays/).waitFor({ timeout: 15_000 });
    expect((await admission.getByTestId("seats").innerText()).startsWith("0 of 1 places"), "the place is free again");
  }, { needs: ["join"], page: teacher });

  await story.step("guards", "no request left this machine and no JavaScript error (three browsers)", async () => {
    const problems = [...guards(teacher), ...guards(maya), ...guards(james)];
    expect(problems.length === 0, problems.join("\n"));
  });
} finally {
  await browser.close();
}
process.exit(story.finish());
