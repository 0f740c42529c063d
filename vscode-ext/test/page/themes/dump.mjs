// Regenerates the theme fixtures (test/page/themes/*.json): the --vscode-* variables a real VS Code
// gives its webviews in each of the four built-in themes, read from a running code-server's workbench
// (VS Code defines the same variables on .monaco-workbench that it hands to a webview).
//
//   node test/page/themes/dump.mjs [path/to/code-server launcher]
//
// Needs the code-server that scripts/code-server installs (default: ../.ci/.code-server/bin/code-server)
// and Debian's Chromium. The page tests read the JSON files; they never start code-server.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const launcher = process.argv[2] ?? path.resolve(here, "../../../../.ci/.code-server/bin/code-server");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
// File name -> [theme id as in workbench.colorTheme, the workbench class of its kind].
export const THEMES = {
  "dark-modern": ["Dark Modern", "vs-dark"],
  "light-modern": ["Light Modern", "vs"],
  "dark-hc": ["Default High Contrast", "hc-black"],
  "light-hc": ["Default High Contrast Light", "hc-light"],
};
const BODY_CLASS = { "vs-dark": "vscode-dark", vs: "vscode-light", "hc-black": "vscode-high-contrast", "hc-light": "vscode-high-contrast-light" };

async function dump(file, [themeName, kind], port) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "m2-theme-"));
  fs.mkdirSync(path.join(dir, "data", "User"), { recursive: true });
  fs.writeFileSync(
    path.join(dir, "data", "User", "settings.json"),
    JSON.stringify({ "workbench.colorTheme": themeName, "security.workspace.trust.enabled": false, "workbench.startupEditor": "none" }),
  );
  const server = spawn(
    launcher,
    ["--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--user-data-dir", path.join(dir, "data"),
      "--extensions-dir", path.join(dir, "ext"), "--disable-telemetry", "--disable-update-check", dir],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("code-server did not start")), 60_000);
      const onData = (b) => {
        if (/HTTP server listening/.test(String(b))) {
          clearTimeout(timer);
          resolve();
        }
      };
      server.stdout.on("data", onData);
      server.stderr.on("data", onData);
    });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dir)}`);
      await page.waitForSelector(".monaco-workbench .part.sidebar", { timeout: 60_000 });
      // The workbench first paints with a cached theme and applies the configured one once its
      // extensions load: wait for the kind's class, then until the colours stop changing.
      await page.waitForFunction((k) => document.querySelector(".monaco-workbench").classList.contains(k), kind, { timeout: 60_000 });
      let last = "";
      for (let stable = 0; stable < 3; ) {
        await page.waitForTimeout(1000);
        const now = await page.evaluate(() => {
          const s = getComputedStyle(document.querySelector(".monaco-workbench"));
          return ["--vscode-sideBar-background", "--vscode-foreground", "--vscode-editor-background"].map((n) => s.getPropertyValue(n)).join();
        });
        stable = now === last ? stable + 1 : 0;
        last = now;
      }
      const vars = await page.evaluate(() => {
        const style = getComputedStyle(document.querySelector(".monaco-workbench"));
        const out = {};
        for (const sheet of Array.from(document.styleSheets)) {
          let rules;
          try {
            rules = sheet.cssRules;
          } catch {
            continue;
          }
          for (const rule of Array.from(rules)) {
            if (!(rule instanceof CSSStyleRule)) continue;
            for (const name of Array.from(rule.style)) {
              if (name.startsWith("--vscode-")) out[name] = style.getPropertyValue(name).trim();
            }
          }
        }
        return out;
      });
      const colours = Object.fromEntries(Object.entries(vars).filter(([k, v]) => v && !/font|size|weight/.test(k)).sort());
      fs.writeFileSync(file, JSON.stringify({ theme: themeName, bodyClass: BODY_CLASS[kind], vars: colours }, null, 1) + "\n");
      console.log(`${path.basename(file)}: ${themeName}, ${BODY_CLASS[kind]}, ${Object.keys(colours).length} variables`);
    } finally {
      await browser.close();
    }
  } finally {
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

let port = 18700 + Math.floor(Math.random() * 500);
for (const [key, theme] of Object.entries(THEMES)) {
  await dump(path.join(here, `${key}.json`), theme, port++);
}
