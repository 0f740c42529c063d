// Contrast in VS Code's four built-in themes (Dark Modern, Light Modern, Dark High Contrast, Light
// High Contrast), computed from the rendered page: every visible text's colour against the background
// it is actually drawn on (the element's and its ancestors' backgrounds composited, opacity applied)
// must reach WCAG's 4.5:1; icons, which are not text, 3:1. The themes' variables are the real ones
// (themes/*.json, read from code-server). Screenshots of each theme go to test-artifacts/page/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { THEMES, assertClean, delta, openPage, send, shot, skip, startHarness } from "./harness.mjs";
import { ERROR_CARD, SESSIONS, STOPPED_TRANSCRIPT, TRANSCRIPT } from "./fixtures.mjs";

let h;
before(async () => {
  if (!skip) h = await startHarness();
});
after(async () => {
  if (h) await h.close();
});

/** Runs in the page: [{what, text, ratio, min}] for every visible text and icon. */
function measure() {
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const lum = (c) => {
    const ch = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  };
  const ratio = (x, y) => {
    const [a, b] = [lum(x), lum(y)].sort((p, q) => q - p);
    return (a + 0.05) / (b + 0.05);
  };
  /** The colour behind an element: its own and its ancestors' backgrounds, composited. */
  const backgroundOf = (el) => {
    const layers = [];
    for (let n = el; n; n = n.parentElement) {
      const bg = parse(getComputedStyle(n).backgroundColor);
      if (bg && bg.a > 0) {
        layers.push(bg);
        if (bg.a >= 1) break;
      }
    }
    let colour = { r: 255, g: 255, b: 255, a: 1 }; // the canvas behind everything
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const opacityOf = (el) => {
    let o = 1;
    for (let n = el; n; n = n.parentElement) o *= Number(getComputedStyle(n).opacity);
    return o;
  };
  const describe = (el) => {
    const parts = [];
    for (let n = el; n && n !== document.body && parts.length < 3; n = n.parentElement) {
      parts.unshift(n.tagName.toLowerCase() + (n.id ? "#" + n.id : "") + (n.classList.length ? "." + Array.from(n.classList).join(".") : ""));
    }
    return parts.join(" > ");
  };
  const results = [];
  const check = (el, text, min) => {
    const bg = backgroundOf(el);
    let fg = parse(getComputedStyle(el).color);
    fg = over(fg, bg);
    const o = opacityOf(el);
    if (o < 1) fg = over({ ...fg, a: o }, bg);
    results.push({ what: describe(el), text: text.slice(0, 40), ratio: Math.round(ratio(fg, bg) * 100) / 100, min });
  };
  for (const el of document.querySelectorAll("body *")) {
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    if (el.closest("button:disabled, option, script")) continue; // disabled controls are exempt (WCAG 1.4.3)
    if (el.classList.contains("codicon")) {
      check(el, "(icon " + el.className.replace(/.*codicon-(?!modifier)([\w-]+).*/, "$1") + ")", 3);
      continue;
    }
    const own = Array.from(el.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join("").trim();
    const value = el instanceof HTMLTextAreaElement ? el.value.trim() : el instanceof HTMLSelectElement ? el.selectedOptions[0]?.textContent ?? "" : "";
    if (own || value) check(el, own || value, 4.5);
  }
  return results;
}

async function renderEverything(page) {
  await send(page, { type: "sessions", sessions: SESSIONS, current: "s2" }, { type: "transcript", session: TRANSCRIPT });
  await send(page, { type: "turnStarted", prompt: "Fix this problem: `x` may be undefined", origin: "codeAction" });
  await send(page, delta({ kind: "thinking", text: "The guard belongs before the loop." }));
  await send(page, delta({ kind: "text", text: "Use `attempt ?? 0` and see [the docs](https://example.com/):\n\n```py\ndef f(x):\n    return x or 0  # default\n```\n\n> quoted" }));
  await send(page, delta({ kind: "toolStart", tool: { id: "t9", name: "read_file", arguments: { path: "src/upload.ts" } } }));
  await send(page, delta({ kind: "usage", contextTokens: 190000, contextWindow: 204800 }));
  await send(page, { type: "error", error: ERROR_CARD });
  await send(page, { type: "notice", message: "M2 is still answering" });
  await page.fill("#prompt", "and the tests?");
  await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
}

for (const [key, theme] of Object.entries(THEMES)) {
  test(`every text has at least 4.5:1 contrast in ${theme.theme} (icons 3:1)`, { skip }, async (t) => {
    const { page, rec } = await openPage(h, t, { width: 520, height: 2600, query: `?theme=${key}` });
    await renderEverything(page);
    const results = await page.evaluate(measure);
    const checked = new Set(results.map((r) => r.what.split(" > ").pop().split(".")[1] ?? ""));
    for (const cls of ["bubble", "answer-text", "hljs", "tool-args", "thinking-text", "error-title", "origin-hint", "md-link"]) {
      assert.ok(results.some((r) => r.what.includes(cls)), `${cls} was measured (${[...checked].join(", ")})`);
    }
    const failing = results.filter((r) => r.ratio < r.min);
    assert.deepEqual(failing, [], `${theme.theme}: ${failing.length} of ${results.length} below the minimum`);
    await page.evaluate(() => { document.getElementById("transcript").scrollTop = 0; });
    await shot(page, `theme-${key}.png`);
    await assertClean(h, page, rec);
  });

  test(`inline code and code blocks take the theme's own text colours in ${theme.theme}`, { skip }, async (t) => {
    const { page, rec } = await openPage(h, t, { query: `?theme=${key}` });
    await send(page, { type: "transcript", session: TRANSCRIPT });
    const r = await page.evaluate(() => {
      const s = (sel) => getComputedStyle(document.querySelector(sel));
      return { inline: [s(".answer-text p code").color, s(".answer-text p code").backgroundColor], block: s(".answer-text pre > code").color };
    });
    const rgb = await page.evaluate((vars) => vars.map((v) => getComputedStyle(document.documentElement).getPropertyValue(v).trim()), [
      "--vscode-textPreformat-foreground",
      "--vscode-editor-foreground",
    ]);
    const hex = (c) => {
      const m = /rgba?\((\d+), (\d+), (\d+)/.exec(c);
      return "#" + [m[1], m[2], m[3]].map((n) => Number(n).toString(16).padStart(2, "0")).join("");
    };
    assert.equal(hex(r.inline[0]), rgb[0].toLowerCase().slice(0, 7), "inline code takes textPreformat-foreground");
    assert.equal(hex(r.block), rgb[1].toLowerCase().slice(0, 7), "code blocks take the editor's foreground");
    await assertClean(h, page, rec);
  });
}

test("the narrow layout in Light High Contrast (screenshot)", { skip }, async (t) => {
  const { page, rec } = await openPage(h, t, { width: 200, height: 900, query: "?theme=light-hc" });
  await send(page, { type: "sessions", sessions: SESSIONS, current: "s3" }, { type: "transcript", session: STOPPED_TRANSCRIPT });
  await send(page, { type: "error", error: ERROR_CARD });
  const picker = await page.$eval("#session-picker", (p) => p.getBoundingClientRect().width);
  assert.ok(picker >= 120, `the picker keeps ${picker}px`);
  await shot(page, "narrow-200px-light-hc.png");
  await assertClean(h, page, rec);
});
