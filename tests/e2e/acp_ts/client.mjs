// An ACP editor made of the official TypeScript SDK (@agentclientprotocol/sdk): its client app over the
// stdio of a spawned agent (`m2bridge acp`), driven through a scenario and reporting everything it saw.
//
//   node client.mjs SCENARIO.json REPORT.json
//
// The scenario: { agent: {command, args, env, cwd, stderr}, capabilities: {fs, terminal},
//                 timeoutSeconds, steps: [...] }. Steps:
//   {op: "initialize"}
//   {op: "newSession", cwd, as}                         names the new session `as` for later steps
//   {op: "loadSession", cwd, sessionId, as}
//   {op: "prompt", session, text, permissions: ["allow_once" | "allow_always" | "reject_once", ...],
//    cancelAfter: "agent_thought_chunk" (optional: send session/cancel when the first such update arrives)}
// `session` is a name given by `as` or a literal session id.
//
// The client answers the agent's requests as an editor would: permission requests with the prompt
// step's answers in order (by option kind), files on the real disk, terminals as real child processes.
// Everything is recorded; the report is written even when a step fails. Every wait is bounded.

import { spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, writeFileSync, closeSync } from "node:fs";
import { dirname } from "node:path";
import { Readable, Writable } from "node:stream";
import * as acp from "@agentclientprotocol/sdk";

const [scenarioPath, reportPath] = process.argv.slice(2);
if (!scenarioPath || !reportPath) {
  process.stderr.write("usage: node client.mjs SCENARIO.json REPORT.json\n");
  process.exit(2);
}
const scenario = JSON.parse(readFileSync(scenarioPath, "utf8"));
const TERMINAL_SECONDS = 60; // a command the agent starts in our terminal is killed after this long

const report = {
  sdkVersion: JSON.parse(
    readFileSync(new URL("./node_modules/@agentclientprotocol/sdk/package.json", import.meta.url), "utf8"),
  ).version,
  steps: [],
  updates: [], // every session/update, in arrival order: {step, sessionId, update}
  permissions: [], // {step, sessionId, toolCall, options, answer}
  fs: [], // {step, op: "read" | "write", path, line, limit, content}
  terminals: [], // {step, id, command, args, env, cwd, outputByteLimit, exitStatus, output, calls}
  sdkErrors: [], // what the SDK logged with console.error (a message that failed the schema, ...)
  agentExit: null,
  error: null,
};

// The SDK reports messages it could not handle (one that fails the schema, say) with console.error.
console.error = (...args) => {
  report.sdkErrors.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
};

let stepIndex = -1;
let current = null; // the running prompt step's state: {sessionId, permissions, cancelAfter, cancelled}
const sessions = new Map(); // name -> session id

function sessionIdOf(name) {
  return sessions.get(name) ?? name;
}

// Terminals ----------------------------------------------------------------------------------------
const terminals = new Map(); // id -> {record, child, chunks, exited: Promise, exitStatus}
let terminalCount = 0;

function keptOutput(term) {
  const whole = Buffer.concat(term.chunks);
  const limit = term.record.outputByteLimit;
  if (limit == null || whole.length <= limit) return { output: whole.toString("utf8"), truncated: false };
  let start = whole.length - limit;
  while (start < whole.length && (whole[start] & 0xc0) === 0x80) start++; // a character boundary
  return { output: whole.subarray(start).toString("utf8"), truncated: true };
}

