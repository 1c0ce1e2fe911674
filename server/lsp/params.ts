// Registration of the custom requests (server/protocol/lsp.ts) with their params checked first: a
// request whose params are missing, positional (an array) or of the wrong shape is answered with
// InvalidParams (-32602) and a message, never reaches a handler as a stray value, and never turns
// into a raw TypeError (-32603).
//
// vscode-jsonrpc calls a string-method handler as handler(token) without params and as
// handler(...params, token) for positional params; this undoes that, so `check` always sees the
// params exactly as sent (undefined when absent).

import { CancellationToken, ErrorCodes, ResponseError, type Connection } from 'vscode-languageserver/node';

/** Returns a message for the first problem with `params`, or undefined when they are fine. */
export type ParamsCheck = (params: unknown) => string | undefined;

/** For requests that take no params: absent, null or an object are accepted (and ignored). */
export const noParams: ParamsCheck = (p) =>
  p === undefined || p === null || (typeof p === 'object' && !Array.isArray(p)) ? undefined : 'takes no params (or an empty object)';

export function onCheckedRequest<P, R>(
  connection: Pick<Connection, 'onRequest'>,
  method: string,
  check: ParamsCheck,
  handler: (params: P, token: CancellationToken) => R | Promise<R>,
): void {
  connection.onRequest(method, (...args: unknown[]): Promise<unknown> => {
    // vscode-jsonrpc always passes its cancellation token last
    const last = args[args.length - 1];
    const token = CancellationToken.is(last) ? last : CancellationToken.None;
    const given = args.slice(0, -1);
    // one argument: params by name (an object) or a single positional value; more: positional
    const params = given.length === 0 ? undefined : given.length === 1 ? given[0] : given;
    const problem = given.length > 1 ? 'params must be an object (by name), not a list' : check(params);
    if (problem) throw new ResponseError(ErrorCodes.InvalidParams, `${method}: ${problem}`);
    return Promise.resolve(handler(params as P, token));
  });
}
