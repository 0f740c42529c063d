// The chat view's page in headless Chromium (see harness.mjs): layout, controls, streaming,
// transcripts, error cards and keyboard use.
//
//   cd vscode-ext && node scripts/build.mjs && node --test test/page/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { assertClean, delta, openPage, posted, send, shot, skip, startHarness } from "./harness.mjs";
import { ERROR_CARD, SESSIONS, STOPPED_TRANSCRIPT, TRANSCRIPT } from "./fixtures.mjs";

let h;
before(async () => {
  if (!skip) h = await startHarness();
});
after(async () => {
  if (h) await h.close();
});

const open = (t, opts) => openPage(h, t, opts);
const clean = (page, rec, opts) => assertClean(h, page, rec, opts);

test("the page loads under the CSP, posts ready, and has no inline script or style", { skip }, async (t) => {
  const { page, rec } = await open(t);
  assert.deepEqual((await posted(page))[0], { type: "ready" });
  const info = await page.evaluate(() => ({
    csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute("content"),
    inlineScripts: document.querySelectorAll("script:not([src])").length,
    styleAttrs: document.querySelectorAll("[style]").length,
    styleTags: document.querySelectorAll("style").length,
    standalone: document.documentElement.classList.contains("standalone"),
    codiconFont: document.fonts.check("16px codicon"),
    refresh: document.getElementById("refresh-sessions"),
  }));
  assert.match(info.csp, /default-src 'none'/);
  assert.match(info.csp, /script-src 'nonce-[A-Za-z0-9]{32}'/);
  assert.match(info.csp, new RegExp(`font-src ${h.origin.replace(/[.]/g, "\\.")};`));
  assert.equal(info.inlineScripts, 0);
  assert.equal(info.styleAttrs, 0);
  assert.equal(info.styleTags, 0);
  assert.equal(info.standalone, true, "outside VS Code the page uses its own theme");
  assert.equal(info.codiconFont, true, "the codicon font loads from the extension");
  assert.equal(info.refresh, null, "no refresh button: the picker refreshes on focus");
  await clean(page, rec);
});

test("the CSP blocks inline scripts and remote images", { skip }, async (t) => {
  const { page, rec } = await open(t);
  const result = await page.evaluate(async () => {
    const s = document.createElement("script");
    s.textContent = "window.__inlineRan = true;";
    document.body.appendChild(s);
    const img = document.createElement("img");
    img.src = "https://example.invalid/pixel.png";
    document.body.appendChild(img);
    await new Promise((r) => setTimeout(r, 100));
    return { ran: window.__inlineRan === true, violations: window.__violations };
  });
  assert.equal(result.ran, false, "an injected inline script does not run");
  assert.ok(result.violations.some((v) => /^script-src/.test(v.directive) && v.blocked === "inline"), JSON.stringify(result.violations));
  assert.ok(result.violations.some((v) => /^img-src/.test(v.directive)), JSON.stringify(result.violations));
  await clean(page, rec, { allowViolations: true });
});

test("Send is disabled on an empty prompt and while a turn runs; Stop only while one runs", { skip }, async (t) => {
  const { page, rec } = await open(t);
  const buttons = () => page.evaluate(() => ({ send: document.getElementById("send").disabled, stop: document.getElementById("stop").disabled }));
  assert.deepEqual(await buttons(), { send: true, stop: true });
  await page.fill("#prompt", "   \n ");
  assert.deepEqual(await buttons(), { send: true, stop: true }, "blank is empty");
  await page.fill("#prompt", "hello");
  assert.deepEqual(await buttons(), { send: false, stop: true });
  await send(page, { type: "turnStarted", prompt: "earlier", origin: "chat" });
  assert.deepEqual(await buttons(), { send: true, stop: false });
  await send(page, { type: "turnEnded", result: { sessionId: "s", text: "ok", stopReason: "end_turn" } });
  assert.deepEqual(await buttons(), { send: false, stop: true });
  await clean(page, rec);
});

