import type { Command } from "commander";
import { ensureEngine } from "../engine/engine.js";
import { buildImages } from "../images/build.js";
import { machinesDown, machinesUp } from "../hosts/ssh/machines.js";
import { Progress } from "../report/progress.js";
import { cliSignal } from "./signals.js";

export function registerMachinesCommand(program: Command): void {
  const machines = program.command("machines").description("stand-in machines (sshd + dockerd) on this machine, to try the ssh provider (--hosts) without real servers");
  machines
    .command("up")
    .description("make three stand-in machines from the compose file's hosts, a key for them, and their inventory")
    .option("--inventory <file>", "where to write the inventory", "machines.yaml")
    .action(async (opts, cmd: Command) => {
      const name = cmd.optsWithGlobals().name as string;
      const progress = new Progress();
      const { docker } = await progress.step("Docker engine", () => ensureEngine((l) => progress.note(l)), (e) => e.version);
      await progress.step("images", () => buildImages(docker, (l) => progress.note(l), ["machine", "galera", "etcd"]));
      const r = await progress.step(`stand-in machines ${name}`, () => machinesUp(docker, { name, inventory: opts.inventory, log: (l) => progress.note(l), signal: cliSignal() }), (x) => x.machines.map((m) => `${m.name}=${m.address}`).join(" "));
      process.stdout.write(`inventory: ${r.inventory}\nnext: swarmlab --hosts ${r.inventory} run seed\n`);
    });
  machines
    .command("down")
    .description("remove the stand-in machines")
    .action(async (_opts, cmd: Command) => {
      const { docker } = await ensureEngine();
      const s = await machinesDown(docker, cmd.optsWithGlobals().name as string);
      process.stdout.write(`removed ${s.containers.length} machines, ${s.networks.length} networks, ${s.volumes.length} volumes\n`);
    });
}
