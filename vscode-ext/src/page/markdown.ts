// Model markdown to HTML with markdown-it (raw HTML off) and highlight.js (a fixed set of languages).
// The escaping guarantees, each tested in test/page with attack strings:
//   - raw HTML in the source is text (`html: false`); markdown-it escapes every text and attribute;
//   - links: only http(s) become <a>; every other scheme (javascript:, data:, file:, mailto:,
//     relative) is shown as plain text. A click never navigates: main.ts turns it into `openLink`;
//   - images never load: alt text and address are shown as text;
//   - a code fence's language name is reduced to [A-Za-z0-9_+#.-] before it reaches an attribute;
//   - highlight.js escapes the code it colours; unknown languages are escaped as they are;
//   - table alignment becomes a class (the CSP allows no style attributes).

import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import dockerfile from "highlight.js/lib/languages/dockerfile";
import go from "highlight.js/lib/languages/go";
import ini from "highlight.js/lib/languages/ini";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import kotlin from "highlight.js/lib/languages/kotlin";
import makefile from "highlight.js/lib/languages/makefile";
import markdownLang from "highlight.js/lib/languages/markdown";
import php from "highlight.js/lib/languages/php";
import plaintext from "highlight.js/lib/languages/plaintext";
import python from "highlight.js/lib/languages/python";
import ruby from "highlight.js/lib/languages/ruby";
import rust from "highlight.js/lib/languages/rust";
import shell from "highlight.js/lib/languages/shell";
import sql from "highlight.js/lib/languages/sql";
import swift from "highlight.js/lib/languages/swift";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import MarkdownIt from "markdown-it";

const LANGUAGES = {
  bash, c, cpp, csharp, css, diff, dockerfile, go, ini, java, javascript, json, kotlin, makefile,
  markdown: markdownLang, php, plaintext, python, ruby, rust, shell, sql, swift, typescript, xml, yaml,
};
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

const MAX_HIGHLIGHT = 100_000; // longer code is shown plain: highlighting it would stall the view

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A fence's language as it may appear in a class name and label: nothing but [A-Za-z0-9_+#.-]. */
export function fenceLanguage(info: string): string {
  const word = info.trim().split(/\s+/)[0] ?? "";
  return word.replace(/[^A-Za-z0-9_+#.-]/g, "").slice(0, 32);
}

export function isWebLink(href: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(href);
}

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false, maxNesting: 40 });

/** Code block HTML with its Copy and Insert buttons (the clicks are handled in transcript.ts). */
function codeBlock(content: string, info: string): string {
  const lang = fenceLanguage(info);
  const known = lang !== "" && hljs.getLanguage(lang) !== undefined;
  let body: string;
  if (known && content.length <= MAX_HIGHLIGHT) {
    try {
      body = hljs.highlight(content, { language: lang, ignoreIllegals: true }).value;
    } catch {
      body = escapeHtml(content);
    }
  } else {
    body = escapeHtml(content);
  }
  const cls = lang ? ` class="hljs language-${escapeHtml(lang.replace(/#/g, "sharp"))}"` : ' class="hljs"';
  const label = lang ? `<span class="md-code-lang">${escapeHtml(lang)}</span>` : '<span class="md-code-lang"></span>';
  return (
    '<div class="md-code">' +
    `<div class="md-code-head">${label}` +
    '<button type="button" class="code-copy icon-button" title="Copy" aria-label="Copy code">' +
    '<span class="codicon codicon-copy" aria-hidden="true"></span></button>' +
    '<button type="button" class="code-insert icon-button" title="Insert at the cursor" aria-label="Insert code at the cursor">' +
    '<span class="codicon codicon-insert" aria-hidden="true"></span></button>' +
    `</div><pre><code${cls}>${body.replace(/\n$/, "")}</code></pre></div>`
  );
}

md.renderer.rules.fence = (tokens, idx) => {
  const token = tokens[idx]!;
  return codeBlock(token.content, token.info);
};
md.renderer.rules.code_block = (tokens, idx) => codeBlock(tokens[idx]!.content, "");

// Images: never an <img>; the alt text and the address as text.
md.renderer.rules.image = (tokens, idx) => {
  const token = tokens[idx]!;
  const alt = token.children ? token.children.map((t) => t.content).join("") : token.content;
  const src = String(token.attrGet("src") ?? "");
  return `<span class="md-image">[image${alt ? ": " + escapeHtml(alt) : ""}]</span>${src ? ' <span class="md-url">' + escapeHtml(src) + "</span>" : ""}`;
};

// Links: http(s) stay links (marked for the click handler); any other target is plain text.
md.core.ruler.push("m2_links", (state) => {
  for (const block of state.tokens) {
    if (block.type !== "inline" || !block.children) continue;
    const stack: boolean[] = [];
    for (const token of block.children) {
      if (token.type === "link_open") {
        const href = String(token.attrGet("href") ?? "");
        const web = isWebLink(href);
        stack.push(web);
        if (web) {
          token.attrSet("class", "md-link");
          token.attrSet("title", href);
        } else {
          token.type = "m2_plain_link_open";
        }
      } else if (token.type === "link_close") {
        if (stack.pop() === false) token.type = "m2_plain_link_close";
      }
    }
  }
});
md.renderer.rules["m2_plain_link_open"] = (tokens, idx) => {
  const href = String(tokens[idx]!.attrGet("href") ?? "");
  return `<span class="md-link-plain" title="${escapeHtml(href)}">`;
};
md.renderer.rules["m2_plain_link_close"] = () => "</span>";

// Table alignment: a class instead of markdown-it's style attribute.
md.core.ruler.push("m2_align", (state) => {
  for (const token of state.tokens) {
    if (token.type !== "th_open" && token.type !== "td_open") continue;
    const style = token.attrGet("style");
    if (style === null) continue;
    token.attrs = (token.attrs ?? []).filter(([name]) => name !== "style");
    const m = /text-align:(left|right|center)/.exec(String(style));
    if (m) token.attrSet("class", `align-${m[1]}`);
  }
});

/** Markdown to safe HTML (see the guarantees above). */
export function renderMarkdown(source: string): string {
  const text = source.replace(/\u0000/g, "\ufffd");
  try {
    return md.render(text);
  } catch {
    return `<p class="md-plain">${escapeHtml(text)}</p>`;
  }
}
