// Open documents, kept in step with the engine: every incremental change the client sends is
// applied here (TextDocument.update) and forwarded to the engine in order, as editSync.ts
// normalises it (the range TextDocument replaced, or the whole text when line breaks merged), so
// both copies hold the same text whatever ranges the client sent. Until a model is loaded nothing
// is forwarded; `attach` then opens every document in the engine.

import { TextDocuments, type Connection } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { EngineLike } from './engineClient';
import type { TextEdit } from '../protocol/ipc';
import { documentPath } from './docPath';
import { applyChanges } from './editSync';
import type { Logger } from './logger';

/** Most recently used documents remembered for relevance ordering. */
const MAX_RECENT = 50;

export class DocumentSync {
  readonly documents: TextDocuments<TextDocument>;
  private forwarding = false;
  /** URIs, least recently used first. */
  private readonly recent: string[] = [];

  constructor(
    private readonly engine: EngineLike,
    private readonly log: Logger,
    private readonly roots: () => readonly string[],
  ) {
    this.documents = new TextDocuments<TextDocument>({
      create: (uri, languageId, version, content) => TextDocument.create(uri, languageId, version, content),
      update: (document, changes, version) => {
        const edits = applyChanges(document, changes, version);
        if (this.forwarding) this.forwardEdit(document.uri, version, edits);
        return document;
      },
    });
    this.documents.onDidOpen(({ document }) => {
      this.touch(document.uri);
      if (this.forwarding) {
        this.open(document);
        this.warm(document.uri);
      }
    });
    this.documents.onDidClose(({ document }) => {
      const i = this.recent.indexOf(document.uri);
      if (i >= 0) this.recent.splice(i, 1);
      if (this.forwarding) this.fireAndLog('closeDocument', this.engine.request('closeDocument', { uri: document.uri }));
    });
  }

  listen(connection: Connection): void {
    this.documents.listen(connection);
  }

  get(uri: string): TextDocument | undefined {
    return this.documents.get(uri);
  }

  all(): TextDocument[] {
    return this.documents.all();
  }

  /** Whether the engine has the documents (a model is loaded). */
  get attached(): boolean {
    return this.forwarding;
  }

  /** The path header for a document (workspace-relative, or its file name). */
  pathOf(uri: string): string {
    return documentPath(uri, this.roots());
  }

  /** Opens every document in the engine and forwards changes from now on. */
  attach(): void {
    this.forwarding = true;
    for (const doc of this.documents.all()) this.open(doc);
    const active = this.activeUri;
    if (active) this.warm(active);
  }

  /** Stops forwarding (the engine restarted or has no model). */
  detach(): void {
    this.forwarding = false;
  }

  /** The document used last (opened, edited or completed in), if still open. */
  get activeUri(): string | undefined {
    return this.recent[this.recent.length - 1];
  }

  /** Open documents, least recently used first. */
  recentUris(): string[] {
    return [...this.recent];
  }

  /**
   * Records that a document is in use. When it becomes the active one (another was active), the
   * engine warms its checkpoints up to `line`.
   */
  touch(uri: string, line?: number): void {
    if (!this.documents.get(uri)) return;
    const wasActive = this.activeUri;
    const i = this.recent.indexOf(uri);
    if (i >= 0) this.recent.splice(i, 1);
    this.recent.push(uri);
    if (this.recent.length > MAX_RECENT) this.recent.shift();
    if (wasActive !== undefined && wasActive !== uri && i >= 0 && this.forwarding) this.warm(uri, line);
  }

  /** Asks the engine to feed the document's checkpoints in the background; errors are logged. */
  warm(uri: string, line?: number): void {
    this.fireAndLog('warm', this.engine.request('warm', line === undefined ? { uri } : { uri, line }));
  }

  private open(doc: TextDocument): void {
    this.fireAndLog(
      'openDocument',
      this.engine.request('openDocument', { uri: doc.uri, path: this.pathOf(doc.uri), text: doc.getText(), version: doc.version }),
    );
  }

  private forwardEdit(uri: string, version: number, changes: TextEdit[]): void {
    this.touch(uri);
    this.engine.request('editDocument', { uri, version, changes }).catch((err: Error) => {
      if (!this.forwarding) return;
      // The engine's copy is out of step (e.g. the open failed): send the whole text again. Edits
      // sent after this point apply on top of it, since the engine applies them in order.
      const doc = this.documents.get(uri);
      this.log.warn(`editDocument ${uri} failed (${err.name}: ${err.message})${doc ? '; reopening it in the engine' : ''}`);
      if (doc) this.open(doc);
    });
  }

  private fireAndLog(what: string, p: Promise<unknown>): void {
    p.catch((err: Error) => {
      if (err.name === 'CancelledError') return;
      this.log.warn(`${what} failed: ${err.name}: ${err.message}`);
    });
  }
}
