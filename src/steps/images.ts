import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Host } from "../hosts/host.js";

import { run } from "../util/run.js";
import { stateDir } from "../util/paths.js";
import { writeAtomically } from "../util/atomic-file.js";

/**
 * `docker save` of an image (and its :latest name) to the state folder, once per content hash.
 * The bench's shell baseline loads the same file. A name that says nothing of its content (a
 * pulled `percona/percona-xtradb-cluster:latest`) passes its image ID, which names the file.
 */
export async function imageArchive(tag: string, id?: string): Promise<string> {
  const dir = join(stateDir(), "image-archives");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${tag.replace(/[/:]/g, "_")}${id ? `_${id.replace(/^sha256:/, "").slice(0, 12)}` : ""}.tar`);
  if (existsSync(file)) return file;
  const latest = `${tag.split(":")[0]}:latest`;
  const names = latest === tag ? [tag] : [tag, latest];
  return writeAtomically(file, (tmp) => run(["docker", "save", "-o", tmp, ...names], { timeoutMs: 900_000 }));
}

/** Whether the host holds the tag (and, when `id` is given, as that very image). */
async function hasImage(host: Host, tag: string, id?: string): Promise<boolean> {
  const r = await host.docker(["image", "inspect", "--format", "{{.Id}}", tag], { allowFailure: true });
  return r.exitCode === 0 && (!id || r.stdout.trim() === id);
}

export interface ImagePlacement {
  tag: string;
  hosts: Host[];
  /** The image ID, for names that say nothing of their content (pulled `:latest` images). */
  id?: string;
}

/**
 * Makes images available inside the hosts that run them (no registry can be reached): Galera on
 * every host, so a task rescheduled anywhere finds its image; etcd only where the walkthrough runs
 * it. Every load runs at once; hosts that already hold a tag are skipped.
 */
export async function loadImagesIntoHosts(placements: ImagePlacement[]): Promise<string[]> {
  const loaded: string[] = [];
  const files = new Map<string, string>();
  for (const p of placements) files.set(p.tag, await imageArchive(p.tag, p.id));
  await Promise.all(
    placements.flatMap((p) =>
      p.hosts.map(async (h) => {
        if (await hasImage(h, p.tag, p.id)) return;
        await h.execWithInput(["docker", "load", "-q"], files.get(p.tag)!, { timeoutMs: 600_000 });
        loaded.push(`${p.tag} -> ${h.name}`);
      }),
    ),
  );
  return loaded;
}

export interface HostPull {
  /** "ref -> host" for each image a host lacked and pulled (what `down` may remove again). */
  pulled: string[];
  /** A host that could not pull: the first one, with the engine's words. */
  failure?: { host: string; ref: string; message: string };
  /** The image ID each ref has on the first host that holds it. */
  ids: Record<string, string>;
}

/**
 * Each host pulls the images it runs itself, from whatever registry its engine reaches (machines
 * over SSH with `--images upstream`): only what it lacks. Stops at the first failure and says
 * which host, which image and what its engine said.
 */
export async function pullOnHosts(placements: Array<{ ref: string; hosts: Host[] }>, signal?: AbortSignal): Promise<HostPull> {
  const out: HostPull = { pulled: [], ids: {} };
  for (const p of placements) {
    const results = await Promise.all(
      p.hosts.map(async (h) => {
        if (await hasImage(h, p.ref)) return undefined;
        const r = await h.docker(["pull", "-q", p.ref], { allowFailure: true, timeoutMs: 1_800_000, signal });
        if (r.exitCode !== 0) return { host: h.name, ref: p.ref, message: (r.stderr || r.stdout).trim().split("\n").at(-1) ?? `exit code ${r.exitCode}` };
        out.pulled.push(`${p.ref} -> ${h.name}`);
        return undefined;
      }),
    );
    out.failure = results.find(Boolean);
    if (out.failure) return out;
    const first = p.hosts[0];
    if (first) {
      const r = await first.docker(["image", "inspect", "--format", "{{.Id}}", p.ref], { allowFailure: true });
      if (r.exitCode === 0) out.ids[p.ref] = r.stdout.trim();
    }
  }
  return out;
}
