// The chat view's page (media/chat.js + media/chat.css, HTML from src/chatHtml.ts) in headless
// Chromium, as a plain page with a stand-in for the VS Code webview API.
//
//   cd vscode-ext && node --test test/page/
//
// Uses Debian's Chromium at /usr/bin/chromium (or $CHROMIUM_PATH); Playwright never downloads one.
// Screenshots go to vscode-ext/test-artifacts/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const extRoot = path.resolve(here, "..", "..");
const mediaDir = path.join(extRoot, "media");
const artifacts = path.join(extRoot, "test-artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const skip = fs.existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`;

/** src/chatHtml.ts compiled on the fly, imported as a module. */
async function loadChatHtml() {
  const source = fs.readFileSync(path.join(extRoot, "src", "chatHtml.ts"), "utf8");
  const { code } = await transform(source, { loader: "ts", format: "esm", target: "node20" });
  return import("data:text/javascript;base64," + Buffer.from(code).toString("base64"));
}

// A few of VS Code's "Light+" colours, to check the page follows the theme instead of its own.
const LIGHT_THEME = {
  "--vscode-font-family": "system-ui, sans-serif",
  "--vscode-font-size": "13px",
  "--vscode-editor-font-family": "monospace",
  "--vscode-editor-font-size": "12px",
  "--vscode-foreground": "#616161",
  "--vscode-descriptionForeground": "#717171",
  "--vscode-editor-background": "#ffffff",
  "--vscode-sideBar-background": "#f3f3f3",
  "--vscode-widget-border": "#d4d4d4",
  "--vscode-focusBorder": "#0090f1",
  "--vscode-button-background": "#007acc",
  "--vscode-button-foreground": "#ffffff",
  "--vscode-button-hoverBackground": "#0062a3",
  "--vscode-button-secondaryBackground": "#5f6a79",
  "--vscode-button-secondaryForeground": "#ffffff",
  "--vscode-input-background": "#ffffff",
  "--vscode-input-foreground": "#616161",
  "--vscode-input-border": "#cecece",
  "--vscode-dropdown-background": "#ffffff",
  "--vscode-dropdown-foreground": "#616161",
  "--vscode-dropdown-border": "#cecece",
  "--vscode-textCodeBlock-background": "rgba(220, 220, 220, 0.4)",
  "--vscode-textLink-foreground": "#006ab1",
  "--vscode-errorForeground": "#a1260d",
  "--vscode-inputValidation-errorBackground": "#f2dede",
  "--vscode-inputValidation-errorBorder": "#be1100",
  "--vscode-editorWidget-background": "#ffffff",
  "--vscode-inputOption-activeBackground": "rgba(0, 144, 241, 0.2)",
  "--vscode-inputOption-activeBorder": "#007acc",
  "--vscode-testing-iconPassed": "#388a34",
  "--vscode-diffEditor-insertedLineBackground": "rgba(155, 185, 85, 0.2)",
  "--vscode-diffEditor-removedLineBackground": "rgba(255, 0, 0, 0.2)",
  "--vscode-gitDecoration-addedResourceForeground": "#587c0c",
  "--vscode-gitDecoration-deletedResourceForeground": "#ad0707",
};

// The stand-in for the webview API: records posted messages, keeps state in sessionStorage (so it
// survives a reload, like the real getState/setState), and throws on a second acquireVsCodeApi()
// as VS Code does. It also records CSP violations from the very start.
const STUB = `(function () {
  window.__posted = [];
  window.__violations = [];
  document.addEventListener("securitypolicyviolation", function (e) {
    window.__violations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
  });
  // ?theme=light: VS Code's light theme variables, set on <html> the way VS Code sets them.
  if (/theme=light/.test(location.search)) {
    var vars = ${JSON.stringify(LIGHT_THEME)};
    for (var k in vars) document.documentElement.style.setProperty(k, vars[k]);
    document.documentElement.style.setProperty("background", vars["--vscode-sideBar-background"]);
    document.body.classList.add("vscode-light");
  }
  var acquired = false;
  window.acquireVsCodeApi = function () {
    if (acquired) throw new Error("An instance of the VS Code API has already been acquired");
    acquired = true;
    return Object.freeze({
      postMessage: function (m) { window.__posted.push(JSON.parse(JSON.stringify(m))); },
      getState: function () { var s = sessionStorage.getItem("vscode-state"); return s ? JSON.parse(s) : undefined; },
      setState: function (s) { sessionStorage.setItem("vscode-state", JSON.stringify(s)); return s; }
    });
  };
})();
`;

let server;
let origin;
let browser;
let pageHtml;

before(async () => {
  if (skip) return;
  fs.mkdirSync(artifacts, { recursive: true });
  const { renderChatHtml, makeNonce } = await loadChatHtml();
  const nonce = makeNonce();
  server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const send = (status, type, body) => {
      res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
      res.end(body);
    };
    if (url.pathname === "/" || url.pathname === "/index.html") return send(200, "text/html; charset=utf-8", pageHtml);
    if (url.pathname === "/favicon.ico") return send(204, "image/x-icon", "");
    if (url.pathname === "/stub/vscode-api.js") return send(200, "text/javascript; charset=utf-8", STUB);
    const m = /^\/media\/([\w.-]+\.(js|css))$/.exec(url.pathname);
    if (m) {
      const file = path.join(mediaDir, m[1]);
      if (fs.existsSync(file)) {
        return send(200, m[2] === "js" ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8", fs.readFileSync(file));
      }
    }
    send(404, "text/plain", "not found");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  const html = renderChatHtml({
    nonce,
    cspSource: origin,
    scriptUri: `${origin}/media/chat.js`,
    styleUri: `${origin}/media/chat.css`,
  });
  // The stand-in goes in right before chat.js, with the same nonce (the CSP stays as rendered).
  const chatTag = `<script nonce="${nonce}" src="${origin}/media/chat.js"></script>`;
  assert.ok(html.includes(chatTag), "renderChatHtml emits the nonce-tagged chat.js script");
  pageHtml = html.replace(chatTag, `<script nonce="${nonce}" src="${origin}/stub/vscode-api.js"></script>\n${chatTag}`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await new Promise((resolve) => server.close(resolve));
});

/** A fresh page (own context, so own sessionStorage) with dialogs, errors and requests recorded. */
async function openPage(t, { width = 480, height = 820, query = "" } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const rec = { dialogs: [], errors: [], requests: [], failed: [] };
  page.on("dialog", (d) => {
    rec.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on("pageerror", (e) => rec.errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") rec.errors.push(m.text());
  });
  page.on("request", (r) => rec.requests.push(r.url()));
  page.on("requestfailed", (r) => rec.failed.push({ url: r.url(), error: r.failure()?.errorText }));
  await page.goto(origin + "/" + query);
  await page.waitForFunction(() => Array.isArray(window.__posted) && window.__posted.some((m) => m.type === "ready"));
  t.after(() => context.close());
  return { page, rec };
}

/** Deliver ToPage messages, then wait until they were handled and two frames were drawn. */
async function send(page, ...messages) {
  await page.evaluate(async (msgs) => {
    for (const m of msgs) window.postMessage(m, "*");
    const token = "__sync" + Math.random();
    await new Promise((resolve) => {
      window.addEventListener("message", function h(e) {
        if (e.data === token) {
          window.removeEventListener("message", h);
          resolve();
        }
      });
      window.postMessage(token, "*");
    });
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  }, messages);
}

const posted = (page) => page.evaluate(() => window.__posted);
const delta = (d) => ({ type: "delta", delta: { sessionId: "s-live", ...d } });

/** No page errors, no CSP violations, nothing fetched from anywhere but our own origin. */
async function assertClean(page, rec, { allowViolations = false } = {}) {
  const errors = allowViolations ? rec.errors.filter((e) => !/Content Security Policy/.test(e)) : rec.errors;
  assert.deepEqual(errors, [], "no page errors");
  assert.deepEqual(rec.dialogs, [], "no dialogs");
  // Playwright reports a request even when the CSP stops it before the network: those are fine.
  const blocked = new Set(rec.failed.filter((f) => /^csp$|BLOCKED_BY_CSP/i.test(f.error || "")).map((f) => f.url));
  const foreign = rec.requests.filter((u) => !u.startsWith(origin + "/") && !u.startsWith("data:") && !(allowViolations && blocked.has(u)));
  assert.deepEqual(foreign, [], "no request leaves the page's origin");
  if (!allowViolations) assert.deepEqual(await page.evaluate(() => window.__violations), [], "no CSP violations");
}

async function shot(page, name) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: path.join(artifacts, name) });
}

const NOW = Math.floor(Date.now() / 1000);
// Noon today, local time: "today" whatever the hour the suite runs (ten minutes ago is yesterday just after midnight).
const TODAY_NOON = Math.floor(new Date().setHours(12, 0, 0, 0) / 1000);
const SESSIONS = [
  { id: "s1", title: "Fix the flaky upload test", updated: TODAY_NOON, turns: 12, contextTokens: 30000, workspace: "/work/app" },
  { id: "s2", title: "Explain the LSP bridge", updated: 1751362200, turns: 4, contextTokens: 8100, workspace: "/work/m2bridge" },
  { id: "s3", title: "", updated: 1751000000, turns: 2, contextTokens: 900, workspace: "/work/m2bridge" },
];

const ANSWER_MD = [
  "## Plan",
  "",
  "The retry loop in **upload.ts** resets `attempt` *too early*:",
  "",
  "- read the file",
  "- fix the `attempt` counter",
  "  - keep the backoff",
  "- run the tests",
  "",
  "1. first",
  "2. second",
  "",
  "```ts",
  "for (let attempt = 0; attempt < 3; attempt++) {",
  "  await send();",
  "}",
  "```",
  "",
  "See [the docs](https://example.com/retry) for details.",
].join("\n");

const TRANSCRIPT = {
  id: "s2",
  title: "Explain the LSP bridge",
  workspace: "/work/m2bridge",
  updated: 1751362200,
  contextTokens: 12345,
  turns: [
    { index: 0, created: 1751360000, kind: "context", source: "src/upload.ts", text: "File: src/upload.ts\nSelection: lines 10-14\nfor (let attempt = 0; ...)" },
    { index: 1, created: 1751360001, kind: "user", text: "Why does the upload retry forever?" },
    {
      index: 2,
      created: 1751360002,
      kind: "assistant",
      blocks: [
        { type: "thinking", text: "The counter is reset inside the loop body; I should look at upload.ts first." },
        { type: "text", text: "Let me look at the file." },
        { type: "tool_call", id: "call_1", name: "edit_file", arguments: { path: "src/upload.ts", old_string: "let attempt = 0;\nwhile (true) {\n  attempt = 0;\n  await send();", new_string: "let attempt = 0;\nwhile (attempt < 3) {\n  attempt++;\n  await send();" } },
        { type: "tool_call", id: "call_2", name: "run_command", arguments: { command: "npm test -- upload", timeout: 120 } },
      ],
      incomplete: false,
      stopReason: "tool_use",
    },
    {
      index: 3,
      created: 1751360003,
      kind: "tool_results",
      results: [
        { toolCallId: "call_1", name: "edit_file", content: "edited src/upload.ts: replaced 1 occurrence\n--- a/src/upload.ts\n+++ b/src/upload.ts", isError: false },
        { toolCallId: "call_2", name: "run_command", content: "exit code 1\n1 failing: upload retries", isError: true },
      ],
    },
    {
      index: 4,
      created: 1751360004,
      kind: "assistant",
      blocks: [
        { type: "thinking", text: "One test still fails; the answer should explain the fix." },
        { type: "text", text: ANSWER_MD },
      ],
      incomplete: false,
      stopReason: "end_turn",
    },
  ],
};

// ------------------------------------------------------------------------------------------------

test("loads under the CSP, posts ready, no inline script or style", { skip }, async (t) => {
  const { page, rec } = await openPage(t);
  const messages = await posted(page);
  assert.deepEqual(messages[0], { type: "ready" });
  const info = await page.evaluate(() => ({
    csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute("content"),
    inlineScripts: document.querySelectorAll("script:not([src])").length,
    styleAttrs: document.querySelectorAll("[style]").length,
    styleTags: document.querySelectorAll("style").length,
    stopDisabled: document.getElementById("stop").disabled,
    sendDisabled: document.getElementById("send").disabled,
    standalone: document.documentElement.classList.contains("standalone"),
  }));
  assert.match(info.csp, /default-src 'none'/);
  assert.match(info.csp, /script-src 'nonce-[A-Za-z0-9]{32}'/);
  assert.match(info.csp, new RegExp(`style-src ${origin.replace(/[.]/g, "\\.")};`));
  assert.equal(info.inlineScripts, 0);
  assert.equal(info.styleAttrs, 0);
  assert.equal(info.styleTags, 0);
  assert.equal(info.stopDisabled, true, "Stop is disabled while nothing runs");
  assert.equal(info.sendDisabled, false);
  assert.equal(info.standalone, true, "outside VS Code the page uses its own theme");
  await assertClean(page, rec);
});

test("the CSP blocks inline scripts and remote images", { skip }, async (t) => {
  const { page, rec } = await openPage(t);
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
  await page.waitForTimeout(100);
  assert.deepEqual(rec.failed, [{ url: "https://example.invalid/pixel.png", error: "csp" }]);
  await assertClean(page, rec, { allowViolations: true });
});

test("session picker lists sessions and opens one; New and refresh post", { skip }, async (t) => {
  const { page, rec } = await openPage(t);
  await send(page, { type: "sessions", sessions: SESSIONS, current: "s2" });
  const options = await page.$$eval("#session-picker option", (os) => os.map((o) => ({ value: o.value, text: o.textContent, selected: o.selected })));
  assert.deepEqual(options.map((o) => o.value), ["s1", "s2", "s3"]);
  assert.match(options[0].text, /^Fix the flaky upload test · today \d\d:\d\d$/);
  assert.match(options[1].text, /^Explain the LSP bridge · 2025-07-0[12] \d\d:\d\d$/);
  assert.match(options[2].text, /^Untitled · /);
  assert.equal(await page.$eval("#session-picker", (s) => s.value), "s2");

  await page.selectOption("#session-picker", "s3");
  await page.click("#new-session");
  await page.click("#refresh-sessions");
  const msgs = (await posted(page)).slice(1);
  assert.deepEqual(msgs, [{ type: "openSession", id: "s3" }, { type: "newSession" }, { type: "refreshSessions" }]);

  // A new session is not in the list yet: a placeholder is selected.
  await send(page, { type: "sessions", sessions: SESSIONS, current: null });
  assert.equal(await page.$eval("#session-picker", (s) => s.selectedOptions[0].textContent), "New session");
  await assertClean(page, rec);
});

test("a transcript renders user, context, thinking, markdown and tool cards", { skip }, async (t) => {
  const { page, rec } = await openPage(t, { width: 520, height: 1500 });
  await send(page, { type: "sessions", sessions: SESSIONS, current: "s2" }, { type: "transcript", session: TRANSCRIPT });

  const r = await page.evaluate(() => {
    const q = (s) => document.querySelector(s);
    const qa = (s) => Array.from(document.querySelectorAll(s));
    const md = qa(".msg-assistant .answer-text").pop();
    return {
      user: q(".msg-user .bubble").textContent,
      contextTag: q(".msg-context").tagName,
      contextOpen: q(".msg-context").open,
      contextSummary: q(".msg-context summary").textContent,
      thinking: qa(".thinking").map((d) => ({ open: d.open, summary: d.querySelector("summary").textContent })),
      thinkingVisible: q(".thinking .thinking-text").checkVisibility(),
      h2: md.querySelector("h2")?.textContent,
      strong: md.querySelector("strong")?.textContent,
      em: md.querySelector("em")?.textContent,
      topItems: Array.from(md.querySelectorAll(":scope > ul > li")).map((li) => li.firstChild.textContent),
      nested: md.querySelector("ul ul li")?.textContent,
      ol: Array.from(md.querySelectorAll("ol > li")).map((li) => li.textContent),
      codeClass: md.querySelector("pre code")?.className,
      code: md.querySelector("pre code")?.textContent,
      inlineCode: md.querySelector("p code")?.textContent,
      link: md.querySelector(".md-link")?.textContent,
      url: md.querySelector(".md-url")?.textContent,
      anchors: document.querySelectorAll("a").length,
      text: md.innerText,
      cards: qa(".tool-card").map((c) => ({
        name: c.dataset.toolName,
        cls: c.className,
        args: c.querySelector(".tool-args")?.textContent ?? null,
        summary: c.querySelector(".tool-summary")?.textContent ?? null,
        del: Array.from(c.querySelectorAll(".diff-del")).map((l) => l.textContent),
        add: Array.from(c.querySelectorAll(".diff-add")).map((l) => l.textContent),
        command: c.querySelector(".tool-command")?.textContent ?? null,
      })),
      usage: q("#usage").textContent,
      stopDisabled: q("#stop").disabled,
    };
  });
  assert.equal(r.user, "Why does the upload retry forever?");
  assert.equal(r.contextTag, "DETAILS");
  assert.equal(r.contextOpen, false, "editor context is collapsed");
  assert.match(r.contextSummary, /^Editor context/);
  assert.deepEqual(r.thinking, [{ open: false, summary: "Thought" }, { open: false, summary: "Thought" }]);
  assert.equal(r.thinkingVisible, false);
  assert.equal(r.h2, "Plan");
  assert.equal(r.strong, "upload.ts");
  assert.equal(r.em, "too early");
  assert.deepEqual(r.topItems, ["read the file", "fix the ", "run the tests"]);
  assert.equal(r.nested, "keep the backoff");
  assert.deepEqual(r.ol, ["first", "second"]);
  assert.equal(r.codeClass, "language-ts");
  assert.equal(r.code, "for (let attempt = 0; attempt < 3; attempt++) {\n  await send();\n}");
  assert.equal(r.inlineCode, "attempt");
  assert.equal(r.link, "the docs");
  assert.equal(r.url, "https://example.com/retry");
  assert.equal(r.anchors, 0, "links are text, never anchors");
  assert.doesNotMatch(r.text, /\*\*|```|^##/m, "no raw markdown left");

  assert.equal(r.cards.length, 2);
  const [edit, run] = r.cards;
  assert.equal(edit.name, "edit_file");
  assert.match(edit.cls, /state-ok/);
  assert.equal(edit.args, '{"path":"src/upload.ts"}');
  assert.equal(edit.summary, "edited src/upload.ts: replaced 1 occurrence");
  assert.deepEqual(edit.del, ["-while (true) {", "-  attempt = 0;"]);
  assert.deepEqual(edit.add, ["+while (attempt < 3) {", "+  attempt++;"]);
  assert.equal(run.name, "run_command");
  assert.match(run.cls, /state-failed/);
  assert.equal(run.command, "$ npm test -- upload");
  assert.equal(run.summary, "exit code 1");
  assert.equal(r.usage, "context 12.3k");
  assert.equal(r.stopDisabled, true);
  await shot(page, "chat-transcript.png");

  // The thinking block expands on click and collapses again.
  await page.click(".msg-assistant .thinking >> nth=0 >> summary");
  const opened = await page.evaluate(() => {
    const d = document.querySelector(".thinking");
    return { open: d.open, visible: d.querySelector(".thinking-text").checkVisibility(), text: d.querySelector(".thinking-text").innerText };
  });
  assert.equal(opened.open, true);
  assert.equal(opened.visible, true);
  assert.match(opened.text, /The counter is reset inside the loop body/);
  await page.click(".msg-context summary");
  assert.equal(await page.$eval(".msg-context", (d) => d.open), true);
  await shot(page, "chat-thinking-open.png");
  await page.click(".msg-assistant .thinking >> nth=0 >> summary");
  assert.equal(await page.$eval(".thinking", (d) => d.open), false);
  await assertClean(page, rec);
});

test("streaming: thinking, text in small pieces, tool cards, usage, turn end", { skip }, async (t) => {
  const { page, rec } = await openPage(t, { width: 480, height: 900 });
  await send(page, { type: "sessions", sessions: SESSIONS, current: "s1" });
  await send(page, { type: "turnStarted", prompt: "Fix the retry loop in upload.ts" });
  assert.equal(await page.$eval("#stop", (b) => b.disabled), false, "Stop is enabled while a turn runs");
  assert.equal(await page.$eval("#send", (b) => b.disabled), true);
  assert.equal(await page.evaluate(() => Array.from(document.querySelectorAll(".msg-user .bubble")).pop().textContent), "Fix the retry loop in upload.ts");

  const thought = "The loop resets attempt each time round. I will edit upload.ts and run the tests.";
  for (const piece of thought.match(/.{1,7}/gs)) await send(page, delta({ kind: "thinking", text: piece }));
  const during = await page.evaluate(() => ({
    summary: document.querySelector(".thinking summary").textContent,
    open: document.querySelector(".thinking").open,
    text: document.querySelector(".thinking .thinking-text").textContent,
  }));
  assert.deepEqual(during, { summary: "Thinking…", open: false, text: thought });
  await shot(page, "chat-streaming-thinking.png");

  // The thinking toggle works mid-stream and keeps its state while more arrives.
  await page.click(".thinking summary");
  assert.equal(await page.$eval(".thinking", (d) => d.open), true);

  const intro = "I'll fix **the counter** first.\n\n";
  // Several deltas per evaluate (one frame) and across frames.
  const chunks = intro.match(/.{1,3}/gs);
  await page.evaluate((ds) => ds.forEach((d) => window.postMessage(d, "*")), chunks.slice(0, 4).map((c) => delta({ kind: "text", text: c })));
  for (const c of chunks.slice(4)) await send(page, delta({ kind: "text", text: c }));
  assert.equal(await page.$eval(".thinking summary", (s) => s.textContent), "Thought", "thinking ends when text starts");
  assert.equal(await page.$eval(".thinking", (d) => d.open), true, "the reader's open toggle survives");

  const editArgs = { path: "src/upload.ts", old_string: "while (true) {\n  attempt = 0;", new_string: "while (attempt < 3) {\n  attempt++;" };
  await send(page, delta({ kind: "toolStart", tool: { id: "t1", name: "edit_file", arguments: editArgs } }));
  await send(page, delta({ kind: "usage", inputTokens: 12000, outputTokens: 300, contextTokens: 12345, contextWindow: 204800 }));
  const running = await page.evaluate(() => {
    const c = document.querySelector('.tool-card[data-tool-id="t1"]');
    return { cls: c.className, spinner: !!c.querySelector(".spinner"), label: c.querySelector(".tool-status").getAttribute("aria-label") };
  });
  assert.match(running.cls, /state-running/);
  assert.equal(running.spinner, true);
  assert.equal(running.label, "running");
  assert.equal(await page.$eval("#usage", (u) => u.textContent), "context 12.3k / 204.8k");
  await shot(page, "chat-streaming.png");

  await send(page, delta({ kind: "toolEnd", tool: { id: "t1", name: "edit_file", arguments: editArgs, ok: true, summary: "edited src/upload.ts: replaced 1 occurrence" } }));
  await send(page, delta({ kind: "toolStart", tool: { id: "t2", name: "write_file", arguments: { path: "notes/retry.md", content: "# Retry\n\nThree attempts, then give up.\n" } } }));
  await send(page, delta({ kind: "toolEnd", tool: { id: "t2", name: "write_file", arguments: {}, ok: true, summary: "created notes/retry.md (40 bytes)" } }));
  await send(page, delta({ kind: "toolStart", tool: { id: "t3", name: "run_command", arguments: { command: "npm test" } } }));
  await send(page, delta({ kind: "toolEnd", tool: { id: "t3", name: "run_command", arguments: { command: "npm test" }, ok: false, summary: "exit code 1" } }));
  await send(page, delta({ kind: "thinking", text: "Tests fail for an unrelated reason; summarise." }));

  const final = "### Done\n\n- counter fixed\n- notes written\n\n```js\nattempt++;\n```\n";
  for (const c of final.match(/.{1,2}/gs)) await page.evaluate((d) => window.postMessage(d, "*"), delta({ kind: "text", text: c }));
  await send(page, delta({ kind: "usage", contextTokens: 13000, contextWindow: 204800 }));
  await send(page, { type: "turnEnded", result: { sessionId: "s1", text: "", stopReason: "end_turn", usage: { inputTokens: 12000, outputTokens: 400 }, contextTokens: 13100 } });

  const r = await page.evaluate(() => {
    const a = Array.from(document.querySelectorAll(".msg-assistant")).pop();
    const parts = Array.from(a.querySelector(".parts").children).map((p) =>
      p.classList.contains("thinking") ? "thinking" : p.classList.contains("tool-card") ? "tool:" + p.dataset.toolName : "text"
    );
    const texts = a.querySelectorAll(".answer-text");
    const last = texts[texts.length - 1];
    return {
      parts,
      first: texts[0].innerHTML,
      h3: last.querySelector("h3")?.textContent,
      items: Array.from(last.querySelectorAll("li")).map((l) => l.textContent),
      code: last.querySelector("pre code.language-js")?.textContent,
      lastText: last.innerText,
      summaries: Array.from(a.querySelectorAll(".thinking summary")).map((s) => s.textContent),
      cards: Array.from(a.querySelectorAll(".tool-card")).map((c) => ({
        cls: c.className,
        summary: c.querySelector(".tool-summary")?.textContent,
        diff: c.querySelectorAll(".diff-line").length,
        preview: c.querySelector(".tool-preview")?.textContent ?? null,
        head: c.querySelector(".tool-args")?.textContent ?? null,
      })),
      stopDisabled: document.getElementById("stop").disabled,
      sendDisabled: document.getElementById("send").disabled,
      status: a.querySelector(".status-line").hidden,
      working: a.querySelector(".working").hidden,
      usage: document.getElementById("usage").textContent,
    };
  });
  assert.deepEqual(r.parts, ["thinking", "text", "tool:edit_file", "tool:write_file", "tool:run_command", "thinking", "text"]);
  assert.equal(r.first, "<p>I'll fix <strong>the counter</strong> first.</p>");
  assert.equal(r.h3, "Done");
  assert.deepEqual(r.items, ["counter fixed", "notes written"]);
  assert.equal(r.code, "attempt++;");
  assert.doesNotMatch(r.lastText, /###|```|^- /m);
  assert.deepEqual(r.summaries, ["Thought", "Thought"]);
  assert.match(r.cards[0].cls, /state-ok/);
  assert.equal(r.cards[0].summary, "edited src/upload.ts: replaced 1 occurrence");
  assert.equal(r.cards[0].diff, 4);
  assert.equal(r.cards[1].head, '{"path":"notes/retry.md"}', "toolEnd without arguments keeps the start's");
  assert.equal(r.cards[1].preview, "# Retry\n\nThree attempts, then give up.");
  assert.match(r.cards[2].cls, /state-failed/);
  assert.equal(r.stopDisabled, true, "Stop is disabled after turnEnded");
  assert.equal(r.sendDisabled, false);
  assert.equal(r.status, true, "a normal end shows no status line");
  assert.equal(r.working, true);
  assert.equal(r.usage, "context 13.1k / 204.8k");

  // The second thinking block toggles too.
  await page.click(".msg-assistant .thinking >> nth=1 >> summary");
  assert.equal(await page.$eval(".msg-assistant .thinking:nth-of-type(1)", (d) => d.open), true);
  assert.equal(await page.evaluate(() => document.querySelectorAll(".thinking")[1].open), true);
  await shot(page, "chat-streamed-final.png");
  await assertClean(page, rec);
});

test("Stop posts stop; a cancelled turn is marked stopped", { skip }, async (t) => {
  const { page, rec } = await openPage(t);
  await send(page, { type: "turnStarted", prompt: "Write a long essay" });
  await send(page, delta({ kind: "text", text: "Once upon a time" }));
  await page.click("#stop");
  assert.deepEqual((await posted(page)).slice(1), [{ type: "stop" }]);
  await send(page, { type: "turnEnded", result: { sessionId: "s1", text: "Once upon a time", stopReason: "cancelled", incomplete: true } });
  const r = await page.evaluate(() => ({
    status: document.querySelector(".msg-assistant .status-line").textContent,
    hidden: document.querySelector(".msg-assistant .status-line").hidden,
    stop: document.getElementById("stop").disabled,
    text: document.querySelector(".answer-text").textContent,
  }));
  assert.deepEqual(r, { status: "stopped", hidden: false, stop: true, text: "Once upon a time" });
  // Disabled Stop does nothing.
  await page.click("#stop", { force: true }).catch(() => {});
  assert.equal((await posted(page)).filter((m) => m.type === "stop").length, 1);
  await shot(page, "chat-stopped.png");
  await assertClean(page, rec);
});

test("errors show an error box (turn failures and error messages)", { skip }, async (t) => {
  const { page, rec } = await openPage(t);
  await send(page, { type: "turnStarted", prompt: "Summarise the repo" });
  await send(page, delta({ kind: "thinking", text: "Reading the tree…" }));
  await send(page, {
    type: "turnEnded",
    result: { sessionId: "s1", text: "", stopReason: "error", error: { code: "rate_limited", message: "The model endpoint returned 429: too many requests.", traceId: "abc123" } },
  });
  let boxes = await page.$$eval(".msg-error", (bs) => bs.map((b) => ({ text: b.innerText, role: b.getAttribute("role") })));
  assert.equal(boxes.length, 1);
  assert.match(boxes[0].text, /429: too many requests/);
  assert.match(boxes[0].text, /rate_limited · trace abc123/);
  assert.equal(boxes[0].role, "alert");
  assert.equal(await page.$eval(".msg-assistant .status-line", (s) => s.hidden), true, "the error box says it; no extra label");
  assert.equal(await page.$eval(".thinking summary", (s) => s.textContent), "Thought");

  // An `error` message while a turn runs ends it (a failed request sends no turnEnded).
  await send(page, { type: "turnStarted", prompt: "Try again" });
  assert.equal(await page.$eval("#stop", (b) => b.disabled), false);
  await send(page, { type: "error", message: "m2bridge lsp is not running: start it with `m2bridge lsp`." });
  boxes = await page.$$eval(".msg-error", (bs) => bs.map((b) => b.innerText));
  assert.equal(boxes.length, 2);
  assert.match(boxes[1], /m2bridge lsp is not running/);
  assert.equal(await page.$eval("#stop", (b) => b.disabled), true);
  await shot(page, "chat-error.png");
  await assertClean(page, rec);
});

test("model text with HTML is shown as text, never executed", { skip }, async (t) => {
  const { page, rec } = await openPage(t);
  const evil = 'Look: <script>alert(1)</script> and <img src=x onerror="alert(2);window.__pwned=1"> and [x](javascript:alert(3)) ![i](http://example.invalid/i.png)';
  await send(page, { type: "sessions", sessions: [{ id: "e", title: "<img src=x onerror=alert(4)>", updated: NOW, turns: 1, contextTokens: 0, workspace: "" }], current: "e" });
  await send(page, { type: "turnStarted", prompt: "<b>bold?</b><script>alert(5)</script>" });
  await send(page, delta({ kind: "thinking", text: "<img src=x onerror=alert(6)>" }));
  for (const c of evil.match(/.{1,5}/gs)) await send(page, delta({ kind: "text", text: c }));
  await send(page, delta({ kind: "toolStart", tool: { id: "x1", name: "<svg onload=alert(7)>", arguments: { path: "<img src=x onerror=alert(8)>" } } }));
  await send(page, delta({ kind: "toolEnd", tool: { id: "x1", name: "<svg onload=alert(7)>", arguments: {}, ok: false, summary: "<img src=x onerror=alert(9)>" } }));
  await send(page, { type: "turnEnded", result: { sessionId: "e", text: evil, stopReason: "error", error: { code: "x", message: "<img src=x onerror=alert(10)>", traceId: null } } });
  await send(page, { type: "error", message: "<script>alert(11)</script>" });
  await page.waitForTimeout(200);

  const r = await page.evaluate(() => ({
    imgs: document.querySelectorAll("img, svg, iframe, object, embed").length,
    scripts: document.querySelectorAll("script").length,
    anchors: document.querySelectorAll("a").length,
    pwned: window.__pwned,
    answer: document.querySelector(".answer-text").innerText,
    user: document.querySelector(".msg-user .bubble").innerText,
    errors: Array.from(document.querySelectorAll(".msg-error .error-message")).map((e) => e.innerText),
    option: document.querySelector("#session-picker option").textContent,
    tool: document.querySelector(".tool-card .tool-name").textContent,
  }));
  assert.deepEqual(rec.dialogs, [], "no alert ran");
  assert.equal(r.pwned, undefined);
  assert.equal(r.imgs, 0);
  assert.equal(r.scripts, 2, "only the stand-in and chat.js");
  assert.equal(r.anchors, 0);
  assert.ok(r.answer.includes("<script>alert(1)</script>"), r.answer);
  assert.ok(r.answer.includes('<img src=x onerror="alert(2);window.__pwned=1">'), r.answer);
  assert.ok(r.answer.includes("x javascript:alert(3) "), "the link target is shown as text: " + r.answer);
  assert.ok(r.answer.includes("[image: i] http://example.invalid/i.png"), r.answer);
  assert.equal(r.user, "<b>bold?</b><script>alert(5)</script>");
  assert.deepEqual(r.errors, ["<img src=x onerror=alert(10)>", "<script>alert(11)</script>"]);
  assert.match(r.option, /^<img src=x onerror=alert\(4\)>/);
  assert.equal(r.tool, "<svg onload=alert(7)>");
  await shot(page, "chat-escaped.png");
  await assertClean(page, rec);
});

test("New posts newSession and cleared empties the transcript", { skip }, async (t) => {
  const { page, rec } = await openPage(t);
  await send(page, { type: "transcript", session: TRANSCRIPT });
  assert.ok((await page.$$(".msg")).length > 0);
  assert.equal(await page.$eval("#empty-hint", (h) => h.hidden), true);
  await page.click("#new-session");
  assert.deepEqual((await posted(page)).slice(-1), [{ type: "newSession" }]);
  await send(page, { type: "cleared" });
  assert.equal((await page.$$(".msg")).length, 0);
  assert.equal(await page.$eval("#empty-hint", (h) => h.hidden), false);
  assert.equal(await page.$eval("#usage", (u) => u.textContent), "");
  await assertClean(page, rec);
});

test("Enter sends, Shift+Enter adds a line; nothing is sent while a turn runs", { skip }, async (t) => {
  const { page, rec } = await openPage(t);
  await page.click("#prompt");
  await page.keyboard.type("first line");
  await page.keyboard.press("Shift+Enter");
  await page.keyboard.type("second line");
  await page.keyboard.press("Enter");
  assert.deepEqual((await posted(page)).slice(1), [{ type: "send", prompt: "first line\nsecond line" }]);
  assert.equal(await page.$eval("#prompt", (p) => p.value), "");
  await page.keyboard.press("Enter"); // empty: nothing
  await send(page, { type: "turnStarted", prompt: "first line\nsecond line" });
  await page.keyboard.type("queued?");
  await page.keyboard.press("Enter");
  assert.equal((await posted(page)).length, 2, "no send while running");
  assert.equal(await page.$eval("#prompt", (p) => p.value), "queued?", "the draft is kept");
  await send(page, { type: "turnEnded", result: { sessionId: "s", text: "ok", stopReason: "end_turn" } });
  await page.click("#send");
  assert.deepEqual((await posted(page)).slice(-1), [{ type: "send", prompt: "queued?" }]);
  await assertClean(page, rec);
});

test("the transcript survives a reload through getState/setState", { skip }, async (t) => {
  const { page, rec } = await openPage(t);
  await send(page, { type: "sessions", sessions: SESSIONS, current: "s2" }, { type: "transcript", session: TRANSCRIPT });
  await page.waitForTimeout(400); // state is saved on a short timer
  await page.reload();
  await page.waitForFunction(() => window.__posted.some((m) => m.type === "ready"));
  const r = await page.evaluate(() => ({
    user: document.querySelector(".msg-user .bubble")?.textContent,
    cards: document.querySelectorAll(".tool-card").length,
    picker: document.getElementById("session-picker").value,
    usage: document.getElementById("usage").textContent,
  }));
  assert.deepEqual(r, { user: "Why does the upload retry forever?", cards: 2, picker: "s2", usage: "context 12.3k" });
  await assertClean(page, rec);
});

test("markdown renderer details", { skip }, async (t) => {
  const { page, rec } = await openPage(t);
  const out = await page.evaluate(() => {
    const md = window.m2RenderMarkdown;
    return {
      snake: md("call my_func_name and __init__ here"),
      table: md("| a | b |\n|---|--:|\n| 1 | 2 |"),
      quote: md("> quoted *text*"),
      unclosed: md("```py\nprint('hi')"),
      hr: md("a\n\n---\n\nb"),
      h1: md("# Title #"),
      amp: md("a & b <c> \"d\""),
      image: md("![alt](data:image/png;base64,AAAA)"),
      strike: md("~~old~~ new"),
      escaped: md("\\*not italic\\*"),
      nestedOl: md("1. one\n   - sub\n2. two"),
      loose: md("- a\n\n- b"),
      codeInList: md("- step:\n  ```sh\n  make\n  ```"),
      lang: md("```<script>\nx\n```"),
      paren: md("[wiki](https://en.wikipedia.org/wiki/Foo_(bar)) after"),
      deep: (() => {
        const t = performance.now();
        const a = md("> ".repeat(3000) + "x");
        const b = md("- ".repeat(3000) + "x");
        const c = md("[".repeat(20000) + "](" + "~~a ".repeat(5000));
        return { ok: [a, b, c].every((x) => typeof x === "string" && x.length > 0), ms: performance.now() - t };
      })(),
    };
  });
  assert.equal(out.snake, "<p>call my_func_name and <strong>init</strong> here</p>");
  assert.equal(out.table, '<div class="md-table"><table><thead><tr><th>a</th><th class="align-right">b</th></tr></thead><tbody><tr><td>1</td><td class="align-right">2</td></tr></tbody></table></div>');
  assert.equal(out.quote, "<blockquote><p>quoted <em>text</em></p></blockquote>");
  assert.equal(out.unclosed, '<div class="md-code"><span class="md-code-lang">py</span><pre><code class="language-py">print(&#39;hi&#39;)</code></pre></div>');
  assert.equal(out.hr, "<p>a</p><hr><p>b</p>");
  assert.equal(out.h1, "<h1>Title</h1>");
  assert.equal(out.amp, "<p>a &amp; b &lt;c&gt; &quot;d&quot;</p>");
  assert.equal(out.image, '<p><span class="md-image">[image: alt]</span> <span class="md-url">data:image/png;base64,AAAA</span></p>');
  assert.equal(out.strike, "<p><del>old</del> new</p>");
  assert.equal(out.escaped, "<p>*not italic*</p>");
  assert.equal(out.nestedOl, "<ol><li>one<ul><li>sub</li></ul></li><li>two</li></ol>");
  assert.equal(out.loose, "<ul><li><p>a</p></li><li><p>b</p></li></ul>");
  assert.equal(out.codeInList, '<ul><li>step:<div class="md-code"><span class="md-code-lang">sh</span><pre><code class="language-sh">make</code></pre></div></li></ul>');
  assert.doesNotMatch(out.lang, /<script/);
  assert.equal(out.paren, '<p><span class="md-link">wiki</span> <span class="md-url">https://en.wikipedia.org/wiki/Foo_(bar)</span> after</p>');
  assert.ok(out.deep.ok, "deeply nested or pathological input still renders");
  assert.ok(out.deep.ms < 2000, `pathological input renders quickly (${out.deep.ms} ms)`);
  await assertClean(page, rec);
});

test("inside VS Code the page takes the theme's colours", { skip }, async (t) => {
  const { page, rec } = await openPage(t, { width: 480, height: 1000, query: "?theme=light" });
  await send(page, { type: "sessions", sessions: SESSIONS, current: "s2" }, { type: "transcript", session: TRANSCRIPT });
  await send(page, { type: "error", message: "The model endpoint returned 429: too many requests." });
  const r = await page.evaluate(() => ({
    standalone: document.documentElement.classList.contains("standalone"),
    body: getComputedStyle(document.body).color,
    send: getComputedStyle(document.getElementById("send")).backgroundColor,
    link: getComputedStyle(document.querySelector(".md-link")).color,
    error: getComputedStyle(document.querySelector(".msg-error")).backgroundColor,
  }));
  assert.deepEqual(r, {
    standalone: false,
    body: "rgb(97, 97, 97)",
    send: "rgb(0, 122, 204)",
    link: "rgb(0, 106, 177)",
    error: "rgb(242, 222, 222)",
  });
  await page.evaluate(() => { document.getElementById("transcript").scrollTop = 0; });
  await shot(page, "chat-light-theme.png");
  await assertClean(page, rec);
});
