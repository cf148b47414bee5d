import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import type { HostNode } from "../hosts/node.js";
import { CommandError } from "../util/errors.js";
import { run } from "../util/run.js";
import { stateDir } from "../util/paths.js";

/** `docker save` of an image (and its :latest name) to the state folder, once per content hash. */
async function savedArchive(tag: string): Promise<string> {
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

/**
 * Makes images available inside every host (no registry can be reached), so a task rescheduled
 * on any host finds its image. Hosts that already hold the tag are skipped.
 */
export async function loadImagesIntoHosts(hosts: HostNode[], tags: string[]): Promise<string[]> {
  const loaded: string[] = [];
  for (const tag of tags) {
    const file = await savedArchive(tag);
    await Promise.all(
      hosts.map(async (h) => {
        if (await hasImage(h, tag)) return;
        const argv = ["docker", "exec", "-i", h.container, "docker", "load", "-q"];
        const r = await execa(argv[0]!, argv.slice(1), { inputFile: file, reject: false, timeout: 600_000 });
        if (r.exitCode !== 0) throw new CommandError(argv, h.name, r.exitCode, String(r.stdout), String(r.stderr));
        loaded.push(`${tag} -> ${h.name}`);
      }),
    );
  }
  return loaded;
}
