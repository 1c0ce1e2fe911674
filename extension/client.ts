// Builds the LanguageClient: the server (dist/server.js) over IPC, all languages on file and untitled
// documents, and a middleware that drops inline-completion requests for switched-off languages.
// Ghost text itself is the standard textDocument/inlineCompletion, registered by the client library.
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { SECTION, type Settings } from '../server/shared/settings';
import { enableMap } from './config';
import { skipInlineCompletion } from './gate';

export function createClient(
  context: vscode.ExtensionContext,
  outputChannel: vscode.LogOutputChannel,
  settings: Settings,
  trusted: boolean,
): LanguageClient {
  const module = path.join(context.extensionPath, 'dist', 'server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
    outputChannel,
    synchronize: { configurationSection: SECTION },
    initializationOptions: {
      // Workspace storage keeps one workspace's state apart from another's; global storage without a folder.
      storagePath: (context.storageUri ?? context.globalStorageUri).fsPath,
      // what is the machine's rather than a workspace's: auto's choice of providers
      globalStoragePath: context.globalStorageUri.fsPath,
      extensionPath: context.extensionPath,
      settings,
      // Workspace Trust: an untrusted workspace's files are not read into the model state.
      trusted,
    },
    middleware: {
      provideInlineCompletionItems: (document, position, ctx, token, next) =>
        skipInlineCompletion(enableMap(), document.languageId) ? undefined : next(document, position, ctx, token),
    },
  };
  // Id "statewise" makes the client honour `statewise.trace.server`.
  return new LanguageClient('statewise', 'Statewise', serverOptions, clientOptions);
}
