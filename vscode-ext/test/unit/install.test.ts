import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { INSTALL_COMMAND, installAdvice, programExists } from "../../src/install";

describe("the missing-server message", () => {
  it("explains how to install m2bridge when spawn fails with ENOENT", () => {
    const error = Object.assign(new Error("spawn m2bridge ENOENT"), { code: "ENOENT" });
    const advice = installAdvice(error, ["m2bridge", "lsp"]);
    assert.ok(advice);
    assert.equal(advice.copy, INSTALL_COMMAND);
    assert.match(advice.message, /`m2bridge lsp` was not found/);
    assert.match(advice.message, /`python3 -m pip install --user \.` in a clone of the m2bridge repository/);
    assert.match(advice.message, /scripts\/setup/);
    assert.match(advice.message, /m2bridge\.serverCommand/);
  });

  it("writes the notification with the product's name and the card's detail without it", () => {
    const advice = installAdvice({ code: "ENOENT" }, ["m2bridge", "lsp"]);
    assert.ok(advice);
    assert.equal(advice.message, `m2bridge: ${advice.detail}`);
    assert.match(advice.detail, /^The language server command `m2bridge lsp` was not found\./);
    assert.doesNotMatch(advice.message, /^M2:/);
  });

  it("recognises vscode-languageclient's string rejection of a failed spawn", () => {
    const advice = installAdvice("Launching server using command m2bridge failed. Error: spawn m2bridge ENOENT", ["m2bridge", "lsp"]);
    assert.ok(advice);
  });

  it("says the program cannot be run when it is not executable", () => {
    const advice = installAdvice(Object.assign(new Error("spawn EACCES"), { code: "EACCES" }), ["/opt/m2/bin/m2bridge", "lsp"]);
    assert.match(advice?.message ?? "", /\/opt\/m2\/bin\/m2bridge lsp` cannot be run/);
  });

  it("quotes a configured command with spaces as the user would type it", () => {
    const advice = installAdvice({ code: "ENOENT" }, ["/home/me/my tools/m2bridge", "lsp"]);
    assert.match(advice?.message ?? "", /`'\/home\/me\/my tools\/m2bridge' lsp`/);
  });

  it("gives no install advice for other failures, which the language client reports itself", () => {
    assert.equal(installAdvice(new Error("Server process exited before the connection could be established (code: 1)"), ["m2bridge", "lsp"]), undefined);
    assert.equal(installAdvice(undefined, ["m2bridge", "lsp"]), undefined);
  });
});

describe("finding the server program before starting it", () => {
  const installed = new Set(["/usr/local/bin/m2bridge", "/opt/venv/bin/m2bridge"]);
  const canRun = (file: string): boolean => installed.has(file);

  it("looks a bare name up on PATH", () => {
    assert.equal(programExists("m2bridge", "/usr/bin:/usr/local/bin", canRun), true);
    assert.equal(programExists("m2bridge", "/usr/bin:/bin", canRun), false);
    assert.equal(programExists("m2bridge", undefined, canRun), false);
  });

  it("checks an absolute path as it is", () => {
    assert.equal(programExists("/opt/venv/bin/m2bridge", "", canRun), true);
    assert.equal(programExists("/opt/other/bin/m2bridge", "/opt/venv/bin", canRun), false);
  });

  it("leaves a relative path to spawn, which resolves it against the server's folder", () => {
    assert.equal(programExists(".venv/bin/m2bridge", "", () => false), true);
  });
});