function createTerminal(params) {
  const id = `term-${++terminalCount}`;
  const record = {
    step: stepIndex,
    id,
    sessionId: params.sessionId,
    command: params.command,
    args: params.args ?? [],
    env: params.env ?? [],
    cwd: params.cwd ?? null,
    outputByteLimit: params.outputByteLimit ?? null,
    exitStatus: null,
    output: null,
    calls: ["create"],
  };
  report.terminals.push(record);
  const env = { ...process.env };
  for (const { name, value } of record.env) env[name] = value;
  const child = spawn(record.command, record.args, {
    cwd: record.cwd ?? undefined,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so kill reaches whatever it started
  });
  const term = { record, child, chunks: [], exitStatus: null };
  child.stdout.on("data", (b) => term.chunks.push(b));
  child.stderr.on("data", (b) => term.chunks.push(b));
  term.exited = new Promise((resolve) => {
    const done = (exitCode, signal) => {
      if (term.exitStatus) return;
      term.exitStatus = { exitCode: exitCode ?? null, signal: signal ?? null };
      record.exitStatus = term.exitStatus;
      record.output = keptOutput(term).output;
      resolve(term.exitStatus);
    };
    child.on("close", done);
    child.on("error", (err) => {
      term.chunks.push(Buffer.from(`${err.message}\n`));
      done(127, null);
    });
  });
  term.timer = setTimeout(() => killGroup(child), TERMINAL_SECONDS * 1000);
  term.exited.then(() => clearTimeout(term.timer));
  terminals.set(id, term);
  return { terminalId: id };
}

