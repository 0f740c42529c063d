// The chat page (media/chat.js + media/chat.css, built from src/page/ by scripts/build.mjs; HTML from
// src/chatHtml.ts) in headless Chromium, as a plain page with a stand-in for the VS Code webview API.
// Uses Debian's Chromium at /usr/bin/chromium (or $CHROMIUM_PATH); Playwright never downloads one.
// Screenshots go to vscode-ext/test-artifacts/page/.

import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const extRoot = path.resolve(here, "..", "..");
const mediaDir = path.join(extRoot, "media");
export const artifacts = path.join(extRoot, "test-artifacts", "page");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const skip = !fs.existsSync(CHROMIUM)
  ? `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`
  : !fs.existsSync(path.join(mediaDir, "chat.js"))
    ? "media/chat.js is not built (node scripts/build.mjs)"
    : false;

/** The --vscode-* variables of VS Code's four built-in themes, as a real VS Code 1.139 gives them to a
 * webview (test/page/themes/dump.mjs reads them from code-server). */
export const THEMES = Object.fromEntries(
  ["dark-modern", "light-modern", "dark-hc", "light-hc"].map((key) => [key, JSON.parse(fs.readFileSync(path.join(here, "themes", `${key}.json`), "utf8"))]),
);

/** src/chatHtml.ts compiled on the fly, imported as a module. */
async function loadChatHtml() {
  const source = fs.readFileSync(path.join(extRoot, "src", "chatHtml.ts"), "utf8");
  const { code } = await transform(source, { loader: "ts", format: "esm", target: "node20" });
  return import("data:text/javascript;base64," + Buffer.from(code).toString("base64"));
}

// The stand-in for the webview API: records posted messages, keeps state in sessionStorage (so it
// survives a reload, like the real getState/setState), and throws on a second acquireVsCodeApi()
// as VS Code does. It records CSP violations from the very start. ?theme=<key> sets that theme's
// variables on <html> and its class on <body>, as VS Code does, over the side bar's background.
const STUB = `(function () {
  window.__posted = [];
  window.__violations = [];
  document.addEventListener("securitypolicyviolation", function (e) {
    window.__violations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
  });
  var themes = ${JSON.stringify(Object.fromEntries(Object.entries(THEMES).map(([k, t]) => [k, { bodyClass: t.bodyClass, vars: t.vars }])))};
  var m = /theme=([a-z-]+)/.exec(location.search);
  var theme = m && themes[m[1]];
  if (theme) {
    var root = document.documentElement;
    root.style.setProperty("--vscode-font-family", "system-ui, sans-serif");
    root.style.setProperty("--vscode-font-size", "13px");
    root.style.setProperty("--vscode-editor-font-family", "monospace");
    root.style.setProperty("--vscode-editor-font-size", "12px");
    for (var k in theme.vars) root.style.setProperty(k, theme.vars[k]);
    root.style.setProperty("background", theme.vars["--vscode-sideBar-background"]);
    document.addEventListener("DOMContentLoaded", function () { document.body.classList.add(theme.bodyClass); });
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

/** The stylesheet VS Code puts into every webview (code { background: textPreformat-background } among
 * others); the page inherits it in VS Code, so the page tests load it too. */
const WEBVIEW_DEFAULT_CSS = fs.readFileSync(path.join(here, "themes", "webview-default.css"), "utf8");

const TYPES = { js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8", ttf: "font/ttf", map: "application/json" };

/** Starts the page server and Chromium; returns { origin, browser, close }. */
export async function startHarness() {
  fs.mkdirSync(artifacts, { recursive: true });
  const { renderChatHtml, makeNonce } = await loadChatHtml();
  const nonce = makeNonce();
  let pageHtml = "";
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const send = (status, type, body) => {
      res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
      res.end(body);
    };
    if (url.pathname === "/" || url.pathname === "/index.html") return send(200, "text/html; charset=utf-8", pageHtml);
    if (url.pathname === "/favicon.ico") return send(204, "image/x-icon", "");
    if (url.pathname === "/stub/vscode-api.js") return send(200, TYPES.js, STUB);
    if (url.pathname === "/stub/webview-default.css") return send(200, TYPES.css, WEBVIEW_DEFAULT_CSS);
    const m = /^\/media\/((?:fonts\/)?[\w.-]+\.(js|css|ttf|map))$/.exec(url.pathname);
    if (m) {
      const file = path.join(mediaDir, m[1]);
      if (fs.existsSync(file)) return send(200, TYPES[m[2]], fs.readFileSync(file));
    }
    send(404, "text/plain", "not found");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const html = renderChatHtml({ nonce, cspSource: origin, scriptUri: `${origin}/media/chat.js`, styleUri: `${origin}/media/chat.css` });
  // The stand-in goes in right before chat.js, with the same nonce (the CSP stays as rendered).
  const chatTag = `<script nonce="${nonce}" src="${origin}/media/chat.js"></script>`;
  assert.ok(html.includes(chatTag), "renderChatHtml emits the nonce-tagged chat.js script");
  pageHtml = html.replace(chatTag, `<script nonce="${nonce}" src="${origin}/stub/vscode-api.js"></script>\n${chatTag}`);
  // VS Code's default webview styles come first in the head, under the page's own (as VS Code puts them).
  pageHtml = pageHtml.replace("<head>\n", `<head>\n<link rel="stylesheet" href="${origin}/stub/webview-default.css">\n`);
  assert.ok(pageHtml.includes("/stub/webview-default.css"), "the page has VS Code's default webview styles");

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return {
    origin,
    browser,
    async close() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A fresh page (own context, so own sessionStorage) with dialogs, errors and requests recorded. */
export async function openPage(h, t, { width = 480, height = 820, query = "" } = {}) {
  const context = await h.browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const rec = { dialogs: [], errors: [], requests: [], failed: [], navigations: [] };
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
  page.on("framenavigated", (f) => rec.navigations.push(f.url()));
  await page.goto(h.origin + "/" + query);
  await page.waitForFunction(() => Array.isArray(window.__posted) && window.__posted.some((m) => m.type === "ready"));
  await page.evaluate(() => document.fonts.ready);
  t.after(() => context.close());
  return { page, rec };
}

/** Deliver ToPage messages, then wait until they were handled and two frames were drawn. */
export async function send(page, ...messages) {
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

export const posted = (page) => page.evaluate(() => window.__posted);
export const delta = (d) => ({ type: "delta", delta: { sessionId: "s-live", ...d } });

/** No page errors, no CSP violations, nothing fetched from anywhere but our own origin, no navigation. */
export async function assertClean(h, page, rec, { allowViolations = false } = {}) {
  const errors = allowViolations ? rec.errors.filter((e) => !/Content Security Policy/.test(e)) : rec.errors;
  assert.deepEqual(errors, [], "no page errors");
  assert.deepEqual(rec.dialogs, [], "no dialogs");
  // Playwright reports a request even when the CSP stops it before the network: those are fine.
  const blocked = new Set(rec.failed.filter((f) => /^csp$|BLOCKED_BY_CSP/i.test(f.error || "")).map((f) => f.url));
  const foreign = rec.requests.filter((u) => !u.startsWith(h.origin + "/") && !u.startsWith("data:") && !(allowViolations && blocked.has(u)));
  assert.deepEqual(foreign, [], "no request leaves the page's origin");
  assert.ok(rec.navigations.every((u) => u.startsWith(h.origin + "/")), `the page never navigates away: ${rec.navigations}`);
  if (!allowViolations) assert.deepEqual(await page.evaluate(() => window.__violations), [], "no CSP violations");
}

export async function shot(page, name) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: path.join(artifacts, name) });
}
