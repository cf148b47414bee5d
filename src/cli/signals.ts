/**
 * Exit codes and signals, in one place. The first Ctrl-C or SIGTERM aborts the one signal every
 * command passes down (waits, checks, faults, the workload, engine and mysql2 calls stop, cleanup
 * runs); the process then exits by itself with 130 (SIGINT) or 143 (SIGTERM). A second signal
 * exits at once.
 */

/** Exit codes scripts can trust. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130, terminated: 143 } as const;

const controller = new AbortController();
let received: NodeJS.Signals | undefined;
let installed = false;

const codeOf = (sig: NodeJS.Signals | undefined) => (sig === "SIGTERM" ? EXIT.terminated : EXIT.interrupted);

/** Installs the handlers (once) and returns the signal every command passes down. */
export function cliSignal(): AbortSignal {
  if (!installed) {
    installed = true;
    const onSignal = (sig: NodeJS.Signals) => {
      if (received) {
        process.stderr.write(`\n${sig} again: exiting now, without cleaning up\n`);
        process.exit(codeOf(sig));
      }
      received = sig;
      process.stderr.write(`\n${sig}: stopping and cleaning up (${sig === "SIGINT" ? "Ctrl-C" : sig} again to exit at once)\n`);
      controller.abort(new DOMException(`interrupted by ${sig}`, "AbortError"));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  return controller.signal;
}

/** The exit code after an interrupt: 130 for SIGINT, 143 for SIGTERM; undefined when none came. */
export function interruptedExitCode(): number | undefined {
  return received ? codeOf(received) : undefined;
}

export function interruptingSignal(): NodeJS.Signals | undefined {
  return received;
}
