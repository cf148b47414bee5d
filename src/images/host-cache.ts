/**
 * The image cache for hosts: loading ~1 GB of images into three hosts with `docker load` was most
 * of the time `up` took. After the first load, the image part of one host's /var/lib/docker (its
 * `image/` metadata and the `overlay2/` layers, nothing else: no swarm, no containers, no networks)
 * is kept in a volume labelled swarmlab.cache=images, one per set of image tags. A new host's data
 * volume is filled from it before the host starts: layers by hard link (image layers are never
 * written; overlay2 only reads them as lower layers), metadata by copy. Works when the engine's
 * volumes are on this machine's filesystem: when engineLocality (src/engine/locality.ts) says the
 * engine is elsewhere (Docker Desktop's VM, DOCKER_HOST to another machine), no cache is read or
 * kept and the lab loads images with `docker load` as before. A Mountpoint that happens to exist
 * here is then never taken for the engine's.
 */
import { createHash } from "node:crypto";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { run } from "../util/run.js";
import type { EngineLocality } from "../engine/locality.js";

/** Whether the engine's volume paths are this machine's (the cache's only requirement). */
export type CacheLocality = Pick<EngineLocality, "local">;

export const CACHE_LABEL = "swarmlab.cache";
const COMPLETE = ".swarmlab-image-cache-complete";

export function cacheVolumeName(tags: string[]): string {
  const h = createHash("sha256").update([...tags].sort().join("\n")).digest("hex").slice(0, 12);
  return `swarmlab-image-cache-${h}`;
}

async function mountpoint(docker: Docker, volume: string): Promise<string | undefined> {
  try {
    const v = (await docker.getVolume(volume).inspect()) as { Mountpoint?: string };
    return v.Mountpoint && existsSync(v.Mountpoint) ? v.Mountpoint : undefined;
  } catch {
    return undefined;
  }
}

/** The image part of an engine's data folder: layers hard-linked, metadata copied (dockerd rewrites it). */
async function copyImageStore(from: string, to: string): Promise<void> {
  await run(["cp", "-al", join(from, "overlay2"), join(to, "overlay2")], { timeoutMs: 120_000 });
  await run(["cp", "-a", join(from, "image"), join(to, "image")], { timeoutMs: 120_000 });
}

/** The cache's folder when a complete cache for these tags exists on this machine. */
export async function usableCache(docker: Docker, tags: string[], where: CacheLocality): Promise<string | undefined> {
  if (!where.local) return undefined;
  const dir = await mountpoint(docker, cacheVolumeName(tags));
  return dir && existsSync(join(dir, COMPLETE)) ? dir : undefined;
}

/**
 * Fills a new host's (empty) data volume from the cache. Best effort: on any failure the volume is
 * emptied again and the host gets its images by `docker load`.
 */
export async function prefillVolume(docker: Docker, cacheDir: string, volume: string): Promise<boolean> {
  const target = await mountpoint(docker, volume);
  if (!target) return false;
  try {
    await copyImageStore(cacheDir, target);
    return true;
  } catch {
    rmSync(join(target, "overlay2"), { recursive: true, force: true });
    rmSync(join(target, "image"), { recursive: true, force: true });
    return false;
  }
}

/**
 * Keeps the image part of a host's data volume (just loaded, no container created yet) as the
 * cache for these tags, and removes caches of older tags.
 */
export async function saveCache(docker: Docker, tags: string[], fromVolume: string, where: CacheLocality): Promise<string | undefined> {
  if (!where.local) return undefined;
  const source = await mountpoint(docker, fromVolume);
  if (!source || !existsSync(join(source, "overlay2")) || !existsSync(join(source, "image"))) return undefined;
  const name = cacheVolumeName(tags);
  for (const v of (await docker.listVolumes({ filters: { label: [`${CACHE_LABEL}=images`] } })).Volumes ?? []) {
    if (v.Name !== name) await docker.getVolume(v.Name).remove({ force: true }).catch(() => {});
  }
  await docker.getVolume(name).remove({ force: true }).catch(() => {});
  await docker.createVolume({ Name: name, Labels: { [CACHE_LABEL]: "images", "swarmlab.cache.tags": tags.join(" ") } });
  const dir = await mountpoint(docker, name);
  if (!dir) {
    await docker.getVolume(name).remove({ force: true }).catch(() => {});
    return undefined;
  }
  await copyImageStore(source, dir);
  writeFileSync(join(dir, COMPLETE), `${tags.join("\n")}\n`);
  return name;
}

/** Removes every image cache volume (`swarmlab images prune`). */
export async function removeCaches(docker: Docker): Promise<string[]> {
  const removed: string[] = [];
  for (const v of (await docker.listVolumes({ filters: { label: [`${CACHE_LABEL}=images`] } })).Volumes ?? []) {
    await docker.getVolume(v.Name).remove({ force: true });
    removed.push(v.Name);
  }
  return removed;
}
