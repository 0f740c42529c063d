import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Serial } from "../../src/serial";

const later = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("serial jobs (the language client's start, stop and restarts)", () => {
  it("runs jobs asked for together one after another, in order", async () => {
    const serial = new Serial();
    const log: string[] = [];
    const job = (name: string, ms: number) => async () => {
      log.push(`${name} start`);
      await later(ms);
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([serial.run(job("a", 20)), serial.run(job("b", 1)), serial.run(job("c", 5))]);
    assert.deepEqual(results, ["a", "b", "c"]);
    assert.deepEqual(log, ["a start", "a end", "b start", "b end", "c start", "c end"]);
  });

  it("goes on with the next job after one fails, and the failure reaches its caller", async () => {
    const serial = new Serial();
    const failed = serial.run(async () => {
      throw new Error("spawn ENOENT");
    });
    const next = serial.run(async () => "started");
    await assert.rejects(failed, /ENOENT/);
    assert.equal(await next, "started");
  });

  it("is idle only once every job queued so far, including ones queued while waiting, has finished", async () => {
    const serial = new Serial();
    const done: string[] = [];
    void serial.run(async () => {
      await later(5);
      done.push("first");
      void serial.run(async () => {
        await later(5);
        done.push("second");
      });
    });
    await serial.idle();
    assert.deepEqual(done, ["first", "second"]);
  });
});
