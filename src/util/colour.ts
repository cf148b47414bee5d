/**
 * Colour and terminal control only where a person looks at a terminal: not when piped into a file
 * or a CI log, and never with NO_COLOR set (https://no-color.org) or TERM=dumb.
 */
import Table from "cli-table3";

export function colourOn(stream: { isTTY?: boolean } = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") return false;
  if (process.env.TERM === "dumb") return false;
  return Boolean(stream.isTTY);
}

/** A cli-table3 table whose header and borders are coloured only on a terminal. */
export function table(head: string[], opts: { colWidths?: number[]; wordWrap?: boolean; stream?: { isTTY?: boolean } } = {}): InstanceType<typeof Table> {
  const colour = colourOn(opts.stream);
  return new Table({
    head,
    ...(opts.colWidths ? { colWidths: opts.colWidths } : {}),
    ...(opts.wordWrap ? { wordWrap: true } : {}),
    style: colour ? { head: ["cyan"], border: ["grey"] } : { head: [], border: [] },
  });
}
