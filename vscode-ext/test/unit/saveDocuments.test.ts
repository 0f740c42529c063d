import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { EditLedger, MAX_URIS, type SavableDocument, editedUris, saveDocuments } from "../../src/saveDocuments";

class FakeDocument implements SavableDocument {
  saves = 0;
  constructor(
    readonly key: string,
    public isDirty: boolean,
    readonly isUntitled = false,
    private readonly saveWorks = true,
  ) {}
  async save(): Promise<boolean> {
    this.saves++;
    if (!this.saveWorks) return false;
    this.isDirty = false;
    return true;
  }
}

function editor(...documents: FakeDocument[]): (uri: string) => FakeDocument | undefined {
  return (uri) => documents.find((d) => d.key === uri);
}

describe("m2/saveDocuments", () => {
  it("saves the open documents M2 edited and answers with their URIs", async () => {
    const a = new FakeDocument("file:///r/a.py", true);
    const b = new FakeDocument("file:///r/b.py", true);
    const ledger = new EditLedger();
    ledger.beforeEdit(a.key, false);
    ledger.beforeEdit(b.key, false);
    const result = await saveDocuments({ uris: [a.key, b.key] }, editor(a, b), ledger);
    assert.deepEqual(result, { saved: [a.key, b.key] });
    assert.equal(a.saves + b.saves, 2);
  });

  it("never saves a document that held the user's unsaved changes before M2's edit", async () => {
    const mine = new FakeDocument("file:///r/mine.py", true);
    const ledger = new EditLedger();
    ledger.beforeEdit(mine.key, true);
    const result = await saveDocuments({ uris: [mine.key] }, editor(mine), ledger);
    assert.deepEqual(result.saved, []);
    assert.equal(mine.saves, 0);
  });

  it("saves a document again edited by M2 while still dirty from its own earlier edit", async () => {
    const doc = new FakeDocument("file:///r/a.py", true);
    const ledger = new EditLedger();
    ledger.beforeEdit(doc.key, false); // first edit: clean
    ledger.beforeEdit(doc.key, true); // second edit: dirty, but only from the first
    assert.deepEqual((await saveDocuments({ uris: [doc.key] }, editor(doc), ledger)).saved, [doc.key]);
  });

  it("forgets the user's changes once they saved, so the next M2 edit's file is saved", async () => {
    const doc = new FakeDocument("file:///r/a.py", true);
    const ledger = new EditLedger();
    ledger.beforeEdit(doc.key, true);
    ledger.forget(doc.key);
    ledger.beforeEdit(doc.key, false);
    assert.deepEqual((await saveDocuments({ uris: [doc.key] }, editor(doc), ledger)).saved, [doc.key]);
  });

  it("counts an open document that is not dirty as saved, without saving it", async () => {
    const clean = new FakeDocument("file:///r/c.py", false);
    const result = await saveDocuments({ uris: [clean.key] }, editor(clean), new EditLedger());
    assert.deepEqual(result.saved, [clean.key]);
    assert.equal(clean.saves, 0);
  });

  it("leaves out documents that are not open, untitled ones, and ones whose save failed", async () => {
    const untitled = new FakeDocument("untitled:Untitled-1", true, true);
    const readOnly = new FakeDocument("file:///r/ro.py", true, false, false);
    const result = await saveDocuments(
      { uris: ["file:///r/closed.py", untitled.key, readOnly.key] },
      editor(untitled, readOnly),
      new EditLedger(),
    );
    assert.deepEqual(result.saved, []);
    assert.equal(untitled.saves, 0);
  });

  it("answers malformed params with nothing saved", async () => {
    for (const params of [undefined, null, "x", { uris: "file:///a" }, { uris: [1, null] }]) {
      assert.deepEqual(await saveDocuments(params, () => undefined, new EditLedger()), { saved: [] });
    }
  });

  it("reads at most MAX_URIS URIs from one request", async () => {
    const uris = Array.from({ length: MAX_URIS + 50 }, (_, i) => `file:///r/${i}.py`);
    const docs = uris.map((u) => new FakeDocument(u, false));
    const lookup = new Map(docs.map((d) => [d.key, d]));
    const result = await saveDocuments({ uris }, (u) => lookup.get(u), new EditLedger());
    assert.equal(result.saved.length, MAX_URIS);
  });

  it("lists the documents a workspace edit touches, in both LSP forms", () => {
    assert.deepEqual(editedUris({ changes: { "file:///a": [], "file:///b": [] } }), ["file:///a", "file:///b"]);
    assert.deepEqual(
      editedUris({
        documentChanges: [
          { kind: "create", uri: "file:///new" },
          { textDocument: { uri: "file:///new", version: null }, edits: [] },
          { textDocument: { uri: "file:///old", version: 3 }, edits: [] },
        ],
      }),
      ["file:///new", "file:///old"],
    );
    assert.deepEqual(editedUris(null), []);
  });

  it("keeps the ledger bounded, dropping the oldest entries", () => {
    const ledger = new EditLedger(2);
    ledger.beforeEdit("a", true);
    ledger.beforeEdit("b", true);
    ledger.beforeEdit("c", true);
    assert.equal(ledger.heldUserChanges("a"), false);
    assert.equal(ledger.heldUserChanges("c"), true);
  });
});
