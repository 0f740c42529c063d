// A small stand-in for the `vscode` module, which exists only inside VS Code. The test build resolves
// `vscode` to this file. vscode-languageclient subclasses several vscode classes when it loads, so
// those classes must exist (a bare Proxy is not enough); the rest is what the tested modules touch.
// Tests reach the mutable parts (open documents, folders) through `stub`.

type Listener<T> = (value: T) => unknown;

export class Disposable {
  constructor(private readonly callOnDispose: () => unknown = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.callOnDispose();
  }
}

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class CancellationError extends Error {}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = {
    isCancellationRequested: false,
    onCancellationRequested: this.emitter.event,
  };
  cancel(): void {
    if (this.token.isCancellationRequested) return;
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(start: Position | number, end: Position | number, endLine?: number, endCharacter?: number) {
    if (typeof start === "number" && typeof end === "number") {
      this.start = new Position(start, end);
      this.end = new Position(endLine ?? start, endCharacter ?? end);
    } else {
      this.start = start as Position;
      this.end = end as Position;
    }
  }
}

export class Selection extends Range {
  constructor(
    readonly anchor: Position,
    readonly active: Position,
  ) {
    const forward = anchor.line < active.line || (anchor.line === active.line && anchor.character <= active.character);
    super(forward ? anchor : active, forward ? active : anchor);
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
    readonly query = "",
    readonly fragment = "",
  ) {}
  static parse(value: string, strict = false): Uri {
    const match = /^([a-zA-Z][\w+.-]*):(?:\/\/[^/]*)?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(value);
    if (!match) {
      if (strict) throw new Error(`not a URI: ${value}`);
      return new Uri("file", value);
    }
    return new Uri(match[1] ?? "file", decodeURIComponent(match[2] ?? ""), match[3] ?? "", match[4] ?? "");
  }
  static file(path: string): Uri {
    return new Uri("file", path);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, [base.path, ...parts].join("/").replace(/\/+/g, "/"));
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: { scheme?: string; path?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, change.path ?? this.path, this.query, this.fragment);
  }
  toString(): string {
    const authority = this.scheme === "file" ? "//" : "";
    return `${this.scheme}:${authority}${encodeURI(this.path)}`;
  }
  toJSON(): unknown {
    return { scheme: this.scheme, path: this.path };
  }
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export class Diagnostic {
  source?: string;
  code?: string | number | { value: string | number; target: Uri };
  constructor(
    public range: Range,
    public message: string,
    public severity: DiagnosticSeverity = DiagnosticSeverity.Error,
  ) {}
}

// Classes vscode-languageclient extends at load time.
export class CodeAction {
  constructor(
    public title: string,
    public kind?: unknown,
  ) {}
}
export class CodeLens {
  constructor(public range: Range) {}
}
export class CompletionItem {
  constructor(public label: string) {}
}
export class DocumentLink {
  constructor(public range: Range) {}
}
export class InlayHint {
  constructor(
    public position: Position,
    public label: string,
  ) {}
}
export class SymbolInformation {
  constructor(public name: string) {}
}
export class TypeHierarchyItem {
  constructor(public name: string) {}
}
export class CallHierarchyItem {
  constructor(public name: string) {}
}
export class TabInputText {}
export class TabInputTextDiff {}
export class TabInputNotebook {}
export class TabInputCustom {}

export enum LogLevel {
  Off = 0,
  Trace = 1,
  Debug = 2,
  Info = 3,
  Warning = 4,
  Error = 5,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export class McpStdioServerDefinition {
  cwd?: Uri;
  constructor(
    readonly label: string,
    public command: string,
    public args: string[] = [],
    public env: Record<string, string | number | null> = {},
    public version?: string,
  ) {}
}

export const version = "1.101.0";

const noEvent = (): Disposable => new Disposable();

/** What tests change: the open documents, the folders and the settings. */
export const stub = {
  textDocuments: [] as unknown[],
  workspaceFolders: undefined as unknown[] | undefined,
  settings: {} as Record<string, unknown>,
};

export const workspace = {
  get textDocuments(): unknown[] {
    return stub.textDocuments;
  },
  get workspaceFolders(): unknown[] | undefined {
    return stub.workspaceFolders;
  },
  getConfiguration: (section?: string) => ({
    get: (key: string) => stub.settings[section ? `${section}.${key}` : key],
  }),
  onDidChangeConfiguration: noEvent,
  onDidChangeWorkspaceFolders: noEvent,
  onDidOpenTextDocument: noEvent,
  onDidCloseTextDocument: noEvent,
  onDidChangeTextDocument: noEvent,
  onDidSaveTextDocument: noEvent,
  applyEdit: async () => true,
};

export const window = {
  activeTextEditor: undefined as unknown,
  visibleTextEditors: [] as unknown[],
  showErrorMessage: async () => undefined,
  showWarningMessage: async () => undefined,
  showInformationMessage: async () => undefined,
  createOutputChannel: () => ({
    append: () => undefined,
    appendLine: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    debug: () => undefined,
    trace: () => undefined,
    show: () => undefined,
    dispose: () => undefined,
  }),
  onDidChangeActiveTextEditor: noEvent,
  onDidChangeTextEditorSelection: noEvent,
};

export const languages = {
  getDiagnostics: () => [],
  onDidChangeDiagnostics: noEvent,
};

export const commands = {
  registerCommand: () => new Disposable(),
  executeCommand: async () => undefined,
};

export const env = {
  clipboard: { writeText: async () => undefined },
  // Set in a remote window (code-server, Remote-SSH, WSL); tests change it.
  remoteName: undefined as string | undefined,
  openExternal: async () => true,
};

export const lm = {
  registerMcpServerDefinitionProvider: () => new Disposable(),
};

export enum TextEditorRevealType {
  Default = 0,
  InCenter = 1,
  InCenterIfOutsideViewport = 2,
  AtTop = 3,
}
