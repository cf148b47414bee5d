import type { Command } from "commander";
import { table } from "../util/colour.js";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { CACHE_LABEL, removeCaches } from "../images/host-cache.js";
import { stateDir } from "../util/paths.js";
import { startLab, openLab, type Lab } from "../lab.js";
import { ensureEngine } from "../engine/engine.js";
import { buildImages, listImages } from "../images/build.js";
import { prepareImages } from "../images/upstream.js";
import { imagesSummary } from "../images/source.js";
import { removeLab } from "../hosts/dind/containers.js";
import { labStatus, renderStatus } from "../checks/status.js";
import { collectLogs } from "../report/logs.js";
import { runDoctor, renderDoctor } from "../checks/doctor.js";
import { Progress } from "../report/progress.js";
import { loadUserImages, pushUserImages } from "../steps/user-images.js";
import { cliSignal, EXIT } from "./signals.js";
import { imagesOption, managersOption, sizeFrom, sizeOption } from "./options.js";
import type { ImageName } from "../images/spec.js";

const labName = (cmd: Command): string => cmd.optsWithGlobals().name as string;
/** The inventory given with --hosts: machines over SSH instead of docker-in-docker hosts. */
const inventoryOf = (cmd: Command): string | undefined => cmd.optsWithGlobals().hosts as string | undefined;
/** Opens the lab, runs fn, and closes its connections (SSH) so the process can exit. */
async function withLab<T>(cmd: Command, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await openLab(labName(cmd), inventoryOf(cmd));
  try {
    return await fn(lab);
  } finally {
    await lab.close();
  }
}

