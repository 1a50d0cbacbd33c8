// Class reports in a real browser (issue 13):
//   Mr. Rodriguez opens the class report of Python 101 from his dashboard; the CSV the page
//   offers holds the figures its tables show; the print view is the report alone; Maya downloads
//   her own progress report from her dashboard.

import { readFileSync } from "node:fs";
import { BASE_URL, Story, USERS, expect, guards, launch, logIn, newPage, unlabelled, waitForOutcome } from "./lib.mjs";

const story = new Story("report");
const browser = await launch();
const CLASS = "Python 101";

/** RFC 4180 CSV (quotes, doubled quotes, CRLF, line breaks in quoted fields) → rows of cells. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

async function download(page, link) {
  const [file] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), link.click()]);
  const bytes = readFileSync(await file.path());
  expect(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, "the CSV starts with the UTF-8 byte-order mark");
  const text = bytes.toString("utf8").slice(1);
  expect(text.includes("\r\n"), "CRLF line ends");
  return { name: file.suggestedFilename(), rows: parseCsv(text) };
}

/** The table's header and body cells as text (textContent: CSS upper-cases the header). */
async function tableCells(table) {
  const header = (await table.locator("thead th").allTextContents()).map((t) => t.trim());
  const rows = [];
  for (const tr of await table.locator("tbody tr").all()) {
    rows.push({ email: await tr.getAttribute("data-email"), cells: (await tr.locator("th, td").allTextContents()).map((t) => t.trim()) });
  }
  return { header, rows };
}

