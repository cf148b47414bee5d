/**
 * The library API: a lab is three docker-in-docker hosts (optionally a swarm with the overlay
 * network mynet). The CLI is a thin layer over this.
 */
import type Docker from "dockerode";
import { ensureEngine, type Log } from "./engine/engine.js";
import { tagOf } from "./images/build.js";
import { prepareImages } from "./images/upstream.js";
import { parseImagesMode, WALKTHROUGH_IMAGES, withTag, type ImageSet, type ImagesMode, type RanImage } from "./images/source.js";
import { createHosts, engineVolumeOf, findLab, removeLab, DEFAULT_COMPOSE_FILE } from "./hosts/dind/containers.js";
import { DindProvider } from "./hosts/dind/dind-provider.js";
import { hostByName, type Host, type HostProvider, type LabHosts, type PowerOp, type RemovalSummary } from "./hosts/host.js";
import { DEFAULT_LAB, validateLabName } from "./hosts/naming.js";
import { createOverlay, managerJoinToken, swarmInit, swarmJoin, waitSwarmReady, workerJoinToken } from "./steps/swarm.js";
import { loadImagesIntoHosts, pullOnHosts } from "./steps/images.js";
import { prefillVolume, saveCache, usableCache } from "./images/host-cache.js";
import { Progress } from "./report/progress.js";
import { startRegistry } from "./steps/registry.js";
import { SshProvider } from "./hosts/ssh/ssh-provider.js";
import { loadInventory } from "./hosts/ssh/inventory.js";
import { preflight } from "./hosts/ssh/preflight.js";
import { hostsFitProblem, readCompose, topologyForSize } from "./hosts/compose.js";
import { resolveLabSize } from "./hosts/size.js";
import { LabError } from "./util/errors.js";

export const OVERLAY_NETWORK = "mynet";

export interface StartLabOptions {
  name?: string;
  swarm?: boolean;
  subnet?: string;
  composeFile?: string;
  /** How many hosts, docker1..dockerN (1..9; default the compose file's three; beyond it they follow its pattern). */
  hosts?: number;
  /** How many of them are swarm managers (odd, at most `hosts`; default 3, or 1 for fewer than 3 hosts); the rest join as workers. */
  managers?: number;
  /** What to do when the lab already exists. */
  ifExists?: "reuse" | "replace" | "fail";
  /** Machines over SSH instead of docker-in-docker hosts: an inventory file (see docs/real-hosts.md). */
  inventory?: string;
  /** With an inventory: take machines already in a swarm (they leave it). */
  force?: boolean;
  /** Also start the lab's own registry on the manager (<manager>:5000). */
  registry?: boolean;
  /** Leave a half-made lab in place when `up` fails or is interrupted. */
  keep?: boolean;
  /**
   * Where the images come from: local (default: built here from Debian packages, the lab's names
   * swarmlab/etcd and swarmlab/galera), upstream (pulled from a registry; the walkthrough's own
   * elcolio/etcd and percona/percona-xtradb-cluster, its commands unrenamed), or auto (upstream
   * when a registry answers with them, else local).
   */
  images?: ImagesMode;
  progress?: Progress;
  signal?: AbortSignal;
}

export class Lab implements AsyncDisposable {
  constructor(
    /** Where the hosts come from: docker-in-docker containers, or machines over SSH. */
    readonly provider: HostProvider,
    readonly hosts: LabHosts,
    /** Remove the lab on dispose (false when the user asked to keep it). */
    public removeOnDispose = true,
  ) {}

  /**
   * The images this lab runs and where they came from (`--images`); undefined for a lab opened as
   * it runs (openLab), which is taken to run the lab's own names.
   */
  images?: ImageSet;

  /** The outer engine (docker-in-docker labs only): what holds the hosts' containers. */
  get docker(): Docker {
    if (this.provider instanceof DindProvider) return this.provider.docker;
    throw new LabError(`lab ${this.name} runs on ${this.provider.kind} hosts: there is no outer engine`);
  }

  get name(): string {
    return this.hosts.name;
  }

  host(name: string): Host {
    return hostByName(this.hosts, name);
  }

  get nodes(): Host[] {
    return this.hosts.hosts;
  }

