// Runs the unit tests (built into out/test/unit by `build.mjs --tests`) and, once it has any, the chat
// page's tests in test/page. `node --test` on a folder with no tests fails, hence the check.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const isTest = (name) => /\.test\.(c|m)?js$/.test(name);
const hasTests = (dir) => existsSync(join(root, dir)) && readdirSync(join(root, dir), { recursive: true }).some((n) => isTest(String(n)));

const dirs = ["out/test/unit", "test/page"].filter(hasTests);
if (!dirs.includes("out/test/unit")) {
  console.error("test.mjs: no unit tests in out/test/unit; run `node scripts/build.mjs --tests` first");
  process.exit(1);
}
const run = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...dirs], {
  cwd: root,
  stdio: "inherit",
});
process.exit(run.status ?? 1);
