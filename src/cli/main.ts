import { Command, CommanderError, Option } from "commander";
import { LabError, isAbort } from "../util/errors.js";
import { DEFAULT_LAB } from "../hosts/naming.js";
import { EXIT, cliSignal, interruptedExitCode, interruptingSignal } from "./signals.js";
import { registerLabCommands } from "./lab-commands.js";
import { registerRunCommands } from "./run-commands.js";
import { registerBenchCommand } from "./bench-command.js";
import { registerChaosCommand } from "./chaos-command.js";
import { registerMachinesCommand } from "./machines-command.js";


export { EXIT };

export async function main(argv: string[]): Promise<number> {
  // Before anything runs: a signal during start-up must also clean up, not kill the process.
  cliSignal();
  const program = new Command("swarmlab")
    .description("A real three-host Docker Swarm on one machine: replays the Percona/Galera swarm walkthrough and injects failures")
    .addOption(new Option("--name <lab>", "lab name (hosts of lab N are N-docker1..3)").default(DEFAULT_LAB))
    .addOption(new Option("--hosts <inventory>", "run on machines over SSH listed in this inventory instead of docker-in-docker hosts (docs/real-hosts.md)"))
    .showHelpAfterError()
    .exitOverride();
  registerLabCommands(program);
  registerRunCommands(program);
  registerBenchCommand(program);
  registerChaosCommand(program);
  registerMachinesCommand(program);
  try {
    await program.parseAsync(argv);
    const interrupted = interruptedExitCode();
    if (interrupted !== undefined) {
      process.stderr.write(`interrupted by ${interruptingSignal()}\n`);
      return interrupted;
    }
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const interrupted = interruptedExitCode();
    if (interrupted !== undefined || isAbort(err)) {
      process.stderr.write(`interrupted${interruptingSignal() ? ` by ${interruptingSignal()}` : ""}\n`);
      return interrupted ?? EXIT.interrupted;
    }
    process.stderr.write(`swarmlab: ${(err as Error).message}\n`);
    if (err instanceof LabError && err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    else if (!(err instanceof LabError) && process.env.SWARMLAB_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return EXIT.failed;
  }
}

