// m2bridge chat view: the page inside the VS Code webview.
// Plain JavaScript, no framework, nothing remote. Messages follow src/protocol.ts:
// ToPage arrives as window "message" events, FromPage goes out through acquireVsCodeApi().postMessage.
// Model text only ever reaches the DOM as textContent or through renderMarkdown(), which escapes
// all HTML before it adds its own fixed set of tags.
(function () {
  "use strict";

  // ---------------------------------------------------------------------------------------------
  // Safe markdown
  // ---------------------------------------------------------------------------------------------

  function escapeHtml(s) {
    return String(s)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  /** Markdown to HTML. The source is HTML-escaped first; only tags written here are produced. */
  function renderMarkdown(source) {
    const text = escapeHtml(String(source == null ? "" : source).replace(/\u0000/g, "").replace(/\r\n?/g, "\n"));
    try {
      return renderBlocks(text.split("\n"), 0);
    } catch (_) {
      return '<p class="md-plain">' + text + "</p>"; // pathological input: the escaped text as is
    }
  }

  const MAX_DEPTH = 8; // nested quotes and lists deeper than this render as text

  function indentWidth(line) {
    let w = 0;
    for (const ch of line) {
      if (ch === " ") w += 1;
      else if (ch === "\t") w += 4 - (w % 4);
      else break;
    }
    return w;
  }

  /** Remove up to n columns of leading whitespace. */
  function stripIndent(line, n) {
    let w = 0;
    let i = 0;
    while (i < line.length && w < n) {
      if (line[i] === " ") w += 1;
      else if (line[i] === "\t") w += 4 - (w % 4);
      else break;
      i += 1;
    }
    return line.slice(i);
  }

  const FENCE_RE = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/;
  const HEADING_RE = /^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$/;
  const HR_RE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
  const QUOTE_RE = /^ {0,3}&gt; ?/;
  const LIST_RE = /^(\s*)([-*+]|\d{1,9}[.)])(\s+)(.*)$/;
  const TABLE_SEP_RE = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

  function isBlank(line) {
    return /^\s*$/.test(line);
  }

  function startsBlock(line) {
    return FENCE_RE.test(line) || HEADING_RE.test(line) || HR_RE.test(line) || QUOTE_RE.test(line) || LIST_RE.test(line);
  }

  function renderBlocks(lines, depth) {
    const out = [];
    let para = [];
    const flush = () => {
      if (para.length) {
        out.push("<p>" + inline(para.join("\n").trim()) + "</p>");
        para = [];
      }
    };
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      let m;
      if ((m = FENCE_RE.exec(line))) {
        flush();
        const fence = m[1];
        const lang = (m[2] || "").replace(/[^A-Za-z0-9_+#.-]/g, "").slice(0, 32);
        const indent = indentWidth(line);
        const body = [];
        i += 1;
        const close = new RegExp("^ {0,3}" + (fence[0] === "`" ? "`" : "~") + "{" + fence.length + ",}\\s*$");
        while (i < lines.length && !close.test(lines[i])) {
          body.push(stripIndent(lines[i], indent));
          i += 1;
        }
        i += 1; // the closing fence (or past the end while a block is still streaming)
        const cls = lang ? ' class="language-' + lang.replace(/#/g, "sharp") + '"' : "";
        const label = lang ? '<span class="md-code-lang">' + lang + "</span>" : "";
        out.push('<div class="md-code">' + label + "<pre><code" + cls + ">" + body.join("\n") + "</code></pre></div>");
        continue;
      }
      if (isBlank(line)) {
        flush();
        i += 1;
        continue;
      }
      if ((m = HEADING_RE.exec(line))) {
        flush();
        const level = m[1].length;
        out.push("<h" + level + ">" + inline(m[2] || "") + "</h" + level + ">");
        i += 1;
        continue;
      }
      if (HR_RE.test(line)) {
        flush();
        out.push("<hr>");
        i += 1;
        continue;
      }
      if (QUOTE_RE.test(line) && depth < MAX_DEPTH) {
        flush();
        const inner = [];
        while (i < lines.length && !isBlank(lines[i]) && (QUOTE_RE.test(lines[i]) || !startsBlock(lines[i]))) {
          inner.push(lines[i].replace(QUOTE_RE, ""));
          i += 1;
        }
        out.push("<blockquote>" + renderBlocks(inner, depth + 1) + "</blockquote>");
        continue;
      }
      if (LIST_RE.test(line) && depth < MAX_DEPTH) {
        flush();
        const list = parseList(lines, i, depth);
        out.push(list.html);
        i = list.next;
        continue;
      }
      if (line.indexOf("|") !== -1 && i + 1 < lines.length && lines[i + 1].indexOf("-") !== -1 && TABLE_SEP_RE.test(lines[i + 1])) {
        const header = splitRow(line);
        const aligns = splitRow(lines[i + 1]).map((c) =>
          /^:-+:$/.test(c) ? "center" : /^-+:$/.test(c) ? "right" : /^:-+$/.test(c) ? "left" : ""
        );
        if (header.length === aligns.length) {
          flush();
          i += 2;
          const rows = [];
          while (i < lines.length && !isBlank(lines[i]) && lines[i].indexOf("|") !== -1) {
            rows.push(splitRow(lines[i]));
            i += 1;
          }
          const cell = (tag, text, k) =>
            "<" + tag + (aligns[k] ? ' class="align-' + aligns[k] + '"' : "") + ">" + inline(text || "") + "</" + tag + ">";
          let html = '<div class="md-table"><table><thead><tr>' + header.map((c, k) => cell("th", c, k)).join("") + "</tr></thead><tbody>";
          for (const row of rows) {
            html += "<tr>" + header.map((_, k) => cell("td", row[k], k)).join("") + "</tr>";
          }
          out.push(html + "</tbody></table></div>");
          continue;
        }
      }
      para.push(line);
      i += 1;
    }
    flush();
    return out.join("");
  }

  function splitRow(line) {
    let s = line.trim();
    if (s.startsWith("|")) s = s.slice(1);
    if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
    const cells = [];
    let cur = "";
    for (let k = 0; k < s.length; k++) {
      if (s[k] === "\\" && s[k + 1] === "|") {
        cur += "|";
        k += 1;
      } else if (s[k] === "|") {
        cells.push(cur.trim());
        cur = "";
      } else cur += s[k];
    }
    cells.push(cur.trim());
    return cells;
  }

  /** A list starting at lines[start]; nested lists and continuation lines go inside their item. */
  function parseList(lines, start, depth) {
    const first = LIST_RE.exec(lines[start]);
    const base = indentWidth(first[1]);
    const ordered = /\d/.test(first[2]);
    const startNum = ordered ? parseInt(first[2], 10) : 1;
    const items = [];
    let item = null;
    let i = start;
    let sawBlank = false;
    let loose = false;
    while (i < lines.length) {
      const line = lines[i];
      const m = LIST_RE.exec(line);
      if (m && indentWidth(m[1]) <= base + 1 && /\d/.test(m[2]) === ordered) {
        if (sawBlank && item) loose = true;
        item = { lines: [m[4]], contentIndent: indentWidth(m[1]) + m[2].length + Math.min(m[3].length, 4), blank: false };
        items.push(item);
        sawBlank = false;
        i += 1;
        continue;
      }
      if (m && indentWidth(m[1]) <= base + 1) break; // the other kind of list starts
      if (isBlank(line)) {
        // A blank line continues the list only if an indented line or another item follows.
        let j = i + 1;
        while (j < lines.length && isBlank(lines[j])) j += 1;
        if (j >= lines.length) break;
        const next = LIST_RE.exec(lines[j]);
        const continues = indentWidth(lines[j]) > base + 1 || (next && indentWidth(next[1]) <= base + 1 && /\d/.test(next[2]) === ordered);
        if (!continues) break;
        item.lines.push("");
        sawBlank = true;
        i += 1;
        continue;
      }
      if (indentWidth(line) > base + 1) {
        if (sawBlank && !LIST_RE.test(line)) item.blank = true;
        item.lines.push(stripIndent(line, item.contentIndent));
        i += 1;
        continue;
      }
      if (!sawBlank && !startsBlock(line) && item.lines.length && !isBlank(item.lines[item.lines.length - 1])) {
        item.lines.push(line); // lazy continuation of the item's paragraph
        i += 1;
        continue;
      }
      break;
    }
    const tag = ordered ? "ol" : "ul";
    const startAttr = ordered && startNum !== 1 ? ' start="' + startNum + '"' : "";
    let html = "<" + tag + startAttr + ">";
    for (const it of items) {
      let body = renderBlocks(it.lines, depth + 1);
      if (!loose && !it.blank) body = body.replace(/^<p>([\s\S]*?)<\/p>/, "$1");
      html += "<li>" + body + "</li>";
    }
    return { html: html + "</" + tag + ">", next: i };
  }

  // A link target: no spaces, parentheses allowed one level deep (e.g. wiki links).
  const URL_SRC = "((?:[^\\s()]|\\([^\\s()]*\\))*)";

  /** Inline markdown on already-escaped text. Produced HTML is parked in slots so later rules skip it. */
  function inline(s) {
    const slots = [];
    const keep = (html) => "\u0000" + (slots.push(html) - 1) + "\u0000";
    // Code spans first: nothing inside them is markdown.
    s = s.replace(/(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g, (_, _t, code) => {
      const trimmed = /^ [\s\S]* $/.test(code) && code.trim() ? code.slice(1, -1) : code;
      return keep("<code>" + trimmed.replace(/\n/g, " ") + "</code>");
    });
    // Backslash escapes.
    s = s.replace(/\\([\\`*_{}\[\]()#+\-.!~|])/g, (_, ch) => keep(ch));
    // Autolinks <https://…> (the angle brackets are already escaped).
    s = s.replace(/&lt;((?:https?|mailto):[^\s]*?)&gt;/g, (_, url) => keep('<span class="md-url">' + url + "</span>"));
    // Images never load: alt text and address as text.
    s = s.replace(new RegExp("!\\[([^\\]\\n]{0,500})\\]\\(\\s*" + URL_SRC + "(?:\\s+&quot;[^\\n]*?&quot;)?\\s*\\)", "g"), (_, alt, url) =>
      keep('<span class="md-image">[image' + (alt ? ": " + alt : "") + "]</span>" + (url ? ' <span class="md-url">' + url + "</span>" : ""))
    );
    // Links: the text, then the address as plain text; no href, so nothing is fetched or followed.
    s = s.replace(new RegExp("\\[([^\\]\\n]{1,500})\\]\\(\\s*" + URL_SRC + "(?:\\s+&quot;[^\\n]*?&quot;)?\\s*\\)", "g"), (_, label, url) => {
      const shown = emphasis(label, keep);
      if (!url || url === label) return keep('<span class="md-url">' + (url || shown) + "</span>");
      return keep('<span class="md-link">' + shown + '</span> <span class="md-url">' + url + "</span>");
    });
    s = emphasis(s, keep);
    // Hard line breaks: two trailing spaces or a backslash.
    s = s.replace(/(?: {2,}|\\)\n/g, "<br>");
    // Put the parked HTML back (slots can hold slots).
    let guard = 0;
    while (s.indexOf("\u0000") !== -1 && guard++ < 10) {
      s = s.replace(/\u0000(\d+)\u0000/g, (_, n) => slots[Number(n)]);
    }
    return s;
  }

  function emphasis(s, keep) {
    s = s.replace(/\*\*\*(?!\s)([^*\n][^\n]{0,2000}?)(?<!\s)\*\*\*/g, (_, t) => keep("<strong><em>" + emphasis(t, keep) + "</em></strong>"));
    s = s.replace(/\*\*(?!\s)([^\n]{0,2000}?\S)\*\*/g, (_, t) => keep("<strong>" + emphasis(t, keep) + "</strong>"));
    s = s.replace(/(^|[^\w])__(?!\s)([^\n]{0,2000}?\S)__(?!\w)/g, (_, pre, t) => pre + keep("<strong>" + emphasis(t, keep) + "</strong>"));
    s = s.replace(/~~(?!\s)([^\n]{0,2000}?\S)~~/g, (_, t) => keep("<del>" + emphasis(t, keep) + "</del>"));
    s = s.replace(/\*(?![\s*])([^*\n]*?[^\s*])?\*/g, (m, t) => (t === undefined ? m : keep("<em>" + t + "</em>")));
    s = s.replace(/(^|[^\w])_(?![\s_])([^_\n]*?[^\s_])?_(?!\w)/g, (m, pre, t) => (t === undefined ? m : pre + keep("<em>" + t + "</em>")));
    return s;
  }

  // ---------------------------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function formatTokens(n) {
    if (typeof n !== "number" || !isFinite(n)) return "?";
    if (n < 1000) return String(Math.round(n));
    if (n < 1e6) return (n / 1000).toFixed(1) + "k";
    return (n / 1e6).toFixed(2) + "M";
  }

  function pad2(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function formatDate(seconds) {
    if (typeof seconds !== "number" || !isFinite(seconds) || seconds <= 0) return "";
    const d = new Date(seconds * 1000);
    const now = new Date();
    const time = pad2(d.getHours()) + ":" + pad2(d.getMinutes());
    if (d.toDateString() === now.toDateString()) return "today " + time;
    return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate()) + " " + time;
  }

  function clip(text, max) {
    text = String(text == null ? "" : text);
    return text.length > max ? text.slice(0, max) + "…" : text;
  }

  function compactJson(value, max) {
    let json;
    try {
      json = JSON.stringify(value == null ? {} : value);
    } catch (_) {
      json = String(value);
    }
    return clip(json === undefined ? "" : json, max);
  }

  function firstLine(text) {
    const s = String(text == null ? "" : text).trim();
    const nl = s.indexOf("\n");
    return nl === -1 ? s : s.slice(0, nl);
  }

  function splitLines(text) {
    const s = String(text == null ? "" : text).replace(/\r\n?/g, "\n");
    const lines = s.split("\n");
    if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    return lines;
  }

  /** Line diff of two small texts (LCS); big ones fall back to all-removed then all-added. */
  function lineDiff(oldText, newText) {
    const a = splitLines(oldText);
    const b = splitLines(newText);
    if (a.length * b.length > 250000) {
      return a.map((t) => ({ op: "-", t })).concat(b.map((t) => ({ op: "+", t })));
    }
    const n = a.length;
    const m = b.length;
    const lcs = [];
    for (let i = 0; i <= n; i++) lcs.push(new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    const out = [];
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (a[i] === b[j]) {
        out.push({ op: " ", t: a[i] });
        i++;
        j++;
      } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: "-", t: a[i++] });
      else out.push({ op: "+", t: b[j++] });
    }
    while (i < n) out.push({ op: "-", t: a[i++] });
    while (j < m) out.push({ op: "+", t: b[j++] });
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // State (kept across reloads with the webview state API)
  // ---------------------------------------------------------------------------------------------

  const vscode = acquireVsCodeApi();
  const STATE_VERSION = 1;

  /**
   * items: {t:"user",text} | {t:"context",text,source} | {t:"compaction",summary}
   *   | {t:"error",message,detail} | {t:"assistant",status,parts:[part]}
   * part: {t:"thinking",text,done} | {t:"text",text}
   *   | {t:"tool",id,name,args,state:"running"|"ok"|"failed"|"unknown",summary,output}
   */
  let state = {
    v: STATE_VERSION,
    sessions: [],
    current: null,
    items: [],
    usage: { contextTokens: null, contextWindow: null },
    running: false,
    draft: "",
  };
  const saved = vscode.getState && vscode.getState();
  if (saved && saved.v === STATE_VERSION && Array.isArray(saved.items)) {
    state = Object.assign(state, saved);
  }

  let saveQueued = false;
  function save() {
    if (saveQueued) return;
    saveQueued = true;
    setTimeout(() => {
      saveQueued = false;
      try {
        vscode.setState(state);
      } catch (_) {
        /* state is best-effort */
      }
    }, 200);
  }

  function post(message) {
    vscode.postMessage(message);
  }

  // ---------------------------------------------------------------------------------------------
  // DOM
  // ---------------------------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);
  const picker = $("session-picker");
  const refreshButton = $("refresh-sessions");
  const newButton = $("new-session");
  const transcript = $("transcript");
  const emptyHint = $("empty-hint");
  const usageLine = $("usage");
  const form = $("composer-form");
  const promptBox = $("prompt");
  const sendButton = $("send");
  const stopButton = $("stop");

  // Outside VS Code none of its theme variables exist: the stylesheet then supplies a full theme.
  if (!getComputedStyle(document.documentElement).getPropertyValue("--vscode-foreground").trim()) {
    document.documentElement.classList.add("standalone");
  }

  const itemNodes = new Map(); // item -> element
  const partNodes = new Map(); // part -> element

  let current = null; // the assistant item being streamed

  function nearBottom() {
    return transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 48;
  }

  function scrollToEnd() {
    transcript.scrollTop = transcript.scrollHeight;
  }

  function updateControls() {
    stopButton.disabled = !state.running;
    sendButton.disabled = state.running;
    transcript.setAttribute("aria-busy", state.running ? "true" : "false");
    emptyHint.hidden = state.items.length > 0;
  }

  function updateUsage() {
    const u = state.usage || {};
    usageLine.textContent = "";
    if (typeof u.contextTokens !== "number") return;
    usageLine.textContent =
      "context " + formatTokens(u.contextTokens) + (typeof u.contextWindow === "number" ? " / " + formatTokens(u.contextWindow) : "");
    if (typeof u.contextWindow === "number" && u.contextWindow > 0) {
      const ratio = u.contextTokens / u.contextWindow;
      usageLine.classList.toggle("usage-high", ratio >= 0.8);
      usageLine.title = Math.round(ratio * 100) + "% of the context window in use";
    }
  }

  function renderSessions() {
    const sessions = Array.isArray(state.sessions) ? state.sessions : [];
    picker.textContent = "";
    const known = sessions.some((s) => s && s.id === state.current);
    if (!known) {
      const opt = el("option", null, state.current ? "Current session" : "New session");
      opt.value = state.current ? state.current : "";
      opt.selected = true;
      picker.appendChild(opt);
    }
    for (const s of sessions) {
      if (!s || typeof s.id !== "string") continue;
      const date = formatDate(s.updated);
      const opt = el("option", null, (s.title && String(s.title).trim() ? clip(String(s.title).trim(), 80) : "Untitled") + (date ? " · " + date : ""));
      opt.value = s.id;
      opt.title = [s.title || "Untitled", s.workspace || "", (s.turns != null ? s.turns + " turns" : "")].filter(Boolean).join("\n");
      if (s.id === state.current) opt.selected = true;
      picker.appendChild(opt);
    }
  }

  // --- items --------------------------------------------------------------------------------------

  function renderItem(item) {
    let node;
    switch (item.t) {
      case "user":
        node = el("div", "msg msg-user");
        node.appendChild(el("div", "bubble", item.text));
        break;
      case "context": {
        node = el("details", "msg msg-context");
        const summary = el("summary", null, "Editor context");
        if (item.source) summary.appendChild(el("span", "context-source", " · " + item.source));
        node.appendChild(summary);
        node.appendChild(el("pre", "context-text", item.text || ""));
        break;
      }
      case "compaction": {
        node = el("details", "msg msg-compaction");
        node.appendChild(el("summary", null, "Earlier turns summarised"));
        const body = el("div", "markdown");
        body.innerHTML = renderMarkdown(item.summary || "");
        node.appendChild(body);
        break;
      }
      case "error": {
        node = el("div", "msg msg-error");
        node.setAttribute("role", "alert");
        node.appendChild(el("span", "error-icon", "⚠"));
        const body = el("div", "error-body");
        body.appendChild(el("div", "error-message", item.message || "Something went wrong."));
        if (item.detail) body.appendChild(el("div", "error-detail", item.detail));
        node.appendChild(body);
        break;
      }
      case "assistant": {
        node = el("div", "msg msg-assistant");
        const parts = el("div", "parts");
        node.appendChild(parts);
        for (const part of item.parts) parts.appendChild(renderPart(part));
        node.appendChild(el("div", "working", ""));
        node.lastChild.setAttribute("aria-hidden", "true");
        node.appendChild(el("div", "status-line"));
        break;
      }
      default:
        node = el("div", "msg");
    }
    if (item.summarised) node.classList.add("summarised");
    itemNodes.set(item, node);
    if (item.t === "assistant") updateAssistantStatus(item);
    return node;
  }

  function updateAssistantStatus(item) {
    const node = itemNodes.get(item);
    if (!node) return;
    const running = item.status === "running";
    node.classList.toggle("running", running);
    node.querySelector(".working").hidden = !(running && !hasVisibleWork(item));
    const line = node.querySelector(".status-line");
    const labels = {
      stopped: "stopped",
      incomplete: "incomplete: the answer was cut off",
      max_steps: "stopped: the step limit was reached",
    };
    const label = labels[item.status] || "";
    line.textContent = label;
    line.hidden = !label;
    line.className = "status-line" + (item.status ? " status-" + item.status : "");
  }

  function hasVisibleWork(item) {
    return item.parts.some((p) => p.t === "tool" || (p.text && p.text.trim()));
  }

  function appendItem(item) {
    const stick = nearBottom();
    state.items.push(item);
    transcript.appendChild(renderItem(item));
    updateControls();
    if (stick || item.t === "user") scrollToEnd();
    save();
    return item;
  }

  function renderAll() {
    itemNodes.clear();
    partNodes.clear();
    for (const child of Array.from(transcript.children)) {
      if (child !== emptyHint) child.remove();
    }
    for (const item of state.items) transcript.appendChild(renderItem(item));
    updateControls();
    updateUsage();
    renderSessions();
    scrollToEnd();
  }

  // --- parts --------------------------------------------------------------------------------------

  function renderPart(part) {
    let node;
    if (part.t === "thinking") {
      node = el("details", "thinking");
      node.appendChild(el("summary", "thinking-summary"));
      node.appendChild(el("div", "thinking-text"));
    } else if (part.t === "text") {
      node = el("div", "markdown answer-text");
    } else if (part.t === "tool") {
      node = el("div", "tool-card");
    } else {
      node = el("div");
    }
    partNodes.set(part, node);
    fillPart(part);
    return node;
  }

  function fillPart(part) {
    const node = partNodes.get(part);
    if (!node) return;
    if (part.t === "thinking") {
      node.querySelector(".thinking-summary").textContent = part.done ? "Thought" : "Thinking…";
      node.classList.toggle("streaming", !part.done);
      node.querySelector(".thinking-text").textContent = part.text || "";
    } else if (part.t === "text") {
      node.innerHTML = renderMarkdown(part.text || ""); // escaped inside renderMarkdown
    } else if (part.t === "tool") {
      fillToolCard(node, part);
    }
  }

  const TOOL_STATE_LABEL = { running: "running", ok: "done", failed: "failed", unknown: "no result" };

  function fillToolCard(node, part) {
    node.textContent = "";
    node.className = "tool-card state-" + (part.state || "unknown");
    node.dataset.toolId = part.id || "";
    node.dataset.toolName = part.name || "";
    const args = part.args && typeof part.args === "object" ? part.args : {};

    const head = el("div", "tool-head");
    const status = el("span", "tool-status");
    status.setAttribute("role", "img");
    status.setAttribute("aria-label", TOOL_STATE_LABEL[part.state] || "unknown");
    status.title = TOOL_STATE_LABEL[part.state] || "";
    if (part.state === "running") status.appendChild(el("span", "spinner"));
    else status.textContent = part.state === "ok" ? "✓" : part.state === "failed" ? "✗" : "•";
    head.appendChild(status);
    head.appendChild(el("span", "tool-name", part.name || "tool"));

    // Arguments as compact JSON; the big fields shown below are left out of the line.
    let shownArgs = args;
    const name = part.name || "";
    if (name === "edit_file" || name === "write_file" || name === "run_command") {
      shownArgs = {};
      for (const k of Object.keys(args)) {
        if (!["old_string", "new_string", "content", "command"].includes(k)) shownArgs[k] = args[k];
      }
    }
    const json = compactJson(shownArgs, 240);
    if (json && json !== "{}") {
      const argsNode = el("code", "tool-args", json);
      argsNode.title = compactJson(args, 2000);
      head.appendChild(argsNode);
    }
    node.appendChild(head);

    if (name === "edit_file" && (typeof args.old_string === "string" || typeof args.new_string === "string")) {
      node.appendChild(renderDiff(args.old_string || "", args.new_string || ""));
    } else if (name === "write_file" && typeof args.content === "string") {
      const lines = splitLines(args.content);
      const shown = lines.slice(0, 8);
      const pre = el("pre", "tool-preview");
      pre.appendChild(el("code", null, shown.join("\n")));
      node.appendChild(pre);
      if (lines.length > shown.length) node.appendChild(el("div", "tool-more", "… " + (lines.length - shown.length) + " more lines"));
    } else if (name === "run_command" && args.command != null) {
      const pre = el("pre", "tool-command");
      pre.appendChild(el("span", "prompt-sign", "$ "));
      pre.appendChild(el("code", null, String(args.command)));
      node.appendChild(pre);
    }

    if (part.summary) node.appendChild(el("div", "tool-summary", clip(part.summary, 400)));
    if (part.output && part.output.trim() && part.output.trim() !== String(part.summary || "").trim()) {
      const details = el("details", "tool-output");
      details.appendChild(el("summary", null, "Output"));
      details.appendChild(el("pre", null, clip(part.output, 6000)));
      node.appendChild(details);
    }
  }

  function renderDiff(oldText, newText) {
    const MAX = 60;
    const rows = lineDiff(oldText, newText);
    const pre = el("pre", "tool-diff");
    pre.setAttribute("aria-label", "Changes");
    let shown = 0;
    for (const r of rows) {
      if (shown >= MAX) break;
      const cls = r.op === "-" ? "diff-del" : r.op === "+" ? "diff-add" : "diff-ctx";
      const line = el("span", "diff-line " + cls);
      line.appendChild(el("span", "diff-sign", r.op));
      line.appendChild(document.createTextNode(r.t));
      pre.appendChild(line);
      shown += 1;
    }
    if (rows.length > shown) pre.appendChild(el("span", "diff-line diff-more", "… " + (rows.length - shown) + " more lines"));
    return pre;
  }

  // --- streaming ----------------------------------------------------------------------------------

  const dirty = new Set();
  let frameQueued = false;

  function markDirty(part) {
    dirty.add(part);
    if (!frameQueued) {
      frameQueued = true;
      requestAnimationFrame(flushDirty);
    }
  }

  function flushDirty() {
    frameQueued = false;
    if (!dirty.size) return;
    const stick = nearBottom();
    for (const part of dirty) fillPart(part);
    dirty.clear();
    if (current) updateAssistantStatus(current);
    if (stick) scrollToEnd();
    save();
  }

  function ensureCurrent() {
    if (!current) {
      current = appendItem({ t: "assistant", status: "running", parts: [] });
      if (!state.running) {
        state.running = true;
        updateControls();
      }
    }
    return current;
  }

  function addPart(item, part) {
    item.parts.push(part);
    const node = itemNodes.get(item);
    const stick = nearBottom();
    if (node) node.querySelector(".parts").appendChild(renderPart(part));
    updateAssistantStatus(item);
    if (stick) scrollToEnd();
    return part;
  }

  function lastPart(item) {
    return item.parts.length ? item.parts[item.parts.length - 1] : null;
  }

  function finishThinking(item) {
    for (const p of item.parts) {
      if (p.t === "thinking" && !p.done) {
        p.done = true;
        markDirty(p);
      }
    }
  }

  function findTool(id) {
    for (let k = state.items.length - 1; k >= 0; k--) {
      const it = state.items[k];
      if (it.t !== "assistant") continue;
      for (const p of it.parts) if (p.t === "tool" && p.id === id) return p;
    }
    return null;
  }

  function onDelta(d) {
    if (!d || typeof d !== "object") return;
    // A code action may stream another session's turn: only the session shown here is drawn.
    if (!state.running && d.sessionId && state.current && d.sessionId !== state.current) return;
    if (d.kind === "usage") {
      state.usage = {
        contextTokens: typeof d.contextTokens === "number" ? d.contextTokens : state.usage.contextTokens,
        contextWindow: typeof d.contextWindow === "number" ? d.contextWindow : state.usage.contextWindow,
      };
      updateUsage();
      save();
      return;
    }
    const item = ensureCurrent();
    if (d.kind === "thinking") {
      let part = lastPart(item);
      if (!part || part.t !== "thinking" || part.done) part = addPart(item, { t: "thinking", text: "", done: false });
      part.text += d.text || "";
      markDirty(part);
    } else if (d.kind === "text") {
      finishThinking(item);
      let part = lastPart(item);
      if (!part || part.t !== "text") part = addPart(item, { t: "text", text: "" });
      part.text += d.text || "";
      markDirty(part);
    } else if (d.kind === "toolStart" && d.tool) {
      finishThinking(item);
      const existing = d.tool.id ? findTool(d.tool.id) : null;
      if (existing) {
        existing.args = d.tool.arguments || existing.args;
        markDirty(existing);
      } else {
        addPart(item, { t: "tool", id: d.tool.id, name: d.tool.name, args: d.tool.arguments || {}, state: "running", summary: "" });
      }
    } else if (d.kind === "toolEnd" && d.tool) {
      finishThinking(item);
      let part = d.tool.id ? findTool(d.tool.id) : null;
      if (!part) part = addPart(item, { t: "tool", id: d.tool.id, name: d.tool.name, args: d.tool.arguments || {}, state: "running" });
      if (d.tool.arguments && Object.keys(d.tool.arguments).length) part.args = d.tool.arguments;
      part.state = d.tool.ok === false ? "failed" : "ok";
      part.summary = d.tool.summary || "";
      markDirty(part);
    }
  }

  function endCurrent(status) {
    if (current) {
      finishThinking(current);
      for (const p of current.parts) {
        if (p.t === "tool" && p.state === "running") {
          p.state = "unknown";
          markDirty(p);
        }
      }
      current.status = status;
      for (const p of dirty) fillPart(p); // the final text renders now, not on the next frame
      dirty.clear();
      updateAssistantStatus(current);
      current = null;
    }
    state.running = false;
    updateControls();
    save();
  }

  function onTurnStarted(prompt) {
    if (current) endCurrent("incomplete");
    appendItem({ t: "user", text: String(prompt == null ? "" : prompt) });
    current = appendItem({ t: "assistant", status: "running", parts: [] });
    state.running = true;
    updateControls();
    scrollToEnd();
  }

  function onTurnEnded(result) {
    result = result || {};
    const item = current;
    if (item && typeof result.text === "string" && result.text && !item.parts.some((p) => p.t === "text")) {
      addPart(item, { t: "text", text: result.text }); // nothing was streamed: show the final text
    }
    let status = "done";
    if (result.stopReason === "cancelled") status = "stopped";
    else if (result.stopReason === "error") status = "error";
    else if (result.stopReason === "max_steps") status = "max_steps";
    else if (result.incomplete) status = "incomplete";
    endCurrent(status);
    // A stopped turn reports 0: keep the last figure the usage deltas gave.
    if (typeof result.contextTokens === "number" && result.contextTokens > 0) {
      state.usage = Object.assign({}, state.usage, { contextTokens: result.contextTokens });
      updateUsage();
    }
    if (result.stopReason === "error") {
      const err = result.error || {};
      const detail = [err.code, err.traceId ? "trace " + err.traceId : ""].filter(Boolean).join(" · ");
      appendItem({ t: "error", message: err.message || "The turn failed.", detail });
    }
    save();
  }

  // --- transcripts --------------------------------------------------------------------------------

  function turnsToItems(turns) {
    const items = [];
    const tools = new Map();
    let answer = null;
    for (const turn of Array.isArray(turns) ? turns : []) {
      if (!turn || typeof turn !== "object") continue;
      const summarised = !!turn.summarised;
      if (turn.kind === "user") {
        answer = null;
        items.push({ t: "user", text: turn.text || "", summarised });
      } else if (turn.kind === "context") {
        answer = null;
        items.push({ t: "context", text: turn.text || "", source: turn.source || "", summarised });
      } else if (turn.kind === "compaction") {
        answer = null;
        items.push({ t: "compaction", summary: turn.summary || "" });
      } else if (turn.kind === "assistant") {
        if (!answer) {
          answer = { t: "assistant", status: "done", parts: [], summarised };
          items.push(answer);
        }
        for (const b of Array.isArray(turn.blocks) ? turn.blocks : []) {
          if (!b) continue;
          if (b.type === "thinking") answer.parts.push({ t: "thinking", text: b.text || "", done: true });
          else if (b.type === "text") answer.parts.push({ t: "text", text: b.text || "" });
          else if (b.type === "tool_call") {
            const part = { t: "tool", id: b.id, name: b.name, args: b.arguments || {}, state: "unknown", summary: "" };
            tools.set(b.id, part);
            answer.parts.push(part);
          }
        }
        if (turn.stopReason === "cancelled") answer.status = "stopped";
        else if (turn.incomplete) answer.status = "incomplete";
        else answer.status = "done";
      } else if (turn.kind === "tool_results") {
        for (const r of Array.isArray(turn.results) ? turn.results : []) {
          if (!r) continue;
          let part = tools.get(r.toolCallId);
          if (!part) {
            if (!answer) {
              answer = { t: "assistant", status: "done", parts: [], summarised };
              items.push(answer);
            }
            part = { t: "tool", id: r.toolCallId, name: r.name, args: {}, state: "unknown" };
            answer.parts.push(part);
          }
          part.state = r.isError ? "failed" : "ok";
          part.summary = clip(firstLine(r.content), 300);
          part.output = clip(r.content || "", 6000);
        }
      }
    }
    return items;
  }

  function onTranscript(session) {
    session = session || {};
    current = null;
    dirty.clear();
    state.items = turnsToItems(session.turns);
    state.running = false;
    if (session.id) state.current = session.id;
    if (typeof session.contextTokens === "number") {
      state.usage = Object.assign({}, state.usage, { contextTokens: session.contextTokens });
    }
    renderAll();
    save();
  }

  function onCleared() {
    current = null;
    dirty.clear();
    state.items = [];
    state.running = false;
    state.current = null;
    state.usage = Object.assign({}, state.usage, { contextTokens: null });
    renderAll();
    save();
  }

  // ---------------------------------------------------------------------------------------------
  // Messages
  // ---------------------------------------------------------------------------------------------

  window.addEventListener("message", (event) => {
    const msg = event.data;
    if (!msg || typeof msg !== "object" || typeof msg.type !== "string") return;
    switch (msg.type) {
      case "sessions":
        state.sessions = Array.isArray(msg.sessions) ? msg.sessions : [];
        state.current = msg.current == null ? null : msg.current;
        renderSessions();
        save();
        break;
      case "transcript":
        onTranscript(msg.session);
        break;
      case "cleared":
        onCleared();
        break;
      case "turnStarted":
        onTurnStarted(msg.prompt);
        break;
      case "delta":
        onDelta(msg.delta);
        break;
      case "turnEnded":
        onTurnEnded(msg.result);
        break;
      case "error":
        if (state.running) endCurrent("error"); // a failed request never sends turnEnded
        appendItem({ t: "error", message: String(msg.message == null ? "Something went wrong." : msg.message) });
        break;
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Controls
  // ---------------------------------------------------------------------------------------------

  function submit() {
    const prompt = promptBox.value;
    if (!prompt.trim() || state.running) return;
    post({ type: "send", prompt });
    promptBox.value = "";
    state.draft = "";
    save();
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });

  promptBox.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });

  promptBox.addEventListener("input", () => {
    state.draft = promptBox.value;
    save();
  });

  stopButton.addEventListener("click", () => {
    if (state.running) post({ type: "stop" });
  });

  newButton.addEventListener("click", () => post({ type: "newSession" }));
  refreshButton.addEventListener("click", () => post({ type: "refreshSessions" }));

  picker.addEventListener("change", () => {
    const id = picker.value;
    if (id && id !== state.current) post({ type: "openSession", id });
  });

  // For the page tests: the markdown renderer on its own.
  window.m2RenderMarkdown = renderMarkdown;

  // Start: rebuild what the state kept, then tell the extension we are here.
  if (state.running) {
    // Reloaded mid-turn: keep streaming into the last answer if it was still running.
    const last = state.items[state.items.length - 1];
    if (last && last.t === "assistant" && last.status === "running") current = last;
    else state.running = false;
  }
  promptBox.value = state.draft || "";
  renderAll();
  post({ type: "ready" });
})();