function killGroup(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function terminalNamed(params, call) {
  const term = terminals.get(params.terminalId);
  if (!term) throw acp.RequestError.invalidParams({ terminalId: params.terminalId }, "unknown terminal");
  term.record.calls.push(call);
  return term;
}

// The client app -----------------------------------------------------------------------------------
const app = acp
  .client({ name: "m2bridge-tests (official TypeScript SDK)" })
  .onNotification(acp.methods.client.session.update, ({ params }) => {
    report.updates.push({ step: stepIndex, sessionId: params.sessionId, update: params.update });
    const turn = current;
    if (
      turn &&
      turn.cancelAfter &&
      !turn.cancelled &&
      params.sessionId === turn.sessionId &&
      params.update.sessionUpdate === turn.cancelAfter
    ) {
      turn.cancelled = true;
      turn.cancel();
    }
  })
  .onRequest(acp.methods.client.session.requestPermission, ({ params }) => {
    const turn = current;
    const wanted = turn && turn.sessionId === params.sessionId ? turn.permissions.shift() : undefined;
    const option = params.options.find((o) => o.kind === wanted);
    const answer = option
      ? { outcome: "selected", optionId: option.optionId }
      : { outcome: "cancelled" }; // not expected by the scenario: cancelled, and recorded
    report.permissions.push({
      step: stepIndex,
      sessionId: params.sessionId,
      toolCall: params.toolCall,
      options: params.options,
      wanted: wanted ?? null,
      answer,
    });
    return { outcome: answer };
  })
  .onRequest(acp.methods.client.fs.readTextFile, ({ params }) => {
    let content = readFileSync(params.path, "utf8");
    if (params.line != null || params.limit != null) {
      const lines = content.split(/(?<=\n)/);
      const from = Math.max((params.line ?? 1) - 1, 0);
      content = lines.slice(from, params.limit != null ? from + params.limit : undefined).join("");
    }
    report.fs.push({
      step: stepIndex,
      op: "read",
      sessionId: params.sessionId,
      path: params.path,
      line: params.line ?? null,
      limit: params.limit ?? null,
      content,
    });
    return { content };
  })
  .onRequest(acp.methods.client.fs.writeTextFile, ({ params }) => {
    mkdirSync(dirname(params.path), { recursive: true });
    writeFileSync(params.path, params.content);
    report.fs.push({
      step: stepIndex,
      op: "write",
      sessionId: params.sessionId,
      path: params.path,
      content: params.content,
    });
    return {};
  })
  .onRequest(acp.methods.client.terminal.create, ({ params }) => createTerminal(params))
  .onRequest(acp.methods.client.terminal.output, ({ params }) => {
    const term = terminalNamed(params, "output");
    return { ...keptOutput(term), exitStatus: term.exitStatus };
  })
  .onRequest(acp.methods.client.terminal.waitForExit, async ({ params }) => {
    const term = terminalNamed(params, "wait_for_exit");
    return await term.exited;
  })
  .onRequest(acp.methods.client.terminal.kill, ({ params }) => {
    killGroup(terminalNamed(params, "kill").child);
    return {};
  })
  .onRequest(acp.methods.client.terminal.release, async ({ params }) => {
    const term = terminalNamed(params, "release");
    if (!term.exitStatus) {
      killGroup(term.child);
      await term.exited;
    }
    terminals.delete(params.terminalId);
    return {};
  });

// The steps ----------------------------------------------------------------------------------------
async function runStep(agent, step) {
  const capabilities = scenario.capabilities ?? {};
  switch (step.op) {
    case "initialize":
      return await agent.request(acp.methods.agent.initialize, {
        protocolVersion: acp.PROTOCOL_VERSION,
        clientCapabilities: {
          fs: { readTextFile: Boolean(capabilities.fs), writeTextFile: Boolean(capabilities.fs) },
          terminal: Boolean(capabilities.terminal),
        },
        clientInfo: { name: "m2bridge-tests-ts", version: report.sdkVersion },
      });
    case "newSession": {
      const made = await agent.request(acp.methods.agent.session.new, { cwd: step.cwd, mcpServers: [] });
      if (step.as) sessions.set(step.as, made.sessionId);
      return made;
    }
    case "loadSession": {
      const loaded = await agent.request(acp.methods.agent.session.load, {
        cwd: step.cwd,
        sessionId: step.sessionId,
        mcpServers: [],
      });
      if (step.as) sessions.set(step.as, step.sessionId);
      return loaded ?? {};
    }
    case "prompt": {
      const sessionId = sessionIdOf(step.session);
      current = {
        sessionId,
        permissions: [...(step.permissions ?? [])],
        cancelAfter: step.cancelAfter ?? null,
        cancelled: false,
        cancel: () => {
          agent.notify(acp.methods.agent.session.cancel, { sessionId }).catch((err) => {
            report.sdkErrors.push(`session/cancel failed: ${err}`);
          });
        },
      };
      try {
        const answer = await agent.request(acp.methods.agent.session.prompt, {
          sessionId,
          prompt: [{ type: "text", text: step.text }],
        });
        return { ...answer, cancelSent: current.cancelled, unusedPermissions: current.permissions };
      } finally {
        current = null;
      }
    }
    default:
      throw new Error(`unknown step op ${JSON.stringify(step.op)}`);
  }
}

function errorOf(err) {
  if (err instanceof acp.RequestError) return { code: err.code, message: err.message, data: err.data ?? null };
  return { code: null, message: String(err?.stack ?? err), data: null };
}

let agentProcess = null;

async function main() {
  const spec = scenario.agent;
  const stderr = spec.stderr ? openSync(spec.stderr, "a") : "inherit";
  const child = (agentProcess = spawn(spec.command, spec.args ?? [], {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ["pipe", "pipe", stderr],
  }));
  const exited = new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  const stream = acp.ndJsonStream(Writable.toWeb(child.stdin), Readable.toWeb(child.stdout));

  await app.connectWith(stream, async (agent) => {
    for (const step of scenario.steps) {
      stepIndex++;
      const entry = { op: step.op, name: step.as ?? step.session ?? null, response: null, error: null };
      report.steps.push(entry);
      try {
        entry.response = await runStep(agent, step);
      } catch (err) {
        entry.error = errorOf(err);
      }
    }
  });

  // Like an editor closing: end the agent's stdin, then wait for it (bounded) before forcing it.
  child.stdin.end();
  const patience = setTimeout(() => child.kill("SIGTERM"), 15000);
  const hard = setTimeout(() => child.kill("SIGKILL"), 25000);
  report.agentExit = await exited;
  clearTimeout(patience);
  clearTimeout(hard);
  if (typeof stderr === "number") closeSync(stderr);
}

const deadline = setTimeout(
  () => {
    report.error = `the scenario did not finish within ${scenario.timeoutSeconds ?? 120} s`;
    finish(3);
  },
  (scenario.timeoutSeconds ?? 120) * 1000,
);

function finish(code) {
  clearTimeout(deadline);
  if (agentProcess && agentProcess.exitCode === null && agentProcess.signalCode === null) {
    agentProcess.kill("SIGKILL");
  }
  for (const term of terminals.values()) killGroup(term.child);
  writeFileSync(reportPath, JSON.stringify(report, null, 2));
  process.exit(code);
}

main().then(
  () => finish(0),
  (err) => {
    report.error = String(err?.stack ?? err);
    finish(1);
  },
);