  /**
   * The hosts that run and are not frozen, asked of the provider (milliseconds for dind).
   * A stopped or frozen host's API does not refuse, it stalls until a timeout: skip it instead.
   */
  liveNodes(): Promise<Host[]> {
    return this.provider.live(this.nodes);
  }

  /** Stops, kills, freezes, thaws, starts or restarts a host (start and restart wait for its engine). */
  power(host: string, op: PowerOp, opts: { grace?: number; signal?: AbortSignal } = {}): Promise<void> {
    return this.provider.power(this.host(host), op, opts);
  }

  /** The first host, where the walkthrough types its manager commands. */
  get manager(): Host {
    return this.hosts.hosts[0]!;
  }

  async down(): Promise<RemovalSummary> {
    return this.provider.remove(this.name);
  }

  /** Closes the provider's connections (SSH): the process can exit. */
  async close(): Promise<void> {
    await this.provider.close?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      if (this.removeOnDispose) await this.down();
    } finally {
      await this.close();
    }
  }
}

/** Hosts are running swarm managers already? Used to reuse a lab. */
async function isSwarmReady(lab: LabHosts): Promise<boolean> {
  try {
    await waitSwarmReady(lab.hosts[0]!, lab.hosts.length, 3000, undefined, lab.managers ?? lab.hosts.length);
    return true;
  } catch {
    return false;
  }
}

/**
 * Turns bare hosts into the walkthrough's swarm: init on docker1, the next hosts join as managers
 * (the walkthrough's three all do), any beyond `lab.managers` join with the worker token; mynet.
 */
export async function formSwarm(lab: LabHosts, progress: Progress): Promise<void> {
  const [first, ...rest] = lab.hosts;
  if (!first) throw new LabError("the lab has no hosts");
  const managers = lab.managers ?? lab.hosts.length;
  await progress.step(`docker swarm init --advertise-addr ${first.address} (on ${first.name})`, () => swarmInit(first));
  const token = await progress.step("docker swarm join-token manager", () => managerJoinToken(first));
  const workerToken = managers < lab.hosts.length ? await progress.step("docker swarm join-token worker", () => workerJoinToken(first)) : "";
  for (const [i, h] of rest.entries()) {
    const asManager = i + 1 < managers;
    await progress.step(`docker swarm join --token ... ${first.address}:2377 (on ${h.name}, as a ${asManager ? "manager" : "worker"})`, () =>
      swarmJoin(h, asManager ? token : workerToken, first.address),
    );
  }
  const workers = lab.hosts.length - managers;
  await progress.step(`${managers} manager${managers === 1 ? "" : "s"} Ready, one Leader${workers ? `; ${workers} worker${workers === 1 ? "" : "s"} Ready` : ""}`, () =>
    waitSwarmReady(first, lab.hosts.length, 60_000, undefined, managers),
  );
  await progress.step(`docker network create --driver overlay ${OVERLAY_NETWORK}`, () => createOverlay(first, OVERLAY_NETWORK));
}

