/**
 * A user's own images into the lab (as `kind load docker-image` does): copied from the outer engine
 * into every host, skipping a host that already has the same image ID; or pushed to the lab's
 * registry, from the manager, so every host can pull them.
 */
import type Docker from "dockerode";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "../lab.js";
import type { Host } from "../hosts/host.js";
import { requireRegistry } from "./registry.js";
import { run } from "../util/run.js";
import { stateDir } from "../util/paths.js";
import { writeAtomically } from "../util/atomic-file.js";
import { LabError } from "../util/errors.js";

export interface ImageLoad {
  image: string;
  host: string;
  /** loaded, or skipped because the host holds the same image ID */
  action: "loaded" | "same image";
  seconds: number;
}

/** The outer engine's image IDs of `refs`; every missing one at once, with the fix, before anything changes. */
export async function outerImageIds(docker: Docker, refs: string[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const missing: string[] = [];
  for (const ref of refs) {
    const info = await docker.getImage(ref).inspect().catch(() => undefined);
    if (info) ids.set(ref, info.Id);
    else missing.push(ref);
  }
  if (missing.length) {
    throw new LabError(`not on this machine's engine: ${missing.join(", ")} (nothing was changed on any host)`, {
      hint: `build or pull it first: docker build -t ${missing[0]} <dir>, or docker pull ${missing[0]}`,
    });
  }
  return ids;
}

/** `docker save` once per image ID, kept in the state folder (the next load of the same ID reuses it). */
async function archiveOf(ref: string, id: string): Promise<string> {
  const dir = join(stateDir(), "user-images");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${id.replace("sha256:", "").slice(0, 24)}.tar`);
  if (!existsSync(file)) {
    await writeAtomically(file, (tmp) => run(["docker", "save", "-o", tmp, ref], { timeoutMs: 900_000 }));
  }
  return file;
}

async function idOn(h: Host, ref: string): Promise<string | undefined> {
  const r = await h.docker(["image", "inspect", "--format", "{{.Id}}", ref], { allowFailure: true, timeoutMs: 20_000 });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

/** The host holds the image by its ID (under any name): give it this name too. */
async function tagIfPresent(h: Host, id: string, ref: string): Promise<boolean> {
  if ((await idOn(h, id)) !== id) return false;
  await h.docker(["tag", id, ref], { timeoutMs: 20_000 });
  return true;
}

/** Copies images into every host (in parallel); `progress` hears one line per host and image. */
export async function loadUserImages(lab: Lab, refs: string[], progress: (line: string) => void = () => {}, hosts: Host[] = lab.nodes): Promise<ImageLoad[]> {
  const ids = await outerImageIds(lab.docker, refs);
  const out: ImageLoad[] = [];
  for (const ref of refs) {
    const id = ids.get(ref)!;
    const file = await archiveOf(ref, id);
    await Promise.all(
      hosts.map(async (h) => {
        const t0 = Date.now();
        // Same image ID already there (maybe under another name): only the name is added.
        if ((await idOn(h, ref)) === id || (await tagIfPresent(h, id, ref))) {
          out.push({ image: ref, host: h.name, action: "same image", seconds: 0 });
          progress(`${h.name}: ${ref} already there (same image ID)`);
          return;
        }
        await h.execWithInput(["docker", "load", "-q"], file, { timeoutMs: 900_000 });
        // The archive is kept per image ID: it may carry another name for the same image.
        await h.docker(["tag", id, ref], { timeoutMs: 20_000 });
        const seconds = (Date.now() - t0) / 1000;
        out.push({ image: ref, host: h.name, action: "loaded", seconds });
        progress(`${h.name}: loaded ${ref} (${seconds.toFixed(1)} s)`);
      }),
    );
  }
  return out;
}

/** registry/name:tag for a local ref: its own registry host (if any) replaced by the lab's. */
export function registryRef(registry: string, ref: string): string {
  const parts = ref.split("/");
  const hasHost = parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!);
  const path = hasHost ? parts.slice(1).join("/") : ref;
  return `${registry}/${path.includes(":") || path.includes("@") ? path : `${path}:latest`}`;
}

/** Puts outer images into the lab's registry: loaded into the manager, tagged, pushed from there. */
export async function pushUserImages(lab: Lab, refs: string[], progress: (line: string) => void = () => {}): Promise<string[]> {
  const registry = await requireRegistry(lab);
  await loadUserImages(lab, refs, progress, [lab.manager]);
  const pushed: string[] = [];
  for (const ref of refs) {
    const target = registryRef(registry, ref);
    await lab.manager.docker(["tag", ref, target], { timeoutMs: 30_000 });
    await lab.manager.docker(["push", target], { timeoutMs: 900_000 });
    progress(`pushed ${target}`);
    pushed.push(target);
  }
  return pushed;
}
