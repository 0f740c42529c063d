// One name for the product in everything the extension shows: notifications start "m2bridge: ", the
// model is "M2" without a colon prefix, and the old "M2Bridge:" and "M2:" prefixes appear nowhere in the
// built extension (dist/extension.js, which `npm test` builds before the tests run).
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

// out/test/unit/x.test.js is three levels below the extension's folder.
const root = join(__dirname, "../../..");
const bundle = readFileSync(join(root, "dist/extension.js"), "utf8");

/** The extension's sources (not the page's, which has its own tests), by path. */
function sources(): Map<string, string> {
  const files = readdirSync(join(root, "src"), { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(".ts") && !name.startsWith("page"));
  return new Map(files.map((name) => [name, readFileSync(join(root, "src", name), "utf8")]));
}

/** The string literals passed first to vscode.window.show{Error,Warning,Information}Message. */
function notificationLiterals(text: string): string[] {
  const call = /show(?:Error|Warning|Information)Message\(\s*(["'`])((?:\\.|(?!\1)[^\\])*)\1/g;
  return [...text.matchAll(call)].map((m) => m[2] ?? "");
}

const OLD_PREFIX = /M2Bridge:|(?<![\w.-])M2: /;

describe("the product's name in what the extension shows", () => {
  it("finds the notifications it checks (the pattern still matches the code)", () => {
    const all = [...sources().values()].flatMap(notificationLiterals);
    assert.ok(all.length >= 5, `only ${all.length} notification texts found`);
  });

  it("starts every notification with “m2bridge: ”", () => {
    for (const [name, text] of sources()) {
      for (const literal of notificationLiterals(text)) {
        assert.ok(literal.startsWith("m2bridge: "), `${name}: “${literal}”`);
      }
    }
  });

  it("has no “M2Bridge:” or “M2:” prefix anywhere in the built extension", () => {
    const hits = [...bundle.matchAll(new RegExp(`.{0,40}(?:${OLD_PREFIX.source}).{0,40}`, "g"))].map((m) => m[0]);
    assert.deepEqual(hits, []);
  });

  it("would notice an old prefix (the check itself is not blind)", () => {
    assert.match("`M2: could not list sessions`", OLD_PREFIX);
    assert.match('"M2Bridge: Set API key"', OLD_PREFIX);
    assert.doesNotMatch("m2bridge: Fix with M2", OLD_PREFIX);
    assert.deepEqual(notificationLiterals('window.showErrorMessage(`M2: ${x} failed`)'), ["M2: ${x} failed"]);
  });
});