/** Engine, images, hosts, and (with swarm) the walkthrough's swarm and overlay. */
export async function startLab(opts: StartLabOptions = {}): Promise<Lab> {
  const asked = parseImagesMode(opts.images); // a bad value is refused before anything is made
  if (opts.inventory) return startSshLab(opts.inventory, opts);
  const name = validateLabName(opts.name ?? DEFAULT_LAB);
  // The size is refused before anything is made: out of 1..9, an even or too large manager count, a subnet too small.
  const file = readCompose(opts.composeFile ?? DEFAULT_COMPOSE_FILE);
  const size = resolveLabSize({ hosts: opts.hosts, managers: opts.managers }, file.hosts.length);
  const sized = topologyForSize(file, size.hosts);
  const tooSmall = opts.subnet ? hostsFitProblem(sized, opts.subnet) : undefined;
  if (tooSmall) throw new LabError(`--subnet: ${tooSmall}`, { hint: "pass a /24 (the hosts keep the file's host part: .201 upward)" });
  const progress = opts.progress ?? new Progress();
  const log: Log = (l) => progress.note(l);
  const engine = await progress.step("Docker engine", () => ensureEngine(log), (e) => `${e.version}${e.started ? " (started by the lab)" : ""}`);
  const docker = engine.docker;
  const images = await progress.step(
    asked === "local" ? "images (built from Debian packages, reused when unchanged)" : `images (--images ${asked}: pulled where a registry answers)`,
    () => prepareImages(docker, { mode: asked, log, signal: opts.signal }),
    (s) => `${s.mode}: ${s.images.map((i) => `${i.name} ${i.id.replace(/^sha256:/, "").slice(0, 12)}`).join(", ")}`,
  );

  const existing = await findLab(docker, name, opts.composeFile);
  if (existing) {
    const how = opts.ifExists ?? "fail";
    if (how === "fail") {
      throw new LabError(`lab ${name} already exists (${existing.hosts.map((h) => h.id).join(", ")})`, {
        hint: "use --reuse to keep it, --replace to make it anew, or `swarmlab down` first",
      });
    }
    // A lab of another size is never reused: its hosts or roles are not the ones asked for.
    const sameSize = existing.hosts.length === size.hosts && (existing.managers ?? existing.hosts.length) === size.managers;
    if (how === "reuse" && !sameSize) {
      progress.note(`lab ${name} has ${existing.hosts.length} hosts (${existing.managers ?? existing.hosts.length} managers), asked for ${size.hosts} (${size.managers}): replacing it`);
    } else if (how === "reuse") {
      const swarmOk = !opts.swarm || (await isSwarmReady(existing));
      if (swarmOk) {
        progress.note(`reusing lab ${name}`);
        const lab = new Lab(new DindProvider(docker), existing, false);
        lab.images = images;
        if (opts.registry) await progress.step("the lab's registry on the manager", () => startRegistry(lab, opts.signal), (a) => a);
        return lab;
      }
      progress.note(`lab ${name} exists but its swarm is not ready: replacing it`);
    }
    await progress.step(`remove existing lab ${name}`, () => removeLab(docker, name));
  }

  try {
    const galera = roleOf(images, "galera");
    const etcd = roleOf(images, "etcd");
    // The host image cache holds one set of images and drops the others when it saves: kept for
    // the lab's own images only, so a lab with pulled images never evicts the usual one.
    const imageTags = [galera.ref, etcd.ref];
    const cacheable = images.mode === "local";
    const cache = cacheable ? await usableCache(docker, imageTags, engine.locality) : undefined;
    if (!engine.locality.local) progress.note(`host image cache: ${engine.locality.facilities["volume-paths"].detail}`);
    const what = `hosts ${sized.hosts.length === 1 ? sized.hosts[0]!.service : `${sized.hosts[0]!.service}..${sized.hosts.at(-1)!.service}`} from docker-compose.dind.yml${sized.hosts.length > file.hosts.length ? " (beyond its hosts, their pattern)" : ""}`;
    const hosts = await progress.step(
      cache ? `${what} (images from the host image cache)` : what,
      () =>
        createHosts(docker, {
          name,
          subnet: opts.subnet,
          composeFile: opts.composeFile,
          hosts: size.hosts,
          managers: size.managers,
          dindImage: images.tags.dind,
          locality: engine.locality,
          log,
          signal: opts.signal,
          prefillEngineVolume: cache ? async (v) => void (await prefillVolume(docker, cache, v)) : undefined,
        }),
      (h) => `${h.hosts.map((x) => `${x.id}=${x.address}`).join(" ")} [${h.mode}]`,
    );
    await progress.step(`images into every host (docker save | docker load)${images.mode === "upstream" ? `: ${galera.name}, ${etcd.name}` : ""}`, () =>
      loadImagesIntoHosts([
        { tag: galera.ref, hosts: hosts.hosts, ...(images.mode === "upstream" ? { id: galera.id } : {}) },
        // the walkthrough runs etcd on docker1 only
        { tag: etcd.ref, hosts: hosts.hosts.filter((h) => h.name === "docker1"), ...(images.mode === "upstream" ? { id: etcd.id } : {}) },
      ]),
    );
    if (!cache && cacheable) {
      // Keep docker1's freshly loaded images (it holds them all) for the next lab; best effort.
      const spec = hosts.topology.hosts.find((h) => h.service === "docker1");
      const volume = spec ? engineVolumeOf(name, spec) : undefined;
      if (volume) await saveCache(docker, imageTags, volume, engine.locality).catch((e: Error) => progress.note(`image cache not kept: ${e.message.split("\n")[0]}`));
    }
    opts.signal?.throwIfAborted();
    if (opts.swarm) await formSwarm(hosts, progress);
    const lab = new Lab(new DindProvider(docker), hosts);
    lab.images = images;
    if (opts.registry) await progress.step("the lab's registry on the manager (Debian's docker-registry)", () => startRegistry(lab, opts.signal), (a) => a);
    return lab;
  } catch (err) {
    if (!opts.keep) {
      await removeLab(docker, name).catch(() => {});
      progress.note(`removed the half-made lab ${name} (pass --keep to leave it for inspection)`);
    }
    throw err;
  }
}

