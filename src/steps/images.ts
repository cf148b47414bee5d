import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Host } from "../hosts/host.js";

import { run } from "../util/run.js";
import { stateDir } from "../util/paths.js";
import { writeAtomically } from "../util/atomic-file.js";

/**
 * `docker save` of an image (and its :latest name) to the state folder, once per content hash.
 * The bench's shell baseline loads the same file.
 */
export async function imageArchive(tag: string): Promise<string> {
  const dir = join(stateDir(), "image-archives");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${tag.replace(/[/:]/g, "_")}.tar`);
  if (existsSync(file)) return file;
  const latest = `${tag.split(":")[0]}:latest`;
  return writeAtomically(file, (tmp) => run(["docker", "save", "-o", tmp, tag, latest], { timeoutMs: 600_000 }));
}

async function hasImage(host: Host, tag: string): Promise<boolean> {
  const r = await host.docker(["image", "inspect", "--format", "{{.Id}}", tag], { allowFailure: true });
  return r.exitCode === 0;
}

export interface ImagePlacement {
  tag: string;
  hosts: Host[];
}

/**
 * Makes images available inside the hosts that run them (no registry can be reached): Galera on
 * every host, so a task rescheduled anywhere finds its image; etcd only where the walkthrough runs
 * it. Every load runs at once; hosts that already hold a tag are skipped.
 */
export async function loadImagesIntoHosts(placements: ImagePlacement[]): Promise<string[]> {
  const loaded: string[] = [];
  const files = new Map<string, string>();
  for (const p of placements) files.set(p.tag, await imageArchive(p.tag));
  await Promise.all(
    placements.flatMap((p) =>
      p.hosts.map(async (h) => {
        if (await hasImage(h, p.tag)) return;
        await h.execWithInput(["docker", "load", "-q"], files.get(p.tag)!, { timeoutMs: 600_000 });
        loaded.push(`${p.tag} -> ${h.name}`);
      }),
    ),
  );
  return loaded;
}