try {
  const teacher = await newPage(browser);
  const maya = await newPage(browser);

  await story.step("page", "Mr. Rodriguez opens Python 101's report: who needs help, mastery by module, failed exercises, time on task", async () => {
    await logIn(teacher, USERS.teacher);
    await teacher.goto(`${BASE_URL}/teacher`);
    const select = teacher.getByLabel("Class", { exact: true });
    const link = teacher.getByRole("link", { name: `Class report of ${CLASS}` });
    // the class picker shows once the classes are loaded, and only for a teacher with more than
    // one (other stories open classes on the same stack): wait for it or for Python 101's link
    await Promise.race([
      select.waitFor({ timeout: 30_000 }).catch(() => {}),
      link.waitFor({ timeout: 30_000 }).catch(() => {}),
    ]);
    if (await select.count()) {
      const value = await select.locator("option", { hasText: CLASS }).first().getAttribute("value");
      await select.selectOption(value);
    }
    await link.waitFor({ timeout: 30_000 });
    await link.click();
    await waitForOutcome(teacher, teacher.getByRole("heading", { level: 1, name: `Class report: ${CLASS}` }));
    for (const heading of ["Students who need help", "Mastery by module", "Most failed exercises", "Students and time on task"]) {
      expect(await teacher.getByRole("heading", { level: 2, name: heading }).isVisible(), `section ${heading}`);
    }
    const students = await tableCells(teacher.locator("#report-students-table"));
    const emails = students.rows.map((r) => r.email);
    expect(emails.includes(USERS.maya) && emails.includes(USERS.james), `students listed: ${emails.join(", ")}`);
    const nameless = await unlabelled(teacher);
    expect(nameless.length === 0, `controls without an accessible name: ${nameless.join(" | ")}`);
    await story.shots(teacher, "class-report");
    return `${students.rows.length} students`;
  }, { page: teacher });

  await story.step("csv", "the CSVs the page offers hold the figures its tables show (students, modules, exercises)", async () => {
    const checks = [
      ["Download students (CSV)", "#report-students-table", "students"],
      ["Download modules (CSV)", "#report-spread-table", "modules"],
      ["Download exercises (CSV)", "#report-failed-table", "exercises"],
    ];
    const said = [];
    for (const [label, selector, table] of checks) {
      const { name, rows } = await download(teacher, teacher.getByRole("link", { name: label }));
      expect(name.endsWith(`-${table}.csv`) && name.startsWith("class-report-python-101"), `file name ${name}`);
      if (!(await teacher.locator(selector).count())) {
        expect(rows.length === 1, `${table}: the page shows no table, the CSV has ${rows.length - 1} rows`);
        continue;
      }
      const shown = await tableCells(teacher.locator(selector));
      const [header, ...body] = rows;
      if (table === "students") {
        // the page's first cell is name + email, the CSV has them apart; the rest is column by column
        const csvHeader = header.filter((h) => h !== "Email" && h !== "Open alerts" && h !== "Needs help because");
        const pageHeader = shown.header;
        expect(JSON.stringify(csvHeader) === JSON.stringify(pageHeader), `headers differ:\n csv  ${csvHeader}\n page ${pageHeader}`);
        for (const line of body) {
          const record = Object.fromEntries(header.map((h, i) => [h, line[i]]));
          const row = shown.rows.find((r) => r.email === record.Email);
          expect(row, `${record.Email} is in the CSV but not on the page`);
          const pageCells = row.cells.slice(1);
          const csvCells = csvHeader.slice(1).map((h) => record[h]);
          expect(row.cells[0].startsWith(record.Student), `name ${record.Student}`);
          expect(JSON.stringify(pageCells) === JSON.stringify(csvCells), `${record.Email}:\n csv  ${csvCells}\n page ${pageCells}`);
        }
        expect(body.length === shown.rows.length, `${body.length} CSV rows, ${shown.rows.length} on the page`);
      } else {
        const normalise = (s) => s.replace(/[–-]/g, "-");
        expect(JSON.stringify(header.map(normalise)) === JSON.stringify(shown.header.map(normalise)), `${table} headers:\n csv  ${header}\n page ${shown.header}`);
        expect(JSON.stringify(body) === JSON.stringify(shown.rows.map((r) => r.cells)), `${table} rows differ:\n csv  ${JSON.stringify(body)}\n page ${JSON.stringify(shown.rows.map((r) => r.cells))}`);
      }
      said.push(`${table}: ${body.length} rows`);
    }
    return said.join(", ");
  }, { needs: ["page"], page: teacher });

  await story.step("print", "the print view is the report alone: no navigation or buttons, every table whole", async () => {
    await teacher.emulateMedia({ media: "print" });
    try {
      expect(!(await teacher.locator(".topbar").isVisible()), "the top bar is hidden in print");
      expect(!(await teacher.getByRole("link", { name: "Download students (CSV)" }).isVisible()), "the buttons are hidden in print");
      expect(await teacher.locator("#report-students-table").isVisible(), "the students table prints");
      const clipped = await teacher.evaluate(() => getComputedStyle(document.querySelector(".table-scroll")).overflowX);
      expect(clipped === "visible", `tables are not clipped in print (overflow-x ${clipped})`);
      await story.screenshot(teacher, "class-report-print");
    } finally {
      await teacher.emulateMedia({ media: "screen" });
    }
  }, { needs: ["page"], page: teacher });

  await story.step("student-download", "Maya downloads her own progress report from her dashboard", async () => {
    await logIn(maya, USERS.maya);
    await maya.goto(`${BASE_URL}/student`);
    const link = maya.getByRole("link", { name: "Download my progress report (CSV)" });
    await link.waitFor({ timeout: 30_000 });
    const { name, rows } = await download(maya, link);
    expect(name.startsWith("progress-report-maya"), `file name ${name}`);
    const [header, ...body] = rows;
    expect(header[0] === "Module" && header.includes("Mastery (%)"), `header ${header}`);
    const modules = await maya.getByRole("list", { name: "Mastery per module" }).locator(":scope > li").count();
    expect(body.length === modules, `${body.length} CSV rows for ${modules} modules on the dashboard`);
    await story.shots(maya, "student-dashboard-download");
    return `${body.length} modules`;
  }, { page: maya });

  await story.step("guards", "no request left this machine and no JavaScript error", async () => {
    const problems = [...guards(teacher), ...guards(maya)];
    expect(problems.length === 0, problems.join("\n"));
  });
} finally {
  await browser.close();
}
process.exit(story.finish());
