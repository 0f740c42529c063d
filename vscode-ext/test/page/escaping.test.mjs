// Model output (and anything else the extension relays: session titles, tool names, error text) is
// shown as text, never run: the attack strings below go through every path into the page.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { assertClean, delta, openPage, send, shot, skip, startHarness } from "./harness.mjs";
import { NOW } from "./fixtures.mjs";

let h;
before(async () => {
  if (!skip) h = await startHarness();
});
after(async () => {
  if (h) await h.close();
});

const ATTACKS = [
  "Look: <script>alert(1)</script> and <img src=x onerror=\"alert(2);window.__pwned=1\">",
  "<div onclick=alert(12)>raw block</div>\n\n<iframe src=javascript:alert(13)></iframe>",
  "[x](javascript:alert(3)) [y](JaVaScRiPt:alert(14)) [z](&#106;avascript:alert(15)) <javascript:alert(16)>",
  "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxNyk8L3NjcmlwdD4=) ![i](http://example.invalid/i.png) ![p](data:image/png;base64,AAAA)",
  '![x" onerror="alert(18)](y.png) [t](https://example.com/ "t\\" onmouseover=\\"alert(19)") [q](https://example.com/"onmouseover="alert(20))',
  "````\n```\n<script>alert(21)</script>\n```\n````",
  '```" onmouseover="alert(22)\nfence one\n```\n\n```js"><img src=x onerror=alert(23)>\nfence two\n```',
  "<svg onload=alert(24)> <a href=javascript:alert(25)>a</a> <style>*{display:none}</style>",
].join("\n\n");