export function registerLabCommands(program: Command): void {
  program
    .command("setup")
    .description("install/start the engine and build every image (what the tests need first); --images upstream pulls where a registry answers")
    .addOption(imagesOption())
    .action(async (opts) => {
      const progress = new Progress();
      const engine = await progress.step("Docker engine", () => ensureEngine((l) => progress.note(l)), (e) => e.version);
      const set = await progress.step("images", () => prepareImages(engine.docker, { mode: opts.images, log: (l) => progress.note(l), build: "all" }), (s) => s.mode);
      if (opts.images !== "local") process.stdout.write(`${imagesSummary(set).join("\n")}\n`);
    });

  program
    .command("up")
    .description("create the three hosts docker1..3, or --size N (and with --swarm, the walkthrough's swarm and mynet)")
    .option("--swarm", "also init the swarm on docker1, join docker2/docker3 as managers (beyond --managers: as workers), create mynet")
    .option("--registry", "also run the lab's own registry on the manager (<manager address>:5000), trusted by every host")
    .option("--subnet <cidr>", "the lab bridge's subnet (default: the compose file's, or a free one for --name)")
    .option("--reuse", "if the lab exists, keep it (when it is healthy)")
    .option("--replace", "if the lab exists, remove it and make it anew")
    .option("--keep", "on failure or Ctrl-C, leave what was made for inspection")
    .option("--force", "with --hosts: take machines that are already in a swarm (they leave it)")
    .addOption(sizeOption())
    .addOption(managersOption())
    .addOption(imagesOption())
    .action(async (opts, cmd: Command) => {
      const size = sizeFrom(opts);
      const lab = await startLab({
        name: labName(cmd),
        inventory: inventoryOf(cmd),
        hosts: size.hosts,
        managers: size.managers,
        force: Boolean(opts.force),
        swarm: Boolean(opts.swarm),
        registry: Boolean(opts.registry),
        subnet: opts.subnet,
        ifExists: opts.replace ? "replace" : opts.reuse ? "reuse" : "fail",
        keep: Boolean(opts.keep),
        images: opts.images,
        signal: cliSignal(),
      });
      process.stdout.write(`lab ${lab.name} is up: ${lab.nodes.map((h) => `${h.id} (${h.address})`).join(", ")}\n`);
      if (lab.images && lab.images.asked !== "local") process.stdout.write(`images: ${lab.images.mode} (${lab.images.why}): ${lab.images.images.map((i) => i.name).join(", ")}\n`);
      await lab.close();
    });

  program
    .command("down")
    .description("remove everything that carries the lab's label (safe to run twice)")
    .action(async (_opts, cmd: Command) => {
      const s = inventoryOf(cmd)
        ? await withLab(cmd, (lab) => lab.down()).catch((e: Error) => (/no lab named/.test(e.message) ? { containers: [], networks: [], volumes: [] } : Promise.reject(e)))
        : await removeLab((await ensureEngine(undefined, { check: false })).docker, labName(cmd));
      const total = s.containers.length + s.networks.length + s.volumes.length;
      process.stdout.write(
        total === 0
          ? `nothing to remove for lab ${labName(cmd)}\n`
          : `removed ${s.containers.length} containers (${s.containers.join(", ")}), ${s.networks.length} networks, ${s.volumes.length} volumes\n`,
      );
    });

  program
    .command("status")
    .description("hosts, swarm nodes (role, leader), networks, services, Galera tasks and members, as tables (--watch: refresh while a scenario runs elsewhere)")
    .option("--json", "print JSON")
    .option("--watch [seconds]", "refresh until Ctrl-C")
    .action(async (opts, cmd: Command) => {
      const lab = await openLab(labName(cmd), inventoryOf(cmd));
      const show = async () => {
        const s = await labStatus(lab);
        return opts.json ? JSON.stringify(s, null, 2) : renderStatus(s);
      };
      if (!opts.watch) {
        process.stdout.write(`${await show()}\n`);
        return;
      }
      const every = Number(opts.watch === true ? 2 : opts.watch) * 1000;
      const signal = cliSignal();
      while (!signal.aborted) {
        // A paused host can hold an API call forever: never let one refresh stall the view.
        const text = await Promise.race([
          show().catch((e: Error) => `status failed: ${e.message}`),
          new Promise<string>((r) => setTimeout(() => r(`status: no answer within 15 s (a host may be paused or stopped)`), 15_000).unref()),
        ]);
        // Clear the screen only on a terminal: piped, each refresh follows the last.
        process.stdout.write(`${process.stdout.isTTY ? "\x1b[2J\x1b[H" : "\n"}${new Date().toLocaleTimeString()}  lab ${lab.name}  (Ctrl-C to stop)\n\n${text}\n`);
        await new Promise((r) => setTimeout(r, every));
      }
    });

  program
    .command("exec")
    .description("run a command inside a host: swarmlab exec docker1 -- docker node ls")
    .argument("<host>", "docker1, docker2 or docker3")
    .argument("<argv...>", "the command and its arguments (after --)")
    .action(async (host: string, argv: string[], _opts, cmd: Command) => {
      const lab = await openLab(labName(cmd), inventoryOf(cmd));
      const r = await lab.host(host).exec(argv, { allowFailure: true, timeoutMs: 600_000 });
      if (r.stdout) process.stdout.write(`${r.stdout}\n`);
      if (r.stderr) process.stderr.write(`${r.stderr}\n`);
      process.exitCode = r.exitCode;
    });

  program
    .command("logs")
    .description("write every host's dockerd log and every task's log to a folder")
    .option("--out <dir>", "folder", "swarmlab-logs")
    .action(async (opts, cmd: Command) => {
      const lab = await openLab(labName(cmd), inventoryOf(cmd));
      const files = await collectLogs(lab, opts.out);
      process.stdout.write(`wrote ${files.length} log files to ${opts.out}\n`);
    });

  program
    .command("doctor")
    .description("check the engine, capabilities, cgroups, VXLAN, IPVS, subnets and (after up) swarm ports between hosts")
    .option("--json", "print JSON")
    .action(async (opts, cmd: Command) => {
      const report = await runDoctor(labName(cmd));
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderDoctor(report)}\n`);
      if (report.some((c) => c.verdict === "fail")) process.exitCode = EXIT.failed;
    });

  const images = program.command("images").description("the lab's images, built from Debian packages (or pulled: --images upstream)");
  images
    .command("build")
    .description("build images whose inputs changed (tags carry a hash of their inputs); with --images upstream the base is debian:bookworm pulled from a registry and etcd/galera are the walkthrough's own images, pulled")
    .argument("[names...]", "base, dind, etcd, galera, registry, machine (default: all)")
    .addOption(imagesOption())
    .action(async (names: string[], opts) => {
      const progress = new Progress();
      const { docker } = await ensureEngine((l) => progress.note(l));
      if (opts.images === "local") {
        const built = await buildImages(docker, (l) => progress.note(l), names.length ? (names as ImageName[]) : undefined);
        for (const b of built) process.stdout.write(`${b.tag}  ${b.built ? `built in ${b.seconds.toFixed(1)}s` : "up to date"}\n`);
        return;
      }
      const set = await prepareImages(docker, { mode: opts.images, log: (l) => progress.note(l), build: names.length ? (names as ImageName[]) : "all" });
      for (const i of set.images) process.stdout.write(`${i.ref}  ${i.id.replace(/^sha256:/, "").slice(0, 12)}  ${i.origin}\n`);
      process.stdout.write(`${Object.values(set.tags).join(" ")}  (${set.mode}: ${set.baseOrigin})\n`);
    });
  images
    .command("load")
    .description("copy images from this machine's engine into every host of the lab (a host with the same image ID is skipped), as `kind load docker-image`")
    .argument("<images...>", "image references on this machine's engine")
    .action(async (refs: string[], _opts, cmd: Command) => {
      const lab = await openLab(labName(cmd), inventoryOf(cmd));
      const t0 = Date.now();
      const done = await loadUserImages(lab, refs, (l) => process.stderr.write(`  ${l}\n`));
      process.stdout.write(`${done.filter((d) => d.action === "loaded").length} loads, ${done.filter((d) => d.action !== "loaded").length} already there, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    });
  images
    .command("push")
    .description("put images from this machine's engine into the lab's registry (<manager>:5000/<name>), so services and stacks on any host can pull them (needs `up --registry`)")
    .argument("<images...>", "image references on this machine's engine")
    .action(async (refs: string[], _opts, cmd: Command) => {
      const lab = await openLab(labName(cmd), inventoryOf(cmd));
      const pushed = await pushUserImages(lab, refs, (l) => process.stderr.write(`  ${l}\n`));
      process.stdout.write(`${pushed.join("\n")}\n`);
    });
  images
    .command("ls")
    .description("list the lab's images and whether each is current")
    .action(async () => {
      const { docker } = await ensureEngine();
      const t = table(["IMAGE", "CURRENT", "SIZE", "CREATED"]);
      for (const r of await listImages(docker)) t.push([r.tag, r.current ? "yes" : "no", `${r.sizeMiB} MiB`, r.created]);
      process.stdout.write(`${t.toString()}\n`);
      const caches = (await docker.listVolumes({ filters: { label: [`${CACHE_LABEL}=images`] } })).Volumes ?? [];
      for (const v of caches) process.stdout.write(`host image cache: volume ${v.Name} (${v.Labels?.["swarmlab.cache.tags"] ?? ""})\n`);
    });
  images
    .command("prune")
    .description("remove the host image cache volumes and the saved image archives (the next `up` loads images again)")
    .action(async () => {
      const { docker } = await ensureEngine(undefined, { check: false });
      const removed = await removeCaches(docker);
      rmSync(join(stateDir(), "image-archives"), { recursive: true, force: true });
      process.stdout.write(`removed ${removed.length} cache volume(s)${removed.length ? `: ${removed.join(", ")}` : ""} and ${join(stateDir(), "image-archives")}\n`);
    });
}