test("Enter sends, Shift+Enter adds a line; nothing is sent while a turn runs and the draft is kept", { skip }, async (t) => {
  const { page, rec } = await open(t);
  await page.click("#prompt");
  await page.keyboard.type("first line");
  await page.keyboard.press("Shift+Enter");
  await page.keyboard.type("second line");
  await page.keyboard.press("Enter");
  assert.deepEqual((await posted(page)).slice(1), [{ type: "send", prompt: "first line\nsecond line" }]);
  assert.equal(await page.$eval("#prompt", (p) => p.value), "");
  await page.keyboard.press("Enter"); // empty: nothing
  await send(page, { type: "turnStarted", prompt: "first line\nsecond line", origin: "chat" });
  await page.keyboard.type("queued?");
  await page.keyboard.press("Enter");
  assert.equal((await posted(page)).length, 2, "no send while running");
  assert.equal(await page.$eval("#prompt", (p) => p.value), "queued?");
  await send(page, { type: "turnEnded", result: { sessionId: "s", text: "ok", stopReason: "end_turn" } });
  await page.click("#send");
  assert.deepEqual((await posted(page)).slice(-1), [{ type: "send", prompt: "queued?" }]);
  await clean(page, rec);
});

test("Esc stops a running turn from anywhere in the view, and does nothing when idle", { skip }, async (t) => {
  const { page, rec } = await open(t);
  await page.click("#prompt");
  await page.keyboard.press("Escape");
  assert.equal((await posted(page)).filter((m) => m.type === "stop").length, 0);
  await send(page, { type: "turnStarted", prompt: "Write a long essay", origin: "chat" });
  await send(page, delta({ kind: "text", text: "Once upon a time" }));
  await page.keyboard.press("Escape");
  await page.focus("#session-picker");
  await page.keyboard.press("Escape");
  assert.deepEqual((await posted(page)).filter((m) => m.type === "stop"), [{ type: "stop" }, { type: "stop" }]);
  assert.equal(await page.$eval("#stop", (b) => b.getAttribute("aria-keyshortcuts")), "Escape");
  await clean(page, rec);
});

test("focusing the view as a whole puts the cursor in the prompt box; a focused control keeps its focus", { skip }, async (t) => {
  const { page, rec } = await open(t);
  await page.evaluate(() => {
    document.activeElement?.blur();
    window.dispatchEvent(new FocusEvent("focus"));
  });
  assert.equal(await page.evaluate(() => document.activeElement?.id), "prompt");
  await page.focus("#session-picker");
  await page.evaluate(() => window.dispatchEvent(new FocusEvent("focus")));
  assert.equal(await page.evaluate(() => document.activeElement?.id), "session-picker");
  await clean(page, rec);
});

test("the session picker lists sessions by title, opens one, refreshes on focus; New posts newSession", { skip }, async (t) => {
  const { page, rec } = await open(t);
  await send(page, { type: "sessions", sessions: SESSIONS, current: "s2" });
  const options = await page.$$eval("#session-picker option", (os) => os.map((o) => ({ value: o.value, text: o.textContent })));
  assert.deepEqual(options.map((o) => o.value), ["s1", "s2", "s3"]);
  assert.match(options[0].text, /^Fix the flaky upload test · today \d\d:\d\d$/);
  assert.match(options[1].text, /^Explain the LSP bridge · 2025-07-0[12] \d\d:\d\d$/);
  assert.match(options[2].text, /^Untitled · /);
  assert.equal(await page.$eval("#session-picker", (s) => s.value), "s2");
  await page.focus("#session-picker");
  await page.selectOption("#session-picker", "s3");
  await page.click("#new-session");
  assert.deepEqual((await posted(page)).slice(1), [{ type: "refreshSessions" }, { type: "openSession", id: "s3" }, { type: "newSession" }]);
  assert.equal(await page.$eval("#new-session", (b) => b.getAttribute("aria-label")), "New session");
  // A new session is not in the list yet: a placeholder is selected.
  await send(page, { type: "sessions", sessions: SESSIONS, current: null });
  assert.equal(await page.$eval("#session-picker", (s) => s.selectedOptions[0].textContent), "New session");
  await clean(page, rec);
});

