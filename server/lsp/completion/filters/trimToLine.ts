// Single-line mode: keep the completion up to its first line break.

export function trimToLine(completion: string): string {
  const nl = completion.search(/\r?\n/);
  return nl < 0 ? completion : completion.slice(0, nl);
}
