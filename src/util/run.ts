import { execa, type Options } from "execa";
import { CommandError, abortError } from "./errors.js";

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  /** Where the command runs, for error messages ("this machine", "docker2"). */
  where?: string;
  input?: string;
  timeoutMs?: number;
  /** Do not throw on a non-zero exit; the caller inspects exitCode. */
  allowFailure?: boolean;
  env?: Record<string, string>;
  cwd?: string;
  /** Ctrl-C/SIGTERM or a caller: the command is killed and run() rejects with an AbortError. */
  signal?: AbortSignal;
}

/** Runs argv (no shell) and throws a CommandError carrying the command and its output on failure. */
export async function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error("run: empty argv");
  const execaOpts: Options = {
    reject: false,
    input: opts.input,
    timeout: opts.timeoutMs,
    env: opts.env,
    cwd: opts.cwd,
    stripFinalNewline: true,
    cancelSignal: opts.signal,
    // The lab kills its own children on abort; execa's exit hook (signal-exit) would otherwise
    // re-raise SIGTERM and end the process before the lab is cleaned up.
    cleanup: false,
  };
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const r = await execa(file, args, execaOpts);
  if (r.isCanceled && opts.signal) throw abortError(opts.signal);
  const stdout = String(r.stdout ?? "");
  const stderr = String(r.stderr ?? "");
  const exitCode = r.exitCode ?? -1;
  const where = opts.where ?? "this machine";
  if (r.timedOut) {
    throw new CommandError(argv, where, exitCode, stdout, stderr, `command timed out after ${opts.timeoutMs}ms`);
  }
  if (r.failed && r.exitCode === undefined) {
    throw new CommandError(argv, where, undefined, stdout, stderr || (r.message ?? ""), "command could not run");
  }
  if (exitCode !== 0 && !opts.allowFailure) throw new CommandError(argv, where, exitCode, stdout, stderr);
  return { stdout, stderr, exitCode };
}
