import { execa, type Options } from "execa";
import { CommandError } from "./errors.js";

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
  };
  const r = await execa(file, args, execaOpts);
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
