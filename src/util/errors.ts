/** Errors that carry what a user needs to act: the command, where it ran, and what it printed. */

export class LabError extends Error {
  override name = "LabError";
  /** A hint on what to do next, printed after the message by the CLI. */
  readonly hint?: string;
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.hint = options.hint;
  }
}

export function shellQuote(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(" ");
}

function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split("\n");
  return all.length > lines ? [`... (${all.length - lines} earlier lines)`, ...all.slice(-lines)].join("\n") : all.join("\n");
}

export class CommandError extends LabError {
  override name = "CommandError";
  constructor(
    readonly argv: readonly string[],
    readonly where: string,
    readonly exitCode: number | undefined,
    readonly stdout: string,
    readonly stderr: string,
    reason?: string,
  ) {
    const out = [stderr.trim() && `stderr:\n${tail(stderr)}`, stdout.trim() && `stdout:\n${tail(stdout)}`]
      .filter(Boolean)
      .join("\n");
    super(
      `${reason ?? `command failed with exit code ${exitCode ?? "?"}`} on ${where}: ${shellQuote(argv)}` +
        (out ? `\n${out}` : " (no output)"),
    );
  }
}

export class WaitTimeoutError extends LabError {
  override name = "WaitTimeoutError";
  constructor(
    readonly waitedFor: string,
    readonly timeoutMs: number,
    readonly lastSeen: string,
  ) {
    super(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${waitedFor}; last seen: ${lastSeen}`);
  }
}

/** An abort from Ctrl-C, SIGTERM or a caller's AbortSignal (DOMException AbortError or our reason). */
export function isAbort(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return name === "AbortError" || (err as { isCanceled?: boolean } | undefined)?.isCanceled === true;
}

/** The reason an AbortSignal carries, as an Error named AbortError. */
export function abortError(signal: AbortSignal): Error {
  const r = signal.reason as unknown;
  if (r instanceof Error) return r;
  return new DOMException(typeof r === "string" ? r : "aborted", "AbortError");
}
