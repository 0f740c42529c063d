// Sessions and a stored transcript (m2/session's shape) the page tests draw.

export const NOW = Math.floor(Date.now() / 1000);
// Noon today, local time: "today" whatever the hour the suite runs.
const TODAY_NOON = Math.floor(new Date().setHours(12, 0, 0, 0) / 1000);
export const SESSIONS = [
  { id: "s1", title: "Fix the flaky upload test", updated: TODAY_NOON, turns: 12, contextTokens: 30000, workspace: "/work/app" },
  { id: "s2", title: "Explain the LSP bridge", updated: 1751362200, turns: 4, contextTokens: 8100, workspace: "/work/m2bridge" },
  { id: "s3", title: "", updated: 1751000000, turns: 2, contextTokens: 900, workspace: "/work/m2bridge" },
];

export const ANSWER_MD = [
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
  '  await send("x"); // retry',
  "}",
  "```",
  "",
  "See [the docs](https://example.com/retry) for details.",
].join("\n");

export const TRANSCRIPT = {
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

/** A transcript with a stopped turn and a question that got no answer. */
export const STOPPED_TRANSCRIPT = {
  id: "s3",
  title: "",
  workspace: "/work/m2bridge",
  updated: 1751000000,
  contextTokens: 900,
  turns: [
    { index: 0, created: 1751000000, kind: "user", text: "Write a long essay" },
    { index: 1, created: 1751000001, kind: "assistant", blocks: [{ type: "thinking", text: "An essay about…" }, { type: "text", text: "Once upon a time" }], incomplete: true, stopReason: "cancelled" },
    { index: 2, created: 1751000002, kind: "user", text: "Summarise the repo" },
    { index: 3, created: 1751000003, kind: "user", text: "Are you there?" },
    { index: 4, created: 1751000004, kind: "assistant", blocks: [{ type: "text", text: "Yes." }], incomplete: false, stopReason: "end_turn" },
    { index: 5, created: 1751000005, kind: "user", text: "And the tests?" },
  ],
};

export const ERROR_CARD = {
  id: "auth",
  code: "auth",
  title: "MiniMax rejected the API key",
  detail: "The key may be mistyped or for the other platform. Set the key again, or choose the host it belongs to in Settings.",
  traceId: "0a1b2c3d",
  actions: ["setApiKey", "openSettings", "copyDetails"],
};
