import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";

import { debounce } from "../../src/debounce";

describe("debounce", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
  afterEach(() => mock.timers.reset());

  it("runs once, the wait after the last call, with the last call's arguments", () => {
    const calls: number[] = [];
    const d = debounce((n: number) => calls.push(n), 150);
    d(1);
    mock.timers.tick(100);
    d(2);
    mock.timers.tick(100);
    d(3);
    mock.timers.tick(149);
    assert.deepEqual(calls, []);
    mock.timers.tick(1);
    assert.deepEqual(calls, [3]);
    mock.timers.tick(1000);
    assert.deepEqual(calls, [3]);
  });

  it("runs again for calls after it has run", () => {
    const calls: string[] = [];
    const d = debounce((s: string) => calls.push(s), 150);
    d("a");
    mock.timers.tick(150);
    d("b");
    mock.timers.tick(150);
    assert.deepEqual(calls, ["a", "b"]);
  });

  it("flush runs the pending call at once and returns its result, and nothing runs later", () => {
    const calls: number[] = [];
    const d = debounce((n: number) => {
      calls.push(n);
      return n * 10;
    }, 150);
    d(4);
    assert.equal(d.pending, true);
    assert.equal(d.flush(), 40);
    assert.equal(d.pending, false);
    mock.timers.tick(500);
    assert.deepEqual(calls, [4]);
  });

  it("flush with nothing pending does nothing", () => {
    let ran = false;
    const d = debounce(() => (ran = true), 150);
    assert.equal(d.flush(), undefined);
    assert.equal(ran, false);
  });

  it("cancel drops the pending call", () => {
    let ran = false;
    const d = debounce(() => (ran = true), 150);
    d();
    d.cancel();
    mock.timers.tick(1000);
    assert.equal(ran, false);
    assert.equal(d.pending, false);
  });
});