/** The etcd or Galera image of a set (every set has both: prepareImages builds or pulls them). */
function roleOf(set: ImageSet, role: RanImage["role"]): RanImage {
  const i = set.images.find((x) => x.role === role);
  if (!i) throw new LabError(`no ${role} image in the lab's image set (${set.mode})`);
  return i;
}

/** The lab's hosts from an inventory: machines over SSH (the walkthrough's names, their own addresses). */
function sshLabHosts(name: string, provider: SshProvider, composeFile?: string): LabHosts {
  const topology = readCompose(composeFile ?? DEFAULT_COMPOSE_FILE);
  const first = provider.hosts[0]!.address.split(".").slice(0, 3).join(".");
  return { name, subnet: `${first}.0/24`, network: "", mode: "ssh", hosts: provider.hosts, topology };
}

/**
 * A lab on machines over SSH: no engine of this machine is used (images come from the archives
 * `setup` made). Refused before anything changes when a machine is unreachable, has no engine, or
 * is in a swarm of its own; what each machine had is recorded so `down` leaves it as it was.
 */
async function startSshLab(inventoryFile: string, opts: StartLabOptions): Promise<Lab> {
  const name = validateLabName(opts.name ?? DEFAULT_LAB);
  const progress = opts.progress ?? new Progress();
  const topology = readCompose(opts.composeFile ?? DEFAULT_COMPOSE_FILE);
  // The inventory's machines are the compose file's hosts: a size is only their roles.
  const size = resolveLabSize({ hosts: opts.hosts, managers: opts.managers }, topology.hosts.length);
  if (size.hosts !== topology.hosts.length) {
    throw new LabError(`--size ${size.hosts}: a lab on machines over SSH has the inventory's ${topology.hosts.length} hosts (${topology.hosts.map((h) => h.service).join(", ")})`);
  }
  const inventory = loadInventory(inventoryFile, topology.hosts.map((h) => h.service));
  const provider = new SshProvider(inventory);
  const lab = new Lab(provider, { ...sshLabHosts(name, provider, opts.composeFile), managers: size.managers });
  try {
    const own = await provider.hasLab(name).catch(() => false);
    await progress.step(`machines from ${inventoryFile}: reachable, an engine, no swarm of their own`, () => preflight(provider.hosts, { force: opts.force, ownLab: own }), () => provider.hosts.map((h) => `${h.name}=${h.id}`).join(" "));
    if (own) {
      if ((opts.ifExists ?? "fail") === "fail") throw new LabError(`lab ${name} is already on these machines`, { hint: "use --replace, or `swarmlab --hosts <inventory> down` first" });
      if (opts.ifExists === "reuse" && (!opts.swarm || (await isSwarmReady(lab.hosts)))) {
        lab.removeOnDispose = false;
        return lab;
      }
      await progress.step(`remove lab ${name} from the machines`, () => provider.remove(name));
    } else if (opts.force) {
      // Machines in a swarm of their own: they leave it first (asked for with --force).
      await Promise.all(provider.hosts.map((h) => h.docker(["swarm", "leave", "--force"], { allowFailure: true })));
    }
    await progress.step("record what each machine has (down removes only what the lab adds)", () => provider.recordBefore(name));
    lab.images = await sshImages(lab, provider, name, parseImagesMode(opts.images), progress, opts.signal);
    opts.signal?.throwIfAborted();
    if (opts.swarm) await formSwarm(lab.hosts, progress);
    return lab;
  } catch (err) {
    if (!opts.keep) await provider.remove(name).catch(() => {});
    await provider.close();
    throw err;
  }
}