test("a stored transcript renders speakers, context, collapsed thinking, markdown, links and tool cards", { skip }, async (t) => {
  const { page, rec } = await open(t, { width: 520, height: 1500 });
  await send(page, { type: "sessions", sessions: SESSIONS, current: "s2" }, { type: "transcript", session: TRANSCRIPT });
  const r = await page.evaluate(() => {
    const q = (s) => document.querySelector(s);
    const qa = (s) => Array.from(document.querySelectorAll(s));
    const md = qa(".msg-assistant .answer-text").pop();
    return {
      speakers: qa(".msg .speaker").map((s) => s.textContent),
      user: q(".msg-user .bubble").textContent,
      contextOpen: q(".msg-context").open,
      thinking: qa(".thinking").map((d) => ({ open: d.open, summary: d.querySelector("summary").textContent })),
      h2: md.querySelector("h2")?.textContent,
      strong: md.querySelector("strong")?.textContent,
      topItems: Array.from(md.querySelectorAll(":scope > ul > li")).map((li) => li.firstChild.textContent),
      nested: md.querySelector("ul ul li")?.textContent,
      codeClass: md.querySelector("pre code")?.className,
      code: md.querySelector("pre code")?.textContent,
      highlighted: Array.from(md.querySelectorAll("pre code span")).map((s) => s.className + ":" + s.textContent),
      codeButtons: [md.querySelectorAll(".md-code .code-copy").length, md.querySelectorAll(".md-code .code-insert").length],
      inlineCode: md.querySelector("p code")?.textContent,
      link: (() => { const a = md.querySelector("a"); return a && { text: a.textContent, href: a.getAttribute("href"), cls: a.className }; })(),
      text: md.innerText,
      unanswered: qa(".unanswered").length,
      notSent: qa(".not-sent").length,
      cards: qa(".tool-card").map((c) => ({
        name: c.dataset.toolName,
        cls: c.className,
        args: c.querySelector(".tool-args")?.textContent ?? null,
        summary: c.querySelector(".tool-summary")?.textContent ?? null,
        del: Array.from(c.querySelectorAll(".diff-del")).map((l) => l.textContent),
        add: Array.from(c.querySelectorAll(".diff-add")).map((l) => l.textContent),
        command: c.querySelector(".tool-command")?.textContent ?? null,
        icon: c.querySelector(".tool-status .codicon")?.className,
      })),
      usage: q("#usage").textContent,
    };
  });
  assert.deepEqual(r.speakers, ["You", "M2"], "screen readers hear who speaks");
  assert.equal(r.user, "Why does the upload retry forever?");
  assert.equal(r.contextOpen, false, "editor context is collapsed");
  assert.deepEqual(r.thinking, [{ open: false, summary: "M2 thought" }, { open: false, summary: "M2 thought" }]);
  assert.equal(r.h2, "Plan");
  assert.equal(r.strong, "upload.ts");
  assert.deepEqual(r.topItems, ["read the file", "fix the ", "run the tests"]);
  assert.equal(r.nested, "keep the backoff");
  assert.equal(r.codeClass, "hljs language-ts");
  assert.equal(r.code, 'for (let attempt = 0; attempt < 3; attempt++) {\n  await send("x"); // retry\n}');
  assert.ok(r.highlighted.includes("hljs-keyword:let"), JSON.stringify(r.highlighted));
  assert.ok(r.highlighted.includes('hljs-string:"x"'), JSON.stringify(r.highlighted));
  assert.ok(r.highlighted.includes("hljs-comment:// retry"), JSON.stringify(r.highlighted));
  assert.deepEqual(r.codeButtons, [1, 1]);
  assert.equal(r.inlineCode, "attempt");
  assert.deepEqual(r.link, { text: "the docs", href: "https://example.com/retry", cls: "md-link" });
  assert.doesNotMatch(r.text, /\*\*|```|^##/m, "no raw markdown left");
  assert.equal(r.unanswered, 0);
  assert.equal(r.notSent, 0);
  const [edit, run] = r.cards;
  assert.equal(edit.name, "edit_file");
  assert.match(edit.cls, /state-ok/);
  assert.match(edit.icon, /codicon-check/);
  assert.equal(edit.args, '{"path":"src/upload.ts"}');
  assert.equal(edit.summary, "edited src/upload.ts: replaced 1 occurrence");
  assert.deepEqual(edit.del, ["-while (true) {", "-  attempt = 0;"]);
  assert.deepEqual(edit.add, ["+while (attempt < 3) {", "+  attempt++;"]);
  assert.match(run.cls, /state-failed/);
  assert.match(run.icon, /codicon-error/);
  assert.equal(run.command, "$ npm test -- upload");
  assert.equal(run.summary, "exit code 1");
  assert.equal(r.usage, "context 12.3k");
  await shot(page, "transcript.png");

  // A collapsed thinking block opens on click and closes again.
  await page.click(".thinking >> nth=0 >> summary");
  assert.equal(await page.$eval(".thinking", (d) => d.open && d.querySelector(".thinking-text").checkVisibility()), true);
  await page.click(".thinking >> nth=0 >> summary");
  assert.equal(await page.$eval(".thinking", (d) => d.open), false);
  await clean(page, rec);
});

test("Copy and Insert on a code block post the code's text", { skip }, async (t) => {
  const { page, rec } = await open(t, { width: 520, height: 1500 });
  await send(page, { type: "transcript", session: TRANSCRIPT });
  await page.click(".md-code .code-copy");
  await page.click(".md-code .code-insert");
  const code = 'for (let attempt = 0; attempt < 3; attempt++) {\n  await send("x"); // retry\n}';
  assert.deepEqual((await posted(page)).slice(1), [{ type: "copy", text: code }, { type: "insert", text: code }]);
  assert.equal(await page.$eval(".code-copy", (b) => b.getAttribute("aria-label")), "Copied");
  assert.equal(await page.$eval(".code-insert", (b) => b.getAttribute("aria-label")), "Insert code at the cursor");
  await clean(page, rec);
});

test("a link is a link, but clicking it only asks the extension to open it", { skip }, async (t) => {
  const { page, rec } = await open(t, { width: 520, height: 1500 });
  await send(page, { type: "turnStarted", prompt: "links?", origin: "chat" });
  await send(page, delta({ kind: "text", text: "See [the docs](https://example.com/retry), <https://example.org/a?b=1> and https://example.net/x, not [mail](mailto:a@b.c) or [rel](./x)." }));
  await send(page, { type: "turnEnded", result: { sessionId: "s", text: "", stopReason: "end_turn" } });
  const links = await page.$$eval(".answer-text a", (as) => as.map((a) => a.getAttribute("href")));
  assert.deepEqual(links, ["https://example.com/retry", "https://example.org/a?b=1", "https://example.net/x"]);
  assert.deepEqual(await page.$$eval(".answer-text .md-link-plain", (s) => s.map((x) => x.textContent)), ["mail", "rel"]);
  await page.click(".answer-text a >> nth=0");
  await page.click(".answer-text a >> nth=1", { button: "middle" });
  await page.click(".answer-text a >> nth=2", { modifiers: ["Control"] });
  await page.waitForTimeout(200);
  assert.equal(page.url(), h.origin + "/", "the webview did not navigate");
  assert.equal(page.context().pages().length, 1, "no window opened");
  const opened = (await posted(page)).filter((m) => m.type === "openLink");
  assert.deepEqual(opened, [{ type: "openLink", href: "https://example.com/retry" }, { type: "openLink", href: "https://example.net/x" }]);
  await clean(page, rec);
});

test("streaming: thinking is open while it streams, then one line 'M2 thought for …' that still opens", { skip }, async (t) => {
  const { page, rec } = await open(t, { width: 480, height: 900 });
  await send(page, { type: "sessions", sessions: SESSIONS, current: "s1" });
  await send(page, { type: "turnStarted", prompt: "Fix the retry loop in upload.ts", origin: "chat" });
  assert.equal(await page.$eval(".msg-assistant", (a) => a.classList.contains("running")), true);
  const thought = "The loop resets attempt each time round. I will edit upload.ts and run the tests.";
  for (const piece of thought.match(/.{1,9}/gs)) await send(page, delta({ kind: "thinking", text: piece }));
  const during = await page.evaluate(() => {
    const d = document.querySelector(".thinking");
    return { summary: d.querySelector("summary").textContent, open: d.open, visible: d.querySelector(".thinking-text").checkVisibility(), text: d.querySelector(".thinking-text").textContent };
  });
  assert.deepEqual(during, { summary: "M2 is thinking…", open: true, visible: true, text: thought });
  await shot(page, "streaming-thinking.png");
  await page.waitForTimeout(1100);

  for (const c of "I'll fix **the counter** first.\n\n".match(/.{1,3}/gs)) await send(page, delta({ kind: "text", text: c }));
  const after = await page.evaluate(() => ({ summary: document.querySelector(".thinking summary").textContent, open: document.querySelector(".thinking").open }));
  assert.match(after.summary, /^M2 thought for [12]s$/);
  assert.equal(after.open, false, "collapsed to one line once the answer starts");
  await page.click(".thinking summary");
  assert.equal(await page.$eval(".thinking", (d) => d.open), true, "and it opens on click");

  // A reader who closes a streaming block keeps it closed; one who opens it keeps it open.
  await send(page, delta({ kind: "thinking", text: "Second thoughts." }));
  assert.equal(await page.$eval(".thinking >> nth=1", (d) => d.open), true);
  await page.click(".thinking >> nth=1 >> summary");
  await send(page, delta({ kind: "thinking", text: " More." }));
  assert.equal(await page.$eval(".thinking >> nth=1", (d) => d.open), false);

  const editArgs = { path: "src/upload.ts", old_string: "while (true) {\n  attempt = 0;", new_string: "while (attempt < 3) {\n  attempt++;" };
  await send(page, delta({ kind: "toolStart", tool: { id: "t1", name: "edit_file", arguments: editArgs } }));
  await send(page, delta({ kind: "usage", inputTokens: 12000, outputTokens: 300, contextTokens: 12345, contextWindow: 204800 }));
  const running = await page.$eval('.tool-card[data-tool-id="t1"]', (c) => ({ cls: c.className, spin: !!c.querySelector(".codicon-modifier-spin"), label: c.querySelector(".tool-status").getAttribute("aria-label") }));
  assert.match(running.cls, /state-running/);
  assert.equal(running.spin, true);
  assert.equal(running.label, "running");
  assert.equal(await page.$eval("#usage", (u) => u.textContent), "context 12.3k / 204.8k");
  await send(page, delta({ kind: "toolEnd", tool: { id: "t1", name: "edit_file", arguments: {}, ok: true, summary: "edited src/upload.ts" } }));
  for (const c of "### Done\n\n```js\nattempt++;\n```\n".match(/.{1,2}/gs)) await page.evaluate((d) => window.postMessage(d, "*"), delta({ kind: "text", text: c }));
  await send(page, { type: "turnEnded", result: { sessionId: "s1", text: "", stopReason: "end_turn", contextTokens: 13100 } });
  const r = await page.evaluate(() => {
    const a = document.querySelector(".msg-assistant");
    return {
      parts: Array.from(a.querySelector(".parts").children).map((p) => (p.classList.contains("thinking") ? "thinking" : p.classList.contains("tool-card") ? "tool" : "text")),
      first: a.querySelector(".answer-text").innerHTML,
      code: a.querySelector("pre code.language-js")?.textContent,
      args: a.querySelector(".tool-args").textContent,
      running: a.classList.contains("running"),
      status: a.querySelector(".status-line").hidden,
      usage: document.getElementById("usage").textContent,
    };
  });
  assert.deepEqual(r.parts, ["thinking", "text", "thinking", "tool", "text"]);
  assert.equal(r.first, "<p>I'll fix <strong>the counter</strong> first.</p>\n");
  assert.equal(r.code, "attempt++;");
  assert.equal(r.args, '{"path":"src/upload.ts"}', "a toolEnd without arguments keeps the start's");
  assert.equal(r.running, false);
  assert.equal(r.status, true, "a normal end shows no status line");
  assert.equal(r.usage, "context 13.1k / 204.8k");
  await shot(page, "streamed-final.png");
  await clean(page, rec);
});

test("after Stop the partial turn is marked as not sent to M2, live and after a reload", { skip }, async (t) => {
  const { page, rec } = await open(t);
  await send(page, { type: "turnStarted", prompt: "Write a long essay", origin: "chat" });
  await send(page, delta({ kind: "thinking", text: "An essay about…" }));
  await send(page, delta({ kind: "text", text: "Once upon a time" }));
  await page.click("#stop");
  assert.deepEqual((await posted(page)).slice(1), [{ type: "stop" }]);
  await send(page, { type: "turnEnded", result: { sessionId: "s3", text: "Once upon a time", stopReason: "cancelled", incomplete: true } });
  const live = await page.evaluate(() => ({
    marker: document.querySelector(".msg-assistant .not-sent")?.textContent,
    stop: document.getElementById("stop").disabled,
    text: document.querySelector(".answer-text").textContent.trim(),
  }));
  assert.deepEqual(live, { marker: "Stopped — this partial answer is not sent back to M2", stop: true, text: "Once upon a time" });
  await shot(page, "stopped.png");

  await send(page, { type: "transcript", session: STOPPED_TRANSCRIPT });
  const stored = await page.$$eval(".not-sent", (ns) => ns.map((n) => n.textContent));
  assert.deepEqual(stored, ["Stopped — this partial answer is not sent back to M2"]);
  await clean(page, rec);
});

test("a stored question with no answer after it is marked unanswered; answered ones are not", { skip }, async (t) => {
  const { page, rec } = await open(t);
  await send(page, { type: "transcript", session: STOPPED_TRANSCRIPT });
  const users = await page.$$eval(".msg-user", (us) => us.map((u) => [u.querySelector(".bubble").textContent, u.querySelector(".unanswered")?.textContent ?? null]));
  const NO = "No answer — the request failed or was stopped before M2 replied";
  assert.deepEqual(users, [
    ["Write a long essay", null],
    ["Summarise the repo", NO],
    ["Are you there?", null],
    ["And the tests?", NO],
  ]);
  // The same prompt announced as a running turn is answered, not drawn twice.
  await send(page, { type: "turnStarted", prompt: "And the tests?", origin: "chat" });
  const after = await page.$$eval(".msg-user", (us) => us.map((u) => !!u.querySelector(".unanswered")));
  assert.deepEqual(after, [false, true, false, false]);
  // A live turn that fails before any answer leaves its question unanswered, with no empty answer.
  await send(page, { type: "turnEnded", result: { sessionId: "s3", text: "", stopReason: "error", error: { code: "auth", message: "401", traceId: null } } });
  assert.deepEqual(await page.$$eval(".msg-user", (us) => us.map((u) => !!u.querySelector(".unanswered"))), [false, true, false, true]);
  assert.equal(await page.$$eval(".msg-assistant", (as) => as.length), 2);
  await shot(page, "unanswered.png");
  await clean(page, rec);
});

test("a turn a code action started shows its prompt with an origin hint, and the view stays usable", { skip }, async (t) => {
  const { page, rec } = await open(t);
  await send(page, { type: "turnStarted", prompt: "Fix this problem: 'x' is possibly undefined", origin: "codeAction" });
  await send(page, delta({ kind: "text", text: "Add a guard." }));
  await send(page, { type: "turnEnded", result: { sessionId: "s1", text: "Add a guard.", stopReason: "end_turn" } });
  const r = await page.evaluate(() => ({
    prompt: document.querySelector(".msg-user .bubble").textContent,
    hint: document.querySelector(".msg-user .origin-hint")?.textContent,
    answer: document.querySelector(".answer-text").textContent.trim(),
  }));
  assert.deepEqual(r, { prompt: "Fix this problem: 'x' is possibly undefined", hint: "from a code action", answer: "Add a guard." });
  await page.fill("#prompt", "thanks, and the other one?");
  await page.keyboard.press("Enter");
  assert.deepEqual((await posted(page)).slice(-1), [{ type: "send", prompt: "thanks, and the other one?" }]);
  await send(page, { type: "turnStarted", prompt: "thanks, and the other one?", origin: "chat" });
  assert.equal(await page.$$eval(".origin-hint", (hs) => hs.length), 1, "a chat turn has no hint");
  await clean(page, rec);
});

test("error cards: title, detail, one button per action, replaced by id, cleared; nothing raw", { skip }, async (t) => {
  const { page, rec } = await open(t);
  await send(page, { type: "turnStarted", prompt: "Summarise the repo", origin: "chat" });
  await send(page, { type: "error", error: ERROR_CARD });
  const card = await page.$eval(".msg-error", (c) => ({
    role: c.getAttribute("role"),
    title: c.querySelector(".error-title").textContent,
    detail: c.querySelector(".error-detail").textContent,
    trace: c.querySelector(".error-trace").textContent,
    buttons: Array.from(c.querySelectorAll("button[data-action]")).map((b) => [b.dataset.action, b.textContent]),
    text: c.innerText,
  }));
  assert.equal(card.role, "alert");
  assert.equal(card.title, ERROR_CARD.title);
  assert.equal(card.detail, ERROR_CARD.detail);
  assert.equal(card.trace, "Trace ID 0a1b2c3d");
  assert.deepEqual(card.buttons, [["setApiKey", "Set API Key"], ["openSettings", "Open Settings"], ["copyDetails", "Copy Details"]]);
  assert.doesNotMatch(card.text, /\bauth\b|export |MINIMAX_API/, "no raw code, no shell");
  assert.equal(await page.$eval("#stop", (b) => b.disabled), true, "the failed turn no longer runs");
  await page.click('.msg-error button[data-action="setApiKey"]');
  await page.click('.msg-error button[data-action="copyDetails"]');
  assert.deepEqual((await posted(page)).filter((m) => m.type === "errorAction"), [
    { type: "errorAction", id: "auth", action: "setApiKey" },
    { type: "errorAction", id: "auth", action: "copyDetails" },
  ]);
  await shot(page, "error-card.png");

  await send(page, { type: "error", error: { ...ERROR_CARD, title: "MiniMax still rejects the key", actions: ["retry"] } });
  await send(page, { type: "error", error: { id: "server", code: "server", title: "The m2bridge server is not running", detail: "Check the server command in Settings.", traceId: null, actions: ["openSettings", "showLog"] } });
  const cards = await page.$$eval(".msg-error", (cs) => cs.map((c) => [c.dataset.errorId, c.querySelector(".error-title").textContent, c.querySelectorAll("button").length]));
  assert.deepEqual(cards, [["auth", "MiniMax still rejects the key", 1], ["server", "The m2bridge server is not running", 2]]);
  await send(page, { type: "errorCleared", id: "auth" });
  assert.deepEqual(await page.$$eval(".msg-error", (cs) => cs.map((c) => c.dataset.errorId)), ["server"]);
  await send(page, { type: "errorCleared", id: "server" });
  assert.equal(await page.$eval("#alerts", (a) => a.hidden), true);
  await clean(page, rec);
});

test("a card shows the `command` in its detail as code, not as backticks, readable on the card", { skip }, async (t) => {
  const { page, rec } = await open(t, { query: "?theme=light-hc" });
  const detail =
    "The language server command `m2bridge lsp` was not found. Install m2bridge by running `python3 -m pip install --user .` in a clone.";
  await send(page, { type: "error", error: { id: "server", code: "server_start", title: "The m2bridge language server is not running", detail, traceId: null, actions: ["retry"] } });
  const r = await page.$eval(".error-detail", (d) => ({
    text: d.textContent,
    codes: Array.from(d.querySelectorAll("code")).map((c) => c.textContent),
    elements: d.querySelectorAll("*").length,
    styles: Array.from(d.querySelectorAll("code")).map((c) => [getComputedStyle(c).backgroundColor, getComputedStyle(c).color === getComputedStyle(d).color]),
  }));
  assert.equal(r.text, "The language server command m2bridge lsp was not found. Install m2bridge by running python3 -m pip install --user . in a clone.");
  assert.deepEqual(r.codes, ["m2bridge lsp", "python3 -m pip install --user ."]);
  assert.equal(r.elements, 2, "nothing but the two code spans");
  assert.deepEqual(r.styles, [["rgba(0, 0, 0, 0)", true], ["rgba(0, 0, 0, 0)", true]], "the card's own colours, no code background");
  await clean(page, rec);
});

test("a notice shows a transient line", { skip }, async (t) => {
  const { page, rec } = await open(t);
  await send(page, { type: "notice", message: "M2 is still answering" });
  assert.deepEqual(await page.$$eval(".notice", (ns) => ns.map((n) => [n.getAttribute("role"), n.textContent])), [["status", "M2 is still answering"]]);
  await page.waitForFunction(() => document.querySelectorAll(".notice").length === 0, null, { timeout: 12_000 });
  await clean(page, rec);
});

test("Tab goes picker, New, conversation, its controls, error card, prompt, then Send or Stop", { skip }, async (t) => {
  const { page, rec } = await open(t, { width: 520, height: 1400 });
  await send(page, { type: "transcript", session: STOPPED_TRANSCRIPT });
  await send(page, { type: "error", error: ERROR_CARD });
  const tabOrder = async () => {
    await page.focus("#session-picker");
    const order = ["session-picker"];
    for (let k = 0; k < 10; k++) {
      await page.keyboard.press("Tab");
      const at = await page.evaluate(() => {
        const a = document.activeElement;
        if (!a || a === document.body) return null;
        return a.id || (a.dataset.action ? "action:" + a.dataset.action : a.tagName === "SUMMARY" ? "summary:" + a.textContent : a.className);
      });
      if (at === null) break;
      order.push(at);
    }
    return order;
  };
  const conversation = ["session-picker", "new-session", "transcript", "summary:M2 thought", "action:setApiKey", "action:openSettings", "action:copyDetails", "prompt"];
  await page.fill("#prompt", "x");
  assert.deepEqual(await tabOrder(), [...conversation, "send"], "idle: Send (Stop is disabled)");
  await send(page, { type: "turnStarted", prompt: "go", origin: "chat" });
  assert.deepEqual(await tabOrder(), [...conversation, "stop"], "running: Stop (Send is disabled)");
  await clean(page, rec);
});

test("at 200px wide the picker keeps a usable width and nothing overflows sideways", { skip }, async (t) => {
  const { page, rec } = await open(t, { width: 200, height: 700, query: "?theme=dark-modern" });
  await send(page, { type: "sessions", sessions: SESSIONS, current: "s2" }, { type: "transcript", session: TRANSCRIPT });
  await send(page, { type: "error", error: ERROR_CARD });
  const r = await page.evaluate(() => {
    const rect = (id) => document.getElementById(id).getBoundingClientRect();
    const overflow = Array.from(document.querySelectorAll("body *")).filter((e) => {
      const b = e.getBoundingClientRect();
      return b.width > 0 && b.right > window.innerWidth + 1 && !e.closest("pre, .tool-args, .md-code, table, option");
    }).map((e) => e.className || e.tagName);
    return { picker: rect("session-picker").width, prompt: rect("prompt").width, send: rect("send").right, scroll: document.documentElement.scrollWidth, overflow };
  });
  assert.ok(r.picker >= 120, `picker ${r.picker}px`);
  assert.ok(r.prompt >= 120, `prompt ${r.prompt}px`);
  assert.ok(r.send <= 200, `Send fits: ${r.send}`);
  assert.equal(r.scroll, 200, "no sideways scroll");
  assert.deepEqual(r.overflow, []);
  await page.evaluate(() => { document.getElementById("transcript").scrollTop = 0; });
  await shot(page, "narrow-200px.png");
  await clean(page, rec);
});

test("the transcript survives a reload through getState/setState; a turn cut by the reload is dropped for the replay", { skip }, async (t) => {
  const { page, rec } = await open(t);
  await send(page, { type: "sessions", sessions: SESSIONS, current: "s2" }, { type: "transcript", session: TRANSCRIPT });
  await send(page, { type: "turnStarted", prompt: "one more", origin: "chat" });
  await send(page, delta({ kind: "text", text: "half" }));
  await page.waitForTimeout(400); // state is saved on a short timer
  await page.reload();
  await page.waitForFunction(() => window.__posted.some((m) => m.type === "ready"));
  const r = await page.evaluate(() => ({
    users: Array.from(document.querySelectorAll(".msg-user .bubble")).map((b) => b.textContent),
    cards: document.querySelectorAll(".tool-card").length,
    picker: document.getElementById("session-picker").value,
    usage: document.getElementById("usage").textContent,
    stop: document.getElementById("stop").disabled,
  }));
  assert.deepEqual(r, { users: ["Why does the upload retry forever?"], cards: 2, picker: "s2", usage: "context 12.3k", stop: true });
  await clean(page, rec);
});
