import { Command, CommanderError, Option } from "commander";
import { LabError } from "../util/errors.js";
import { registerLabCommands } from "./lab-commands.js";
import { registerRunCommands } from "./run-commands.js";
import { registerBenchCommand } from "./bench-command.js";

/** Exit codes scripts can trust. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export async function main(argv: string[]): Promise<number> {
  const program = new Command("swarmlab")
    .description("A real three-host Docker Swarm on one machine: replays the Percona/Galera swarm walkthrough and injects failures")
    .addOption(new Option("--name <lab>", "lab name (hosts of lab N are N-docker1..3)").default("swarmlab"))
    .showHelpAfterError()
    .exitOverride();
  registerLabCommands(program);
  registerRunCommands(program);
  registerBenchCommand(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if ((err as Error).name === "AbortError") {
      process.stderr.write("interrupted\n");
      return EXIT.interrupted;
    }
    process.stderr.write(`swarmlab: ${(err as Error).message}\n`);
    if (err instanceof LabError && err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    else if (!(err instanceof LabError) && process.env.SWARMLAB_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return EXIT.failed;
  }
}

/** Aborts on the first Ctrl-C/SIGTERM so half-made work is removed; a second one exits at once. */
export function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count += 1;
    if (count > 1) process.exit(EXIT.interrupted);
    process.stderr.write(`\n${sig}: stopping and cleaning up (again to exit at once)\n`);
    ac.abort(new DOMException(`interrupted by ${sig}`, "AbortError"));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return ac.signal;
}
