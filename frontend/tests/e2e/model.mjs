// The local model behind the agents (issue 10), as Maya sees it in a real browser. Needs a stack
// started with the local model (`make up LLM=local`; tests/local_model/test_browser_stream.py),
// so it is not in run-all.mjs's default list.
//   login    Maya logs in.
//   stream   She asks "How do for loops work in Python?"; while the answer is written, the text
//            shown so far is sampled every ~100 ms: at least 3 distinct, growing, non-empty texts
//            must be seen before the finished answer appears (it streamed, it did not come whole).
//   model    The finished answer's caption names the model (not the offline tutor).
//   sources  The answer lists control-flow.for-loops as a source.
//   guards   No request left this machine, no JavaScript error.
//
// Environment (besides lib.mjs's): E2E_EXPECT_MODEL, the model's name the caption should give
// (default smollm2-135m-instruct); E2E_ANSWER_TIMEOUT_MS, how long the answer may take (180 s).

import { BASE_URL, Story, USERS, expect, guards, launch, logIn, newPage } from "./lib.mjs";

const QUESTION = "How do for loops work in Python?";
const EXPECTED_MODEL = process.env.E2E_EXPECT_MODEL || "smollm2-135m-instruct";
const ANSWER_TIMEOUT_MS = Number(process.env.E2E_ANSWER_TIMEOUT_MS || 180_000);
const SAMPLE_EVERY_MS = 100;
// triage's reply when the agent could not answer (agents/triage/degraded.py): no model wrote it
const DEGRADED = /is unavailable right now/;

/**
 * Starts sampling the answer being written, in the page (no round trip per sample): every
 * `every` ms the text of the last `answer-so-far`, until there are more answers than `before`
 * (the finished one) or an error notice shows. Read the result with `samplesOf`.
 */
async function startSampling(page, before, every) {
  await page.evaluate(
    ({ before, every }) => {
      const state = { samples: [], finished: false, failed: null };
      window.__answerSamples = state;
      const started = performance.now();
      const timer = setInterval(() => {
        const writing = [...document.querySelectorAll('[data-testid="answer-so-far"]')].pop();
        const text = writing?.querySelector(".body")?.innerText ?? "";
        state.samples.push({ at: Math.round(performance.now() - started), text });
        const error = document.querySelector(".chat .notice.error");
        if (document.querySelectorAll("article.msg.agent").length > before || error) {
          state.finished = true;
          state.failed = error ? error.innerText.replace(/\s+/g, " ") : null;
          clearInterval(timer);
        }
      }, every);
    },
    { before, every },
  );
}

async function samplesOf(page) {
  return page.evaluate(() => window.__answerSamples);
}

/** The texts of `samples` that are new and longer than the last one kept (markdown re-rendered
 * mid-word may briefly show less, so a shorter text is skipped rather than counted). */
function growing(samples) {
  const kept = [];
  for (const { at, text } of samples) {
    const trimmed = text.trim();
    if (!trimmed) continue;
    if (!kept.length || trimmed.length > kept[kept.length - 1].text.length) kept.push({ at, text: trimmed });
  }
  return kept;
}

const story = new Story("model");
const browser = await launch();
try {
  const page = await newPage(browser);
  // the finished answer (an article), once `stream` has seen it — streamed or not, so `model`
  // and `sources` are judged even when it came at once
  let answer = null;

  await story.step("login", "Maya logs in", async () => {
    await logIn(page, USERS.maya);
    expect(new URL(page.url()).pathname === "/student", `expected /student after login, got ${page.url()}`);
  }, { page });

  await story.step("stream", `Maya asks "${QUESTION}" and the model's answer is written out as it streams`, async () => {
    await page.goto(`${BASE_URL}/learn`);
    await page.waitForLoadState("networkidle"); // her earlier conversation has loaded (or not)
    const chat = page.getByRole("region", { name: "Ask your tutors" });
    const fresh = chat.getByRole("button", { name: "New conversation" });
    if (await fresh.count()) await fresh.click(); // this answer alone on the page
    const before = await chat.locator("article.msg.agent").count();
    const input = page.getByLabel("Your message");
    await input.fill(QUESTION);
    await startSampling(page, before, SAMPLE_EVERY_MS);
    await input.press("Enter");
    // a screenshot of the answer being written, if it is (judged below, from the samples)
    await page.waitForFunction(
      () => window.__answerSamples?.finished || document.querySelector('[data-testid="answer-so-far"]'),
      null,
      { timeout: ANSWER_TIMEOUT_MS, polling: 50 },
    ).catch(() => undefined);
    if (!(await samplesOf(page)).finished) await story.screenshot(page, "writing");
    await page.waitForFunction(() => window.__answerSamples?.finished, null, { timeout: ANSWER_TIMEOUT_MS, polling: 250 })
      .catch(() => { throw new Error(`no finished answer within ${ANSWER_TIMEOUT_MS / 1000} s`); });
    const { samples, failed } = await samplesOf(page);
    expect(!failed, `the page shows an error: ${failed}`);
    answer = chat.locator("article.msg.agent").nth(before);
    const seen = growing(samples);
    const shown = seen.map((s) => `${s.at} ms: ${s.text.length} chars`).join(", ");
    const text = (await answer.innerText()).replace(/\s+/g, " ");
    expect(!DEGRADED.test(text), `the agent could not answer; triage's degraded reply came instead: ${text.slice(0, 300)}`);
    expect(
      seen.length >= 3,
      `only ${seen.length} growing text(s) were seen in ${samples.length} samples before the answer appeared ` +
        `(it came at once, not streamed): ${shown || "none"}; the answer: ${text.slice(0, 300)}`,
    );
    await story.screenshot(page, "answered");
    return `${seen.length} growing texts in ${samples.length} samples (${shown.slice(0, 300)})`;
  }, { needs: ["login"], page });

  await story.step("model", `the answer's caption says ${EXPECTED_MODEL} wrote it, not the offline tutor`, async () => {
    expect(answer, "no finished answer to look at");
    const caption = answer.getByTestId("answer-model");
    expect(await caption.count(), "the answer has no caption saying who wrote it (answer-model)");
    const text = (await caption.innerText()).trim();
    expect(!text.startsWith("Offline tutor"), `the offline tutor wrote it, not a model: "${text}"`);
    const wanted = `Written by ${EXPECTED_MODEL} from the lessons`;
    expect(text === wanted, `the caption says "${text}", expected "${wanted}"`);
    await story.shots(page, "model");
    return text;
  }, { needs: ["login"], page });

  await story.step("sources", "the model's answer lists control-flow.for-loops as a source", async () => {
    expect(answer, "no finished answer to look at");
    const text = (await answer.innerText()).replace(/\s+/g, " ");
    expect(!DEGRADED.test(text), `not the model's answer but triage's degraded reply: ${text.slice(0, 200)}`);
    const sources = await answer.locator(".sources li").allInnerTexts();
    expect(sources.map((s) => s.trim()).includes("control-flow.for-loops"), `sources: ${sources.join(", ") || "none"}`);
    return `sources: ${sources.join(", ")}`;
  }, { needs: ["login"], page });

  await story.step("guards", "no request left this machine (no CDN, no external font) and no JavaScript error", async () => {
    const problems = guards(page);
    expect(problems.length === 0, problems.join("\n"));
  }, { page });
} finally {
  await browser.close();
}
process.exit(story.finish());
