import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import type { HostNode } from "../hosts/node.js";
import { CommandError } from "../util/errors.js";
import { run } from "../util/run.js";
import { stateDir } from "../util/paths.js";

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
  await run(["docker", "save", "-o", `${file}.part`, tag, latest], { timeoutMs: 600_000 });
  renameSync(`${file}.part`, file);
  return file;
}

async function hasImage(host: HostNode, tag: string): Promise<boolean> {
  const r = await host.docker(["image", "inspect", "--format", "{{.Id}}", tag], { allowFailure: true });
  return r.exitCode === 0;
}

export interface ImagePlacement {
  tag: string;
  hosts: HostNode[];
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
        const argv = ["docker", "exec", "-i", h.container, "docker", "load", "-q"];
        const r = await execa(argv[0]!, argv.slice(1), { inputFile: files.get(p.tag)!, reject: false, timeout: 600_000 });
        if (r.exitCode !== 0) throw new CommandError(argv, h.name, r.exitCode, String(r.stdout), String(r.stderr));
        loaded.push(`${p.tag} -> ${h.name}`);
      }),
    ),
  );
  return loaded;
}
