// Bundles the extension, the chat page (and, with --tests, each unit test) with esbuild.
//   node scripts/build.mjs               src/extension.ts -> dist/extension.js (with a source map);
//                                        the chat page src/page/main.ts -> media/chat.js (an IIFE for
//                                        the webview) and src/page/chat.css -> media/chat.css, with
//                                        the codicon font it imports copied to media/fonts/
//   node scripts/build.mjs --production  the same, minified, without source maps (for the .vsix)
//   node scripts/build.mjs --tests       also test/unit/*.test.ts -> out/test/unit/*.test.js
// `vscode` exists only inside VS Code, so it stays external; vscode-languageclient is bundled because
// the .vsix is packaged without node_modules. In tests `vscode` resolves to test/unit/vscode-stub.ts.
import { build } from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const flags = new Set(process.argv.slice(2));
const known = new Set(["--tests", "--production"]);
for (const flag of flags) {
  if (!known.has(flag)) {
    console.error(`build.mjs: unknown option ${flag} (known: ${[...known].join(", ")})`);
    process.exit(2);
  }
}
const production = flags.has("--production");

const common = {
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  logLevel: "warning",
  absWorkingDir: root,
};

rmSync(join(root, "dist"), { recursive: true, force: true }); // no stale source map beside a minified build
await build({
  ...common,
  entryPoints: ["src/extension.ts"],
  outfile: "dist/extension.js",
  external: ["vscode"],
  minify: production,
  sourcemap: !production,
});

// The chat page: markdown-it, highlight.js and the codicons are bundled in, nothing is loaded at run
// time from anywhere but the extension (the webview's CSP allows nothing remote).
const pageOutputs = ["media/chat.js", "media/chat.js.map", "media/chat.css", "media/chat.css.map", "media/fonts"];
for (const out of pageOutputs) rmSync(join(root, out), { recursive: true, force: true });
await build({
  bundle: true,
  logLevel: "warning",
  absWorkingDir: root,
  entryPoints: ["src/page/main.ts"],
  outfile: "media/chat.js",
  format: "iife",
  platform: "browser",
  target: ["chrome120"],
  minify: production,
  sourcemap: production ? false : "linked",
});
await build({
  bundle: true,
  logLevel: "warning",
  absWorkingDir: root,
  entryPoints: ["src/page/chat.css"],
  outfile: "media/chat.css",
  loader: { ".ttf": "file" },
  assetNames: "fonts/[name]-[hash]",
  target: ["chrome120"],
  minify: production,
  sourcemap: false,
});

if (flags.has("--tests")) {
  const stub = join(root, "test/unit/vscode-stub.ts");
  const vscodeStub = {
    name: "vscode-stub",
    setup(b) {
      b.onResolve({ filter: /^vscode$/ }, () => ({ path: stub }));
    },
  };
  const tests = readdirSync(join(root, "test/unit"))
    .filter((name) => name.endsWith(".test.ts"))
    .map((name) => `test/unit/${name}`);
  rmSync(join(root, "out"), { recursive: true, force: true });
  await build({
    ...common,
    entryPoints: tests,
    outdir: "out/test/unit",
    outbase: "test/unit",
    sourcemap: "inline",
    plugins: [vscodeStub],
  });
}