/** Everything that could run or load: elements, event-handler attributes, non-web hrefs, styles. */
const scan = () => ({
  elements: document.querySelectorAll("img, svg, iframe, object, embed, style, link:not([rel=stylesheet]), form:not(#composer-form), input, video, audio").length,
  scripts: document.querySelectorAll("script").length,
  handlers: Array.from(document.querySelectorAll("*")).flatMap((e) => Array.from(e.attributes).filter((a) => /^on/i.test(a.name)).map((a) => `${e.tagName}.${a.name}`)),
  hrefs: Array.from(document.querySelectorAll("[href]")).map((e) => e.getAttribute("href")).filter((h) => !/^https?:\/\//.test(h) && !/\/media\/chat\.css$/.test(h)),
  styleAttrs: document.querySelectorAll("[style]").length,
  codeClasses: Array.from(document.querySelectorAll("pre > code")).map((c) => c.className),
  pwned: window.__pwned,
});

test("attack strings in model text, thinking, prompts, titles, tool cards and error cards stay text", { skip }, async (t) => {
  const { page, rec } = await openPage(h, t, { width: 520, height: 2400 });
  await send(page, { type: "sessions", sessions: [{ id: "e", title: "<img src=x onerror=alert(4)>", updated: NOW, turns: 1, contextTokens: 0, workspace: "" }], current: "e" });
  await send(page, { type: "turnStarted", prompt: "<b>bold?</b><script>alert(5)</script>", origin: "codeAction" });
  await send(page, delta({ kind: "thinking", text: "<img src=x onerror=alert(6)>" }));
  for (const c of ATTACKS.match(/.{1,7}/gs)) await page.evaluate((d) => window.postMessage(d, "*"), delta({ kind: "text", text: c }));
  await send(page, delta({ kind: "toolStart", tool: { id: "x1", name: "<svg onload=alert(7)>", arguments: { path: "<img src=x onerror=alert(8)>" } } }));
  await send(page, delta({ kind: "toolEnd", tool: { id: "x1", name: "<svg onload=alert(7)>", arguments: {}, ok: false, summary: "<img src=x onerror=alert(9)>" } }));
  await send(page, { type: "turnEnded", result: { sessionId: "e", text: ATTACKS, stopReason: "end_turn" } });
  await send(page, { type: "error", error: { id: '"><img src=x onerror=alert(10)>', code: "<b>x</b>", title: "<img src=x onerror=alert(10)>", detail: "<script>alert(11)</script>", traceId: "<i>t</i>", actions: ["retry", "<img>"] } });
  await send(page, { type: "notice", message: "<img src=x onerror=alert(26)>" });
  await page.waitForTimeout(200);

  const r = await page.evaluate(scan);
  assert.deepEqual(rec.dialogs, [], "no alert ran");
  assert.equal(r.pwned, undefined);
  assert.equal(r.elements, 0, "no image, frame, svg or style element");
  assert.equal(r.scripts, 2, "only the stand-in and chat.js");
  assert.deepEqual(r.handlers, [], "no event-handler attribute anywhere");
  assert.deepEqual(r.hrefs, [], "every link is http(s)");
  assert.equal(r.styleAttrs, 0);
  for (const cls of r.codeClasses) assert.match(cls, /^hljs( language-[A-Za-z0-9_+.-]+)?$/, "a fence's language cannot leave its class attribute");

  const text = await page.evaluate(() => ({
    answer: document.querySelector(".answer-text").innerText,
    codes: Array.from(document.querySelectorAll(".answer-text pre > code")).map((c) => c.textContent),
    thinking: document.querySelector(".thinking-text").textContent,
    user: document.querySelector(".msg-user .bubble").textContent,
    option: document.querySelector("#session-picker option").textContent,
    tool: document.querySelector(".tool-card .tool-name").textContent,
    card: [document.querySelector(".error-title").textContent, document.querySelector(".error-detail").textContent, document.querySelector(".error-trace").textContent],
    buttons: Array.from(document.querySelectorAll(".msg-error button")).map((b) => b.dataset.action),
    notice: document.querySelector(".notice").textContent,
  }));
  for (const s of ["<script>alert(1)</script>", '<img src=x onerror="alert(2);window.__pwned=1">', "<div onclick=alert(12)>raw block</div>", "[x](javascript:alert(3))", "<svg onload=alert(24)>", "<style>*{display:none}</style>"]) {
    assert.ok(text.answer.includes(s), `shown as text: ${s}`);
  }
  assert.ok(text.answer.includes("[image: i] http://example.invalid/i.png"), "images are text");
  assert.ok(text.answer.includes("[image: p] data:image/png;base64,AAAA"));
  assert.ok(text.codes.includes("```\n<script>alert(21)</script>\n```"), "a nested fence is code: " + JSON.stringify(text.codes));
  assert.ok(text.codes.includes("fence one") && text.codes.includes("fence two"));
  assert.equal(text.thinking, "<img src=x onerror=alert(6)>");
  assert.equal(text.user, "<b>bold?</b><script>alert(5)</script>");
  assert.match(text.option, /^<img src=x onerror=alert\(4\)>/);
  assert.equal(text.tool, "<svg onload=alert(7)>");
  assert.deepEqual(text.card, ["<img src=x onerror=alert(10)>", "<script>alert(11)</script>", "Trace ID <i>t</i>"]);
  assert.deepEqual(text.buttons, ["retry"], "an unknown action gets no button");
  assert.equal(text.notice, "<img src=x onerror=alert(26)>");

  // Clicking every link asks only for http(s) addresses.
  for (const a of await page.$$(".answer-text a")) await a.click();
  const opened = await page.evaluate(() => window.__posted.filter((m) => m.type === "openLink").map((m) => m.href));
  assert.ok(opened.every((u) => /^https:\/\/example\.com\//.test(u)), JSON.stringify(opened));
  await shot(page, "escaped.png");
  await assertClean(h, page, rec);
});

test("markdown renderer details: tables, quotes, unclosed fences, escapes and pathological input", { skip }, async (t) => {
  const { page, rec } = await openPage(h, t);
  const out = await page.evaluate(() => {
    const md = window.m2RenderMarkdown;
    const started = performance.now();
    const deep = [md("> ".repeat(3000) + "x"), md("- ".repeat(3000) + "x"), md("[".repeat(20000) + "](" + "~~a ".repeat(5000)), md("*a **".repeat(5000))];
    return {
      table: md("| a | b |\n|---|--:|\n| 1 | 2 |"),
      quote: md("> quoted *text*"),
      unclosed: md("```py\nprint('hi')"),
      amp: md("a & b <c> \"d\""),
      escaped: md("\\*not italic\\*"),
      unknownLang: md("```nosuchlang\n<b>x</b>\n```"),
      snake: md("call my_func_name here"),
      deepOk: deep.every((x) => typeof x === "string" && x.length > 0),
      ms: performance.now() - started,
    };
  });
  assert.equal(out.table, '<table>\n<thead>\n<tr>\n<th>a</th>\n<th class="align-right">b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td class="align-right">2</td>\n</tr>\n</tbody>\n</table>\n');
  assert.equal(out.quote, "<blockquote>\n<p>quoted <em>text</em></p>\n</blockquote>\n");
  assert.match(out.unclosed, /<code class="hljs language-py"><span class="hljs-built_in">print<\/span>\(<span class="hljs-string">&#x27;hi&#x27;<\/span>\)<\/code>/);
  assert.equal(out.amp, "<p>a &amp; b &lt;c&gt; &quot;d&quot;</p>\n");
  assert.equal(out.escaped, "<p>*not italic*</p>\n");
  assert.match(out.unknownLang, /<code class="hljs language-nosuchlang">&lt;b&gt;x&lt;\/b&gt;<\/code>/);
  assert.equal(out.snake, "<p>call my_func_name here</p>\n");
  assert.ok(out.deepOk, "deeply nested or pathological input still renders");
  assert.ok(out.ms < 3000, `pathological input renders quickly (${out.ms} ms)`);
  await assertClean(h, page, rec);
});
