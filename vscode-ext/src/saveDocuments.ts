// `m2/saveDocuments {uris} -> {saved}`: after M2's edit the server asks the editor to save the files
// that had no unsaved changes before it, so tests and git see M2's work. The server decides which to
// ask for; the extension checks again, because a buffer holding the user's own unsaved work must never
// be saved behind their back: the edit ledger remembers, for each document an M2 edit touched, whether
// it was already dirty when that edit arrived.

export const SAVE_DOCUMENTS = "m2/saveDocuments";
/** More than this in one request is not an editor's worth of M2 edits; the rest are not saved. */
export const MAX_URIS = 1000;

/** What the handler needs of a vscode.TextDocument. */
export interface SavableDocument {
  /** `document.uri.toString()`. */
  readonly key: string;
  readonly isDirty: boolean;
  readonly isUntitled: boolean;
  save(): PromiseLike<boolean>;
}

export class EditLedger {
  private readonly dirtyBefore = new Map<string, boolean>();

  constructor(private readonly limit = 1000) {}

  /** An M2 edit is about to touch `key`; `dirty` is whether the user had unsaved changes in it. */
  beforeEdit(key: string, dirty: boolean): void {
    // Dirty with no record: the user's changes. Dirty after an earlier M2 edit that found it clean: that
    // edit's own change, not the user's (until they save, which forgets the record). Clean: nobody's.
    const previous = this.dirtyBefore.get(key);
    const userChanges = dirty && (previous ?? true);
    this.dirtyBefore.delete(key); // re-inserted last, so the oldest entries are the ones dropped
    this.dirtyBefore.set(key, userChanges);
    while (this.dirtyBefore.size > this.limit) {
      const oldest = this.dirtyBefore.keys().next().value;
      if (oldest === undefined) break;
      this.dirtyBefore.delete(oldest);
    }
  }

  /** The user saved or closed it: its next edit starts from a clean slate. */
  forget(key: string): void {
    this.dirtyBefore.delete(key);
  }

  /** Whether the last M2 edit of `key` found the user's unsaved changes in it. */
  heldUserChanges(key: string): boolean {
    return this.dirtyBefore.get(key) === true;
  }
}

export interface SaveResult {
  saved: string[];
}

function requestedUris(params: unknown): string[] {
  if (typeof params !== "object" || params === null) return [];
  const uris = (params as { uris?: unknown }).uris;
  if (!Array.isArray(uris)) return [];
  return uris.filter((u): u is string => typeof u === "string" && u !== "").slice(0, MAX_URIS);
}

/**
 * Saves what may be saved and answers with the URIs (as the server sent them) now on disk with M2's
 * text. Not saved: documents that are not open (there is no buffer with the edit), untitled ones (saving
 * would ask for a file name), and ones that held the user's unsaved changes before the edit. An open
 * document that is not dirty is already on disk as it is, so it counts as saved.
 */
export async function saveDocuments(
  params: unknown,
  find: (uri: string) => SavableDocument | undefined,
  ledger: EditLedger,
): Promise<SaveResult> {
  const saved: string[] = [];
  for (const uri of requestedUris(params)) {
    const document = find(uri);
    if (document === undefined || document.isUntitled || ledger.heldUserChanges(document.key)) continue;
    if (!document.isDirty) {
      saved.push(uri);
      continue;
    }
    try {
      if (await document.save()) saved.push(uri);
    } catch {
      // A failed save (read-only file, disk full) is reported by VS Code; the server hears "not saved".
    }
  }
  return { saved };
}

/** The URIs of the documents whose text an LSP WorkspaceEdit changes (files created count too). */
export function editedUris(edit: unknown): string[] {
  if (typeof edit !== "object" || edit === null) return [];
  const uris = new Set<string>();
  const { changes, documentChanges } = edit as { changes?: unknown; documentChanges?: unknown };
  if (typeof changes === "object" && changes !== null) {
    for (const uri of Object.keys(changes)) uris.add(uri);
  }
  if (Array.isArray(documentChanges)) {
    for (const change of documentChanges as unknown[]) {
      if (typeof change !== "object" || change === null) continue;
      const { textDocument, uri } = change as { textDocument?: { uri?: unknown }; uri?: unknown };
      if (typeof textDocument?.uri === "string") uris.add(textDocument.uri);
      else if (typeof uri === "string") uris.add(uri);
    }
  }
  return [...uris];
}