/**
 * Images on machines over SSH. local: loaded from the archives `setup` made, only what a machine
 * lacks. upstream: each machine pulls the walkthrough's own images from the registry its engine
 * reaches (only what it lacks); auto: that, else the local way. What a machine lacked and got is
 * noted, so `down` removes it again.
 */
async function sshImages(lab: Lab, provider: SshProvider, name: string, asked: ImagesMode, progress: Progress, signal?: AbortSignal): Promise<ImageSet> {
  const first = provider.hosts.filter((h) => h.name === "docker1");
  const note = async (lines: string[], alsoLatest: boolean) => {
    for (const l of lines) {
      const [tag, host] = l.split(" -> ");
      await provider.noteLoadedImage(host!, tag!, name);
      if (alsoLatest) await provider.noteLoadedImage(host!, `${tag!.split(":")[0]}:latest`, name);
    }
  };
  const idOn = async (ref: string) => (await lab.manager.docker(["image", "inspect", "--format", "{{.Id}}", ref], { allowFailure: true })).stdout.trim();
  const tags = { base: tagOf("base"), dind: tagOf("dind"), registry: tagOf("registry") };
  let why = "--images local: every image built from Debian packages (the archives `setup` made), loaded over SSH";
  if (asked !== "local") {
    const refs = { galera: withTag(WALKTHROUGH_IMAGES.galera.walkthrough), etcd: withTag(WALKTHROUGH_IMAGES.etcd.walkthrough) };
    const pulled = await progress.step(`the walkthrough's images, pulled by each machine from its own registry (--images ${asked})`, () =>
      pullOnHosts([
        { ref: refs.galera, hosts: provider.hosts },
        { ref: refs.etcd, hosts: first },
      ], signal),
    );
    await note(pulled.pulled, false);
    if (!pulled.failure) {
      const origin = "pulled by the machines from the registry their engines reach";
      return {
        asked,
        mode: "upstream",
        why: `--images ${asked}: every machine pulled the walkthrough's images`,
        images: (["etcd", "galera"] as const).map((role) => ({ role, name: WALKTHROUGH_IMAGES[role].walkthrough, ref: refs[role], id: pulled.ids[refs[role]] ?? "", origin })),
        tags,
        baseOrigin: "the machines' own engines (hosts over SSH)",
      };
    }
    const f = pulled.failure;
    const line = `${f.host} could not pull ${f.ref} (${f.message})`;
    if (asked === "upstream") throw new LabError(`--images upstream: ${line}`, { hint: "give the machines a registry or mirror that has it (their dockerd's registry-mirrors), or use --images local" });
    why = `--images auto: local, because ${line}`;
    progress.note(why);
  }
  const loaded = await progress.step("images into every machine over SSH (only what a machine lacks)", () =>
    loadImagesIntoHosts([
      { tag: tagOf("galera"), hosts: provider.hosts },
      { tag: tagOf("etcd"), hosts: first },
    ]),
  );
  await note(loaded, true);
  const images: RanImage[] = [];
  for (const role of ["etcd", "galera"] as const) images.push({ role, name: WALKTHROUGH_IMAGES[role].lab, ref: tagOf(role), id: await idOn(tagOf(role)), origin: "built from Debian packages (setup's archives), loaded over SSH" });
  return { asked, mode: "local", why, images, tags, baseOrigin: "the machines' own engines (hosts over SSH)" };
}

/** The lab as it runs now, or an error that says how to make one. */
export async function openLab(name = DEFAULT_LAB, inventory?: string): Promise<Lab> {
  if (inventory) {
    const provider = new SshProvider(loadInventory(inventory, readCompose(DEFAULT_COMPOSE_FILE).hosts.map((h) => h.service)));
    if (!(await provider.hasLab(validateLabName(name)))) {
      await provider.close();
      throw new LabError(`no lab named ${name} is on the machines of ${inventory}`, { hint: `start one with \`swarmlab --hosts ${inventory} up --swarm\`` });
    }
    return new Lab(provider, sshLabHosts(name, provider), false);
  }
  const { docker } = await ensureEngine();
  const hosts = await findLab(docker, validateLabName(name));
  if (!hosts) throw new LabError(`no lab named ${name} is running`, { hint: "start one with `swarmlab up --swarm`" });
  return new Lab(new DindProvider(docker), hosts, false);
}
