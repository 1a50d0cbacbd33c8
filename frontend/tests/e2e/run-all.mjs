// `npm run test:e2e`: every browser story against a running frontend (see lib.mjs for the
// environment). Stories run one after the other (they share the backend's data); the exit code
// is 1 if any step FAILED. PENDING steps (backend route not there yet) do not fail the run but
// are listed.

import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const stories = process.argv.slice(2).length ? process.argv.slice(2) : ["maya", "class", "enrollment", "report", "exam"];
const env = {
  ...process.env,
  E2E_SCREENSHOT_DIR: process.env.E2E_SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), "learnflow-e2e-")),
};
let failed = 0;
for (const story of stories) {
  console.log(`\n=== ${story} ===`);
  const run = spawnSync(process.execPath, [join(here, `${story}.mjs`)], { stdio: "inherit", env });
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
