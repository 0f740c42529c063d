// Bundles the extension (and, with --tests, each unit test) with esbuild.
//   node scripts/build.mjs               src/extension.ts -> dist/extension.js (with a source map)
//   node scripts/build.mjs --production  the same, minified, without a source map (for the .vsix)
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
