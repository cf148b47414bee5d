import type Docker from "dockerode";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import tar from "tar-fs";
import { IMAGE_SPECS, inputHash, type ImageName, type ImageSpec } from "./spec.js";
import { LabError } from "../util/errors.js";
import { run } from "../util/run.js";
import { stateDir } from "../util/paths.js";
import type { Log } from "../engine/engine.js";
import { baseBuildBlocker, thisMachine } from "../engine/locality.js";
import { upstreamBaseDockerfile } from "./source.js";

/**
 * Where the lab's base image comes from: debootstrap on this machine (`--images local`), or a
 * Debian image pulled from a registry (`--images upstream`; its ID is part of every tag above it).
 */
export type BaseOrigin = { kind: "debootstrap" } | { kind: "upstream"; ref: string; id: string };
export const DEBOOTSTRAP: BaseOrigin = { kind: "debootstrap" };

export interface BuiltImage {
  name: ImageName;
  tag: string; // repo:hash
  built: boolean; // false when an image with that hash existed
  seconds: number;
}

/** The Debian mirror this machine uses (images are built from it; nothing is pulled). */
export function debianMirror(): string {
  for (const file of ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const m = text.match(/^URIs:\s*(\S+)/m) ?? text.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+\s+main/m);
    if (m?.[1] && !m[1].includes("security")) return m[1];
  }
  return "http://deb.debian.org/debian";
}

async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

async function buildBase(spec: ImageSpec, tag: string, log: Log): Promise<void> {
  // debootstrap runs on this machine whatever the engine is (docker import streams the result to it).
  const blocker = baseBuildBlocker(thisMachine());
  if (blocker) throw new LabError(blocker);
  const work = mkdtempSync(join(stateDir(), "rootfs-"));
  const rootfs = join(work, "rootfs");
  try {
    log(`debootstrap bookworm from ${debianMirror()} (about 30-60 s)`);
    await run(["sh", join(spec.contextDir, "rootfs.sh"), rootfs, debianMirror()], { timeoutMs: 900_000 });
    await run(["sh", "-c", `tar -C "$1" -c . | docker import --change 'CMD ["/bin/bash"]' - "$2"`, "sh", rootfs, tag], {
      timeoutMs: 300_000,
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function buildFromDockerfile(docker: Docker, spec: ImageSpec, tag: string, parent: string, log: Log) {
  // Assemble the context in a temp folder: the image's folder plus the extra files it names.
  const ctx = mkdtempSync(join(tmpdir(), `swarmlab-${spec.name}-`));
  try {
    cpSync(spec.contextDir, ctx, { recursive: true });
    for (const [src, dest] of spec.extraFiles) {
      mkdirSync(dirname(join(ctx, dest)), { recursive: true });
      cpSync(src, join(ctx, dest));
    }
    await dockerBuild(docker, ctx, tag, parent, spec.name);
    log(`built ${tag}`);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/** The base in upstream mode: the pulled Debian image with the debootstrap base's apt setup (no debootstrap here). */
async function buildUpstreamBase(docker: Docker, tag: string, from: string, log: Log): Promise<void> {
  const ctx = mkdtempSync(join(tmpdir(), "swarmlab-base-upstream-"));
  try {
    writeFileSync(join(ctx, "Dockerfile"), upstreamBaseDockerfile(debianMirror()));
    log(`the base FROM ${from} (pulled), apt on ${debianMirror()}`);
    await dockerBuild(docker, ctx, tag, from, "base");
    log(`built ${tag}`);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/** `docker build` of a context folder with BASE=parent, through the engine's API; its last lines on failure. */
async function dockerBuild(docker: Docker, ctx: string, tag: string, parent: string, name: string): Promise<void> {
  const stream = await docker.buildImage(tar.pack(ctx) as unknown as NodeJS.ReadableStream, {
    t: tag,
    buildargs: { BASE: parent },
    rm: true,
    forcerm: true,
    labels: { "swarmlab.image": name },
  });
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string; errorDetail?: { message: string } }>) => {
        const failure = err?.message ?? output.find((o) => o.error)?.error;
        if (failure) reject(new LabError(`docker build of ${tag} failed: ${failure}\n${lines.slice(-25).join("")}`));
        else resolve();
      },
      (event: { stream?: string }) => {
        if (event.stream) lines.push(event.stream);
      },
    );
  });
}

/**
 * The tag an image has for its current inputs: repo:hash, where the hash covers its parent's tag.
 * An upstream base hashes the pulled image's ID and its Dockerfile instead of the rootfs script,
 * so every image above it gets tags of its own.
 */
export function tagOf(name: ImageName, origin: BaseOrigin = DEBOOTSTRAP): string {
  const spec = IMAGE_SPECS[name];
  if (name === "base" && origin.kind === "upstream") {
    const h = createHash("sha256").update(`swarmlab-image-v1\nbase-upstream\n${origin.ref}\n${origin.id}\n${upstreamBaseDockerfile(debianMirror())}`).digest("hex").slice(0, 12);
    return `${spec.repo}:${h}`;
  }
  const parent = spec.dependsOn ? tagOf(spec.dependsOn, origin) : undefined;
  const extra = name === "base" ? debianMirror() : "";
  return `${spec.repo}:${inputHash(spec, parent, extra)}`;
}

export function currentTags(origin: BaseOrigin = DEBOOTSTRAP): Record<ImageName, string> {
  return { base: tagOf("base", origin), dind: tagOf("dind", origin), etcd: tagOf("etcd", origin), galera: tagOf("galera", origin), registry: tagOf("registry", origin), machine: tagOf("machine", origin) };
}

/**
 * Builds every image whose input hash has no image yet; unchanged images are not rebuilt. With an
 * upstream origin the base is the pulled Debian image set up for apt (no debootstrap), and no
 * `:latest` names are moved (they stay the debootstrap-based images people use by hand).
 */
export async function buildImages(docker: Docker, log: Log, only?: ImageName[], origin: BaseOrigin = DEBOOTSTRAP): Promise<BuiltImage[]> {
  const order: ImageName[] = ["base", "dind", "etcd", "galera", "registry", "machine"];
  const wanted = new Set<ImageName>(only ?? order);
  for (const name of [...wanted]) {
    const dep = IMAGE_SPECS[name].dependsOn;
    if (dep) wanted.add(dep);
  }
  // Each image is built as soon as its parent is: dind, etcd, galera and registry (FROM base) side
  // by side, machine after dind. Their apt downloads and unpacks overlap (a cold `up` was 99 s one
  // after another). Every build settles before a failure is reported: none is left running.
  const building = new Map<ImageName, Promise<BuiltImage>>();
  const build = (name: ImageName): Promise<BuiltImage> => {
    let p = building.get(name);
    if (!p) {
      p = (async () => {
        const spec = IMAGE_SPECS[name];
        if (spec.dependsOn) await build(spec.dependsOn);
        const tag = tagOf(name, origin);
        const t0 = Date.now();
        if (await imageExists(docker, tag)) return { name, tag, built: false, seconds: 0 };
        log(`building ${tag}`);
        if (name === "base" && origin.kind === "upstream") await buildUpstreamBase(docker, tag, origin.ref, log);
        else if (name === "base") await buildBase(spec, tag, log);
        else await buildFromDockerfile(docker, spec, tag, tagOf(spec.dependsOn!, origin), log);
        // A stable name as well, for people who use the images by hand.
        const [repo] = tag.split(":");
        if (origin.kind === "debootstrap") await docker.getImage(tag).tag({ repo: repo!, tag: "latest" });
        return { name, tag, built: true, seconds: (Date.now() - t0) / 1000 };
      })();
      building.set(name, p);
    }
    return p;
  };
  const settled = await Promise.allSettled(order.filter((n) => wanted.has(n)).map(build));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<BuiltImage>).value);
}

export interface ImageRow {
  tag: string;
  current: boolean;
  sizeMiB: number;
  created: string;
}

export async function listImages(docker: Docker): Promise<ImageRow[]> {
  const current = new Set(Object.values(currentTags()));
  const images = await docker.listImages({ filters: { reference: ["swarmlab/*"] } });
  const rows: ImageRow[] = [];
  for (const img of images) {
    for (const tag of img.RepoTags ?? []) {
      rows.push({
        tag,
        current: current.has(tag),
        sizeMiB: Math.round(img.Size / 1048576),
        created: new Date(img.Created * 1000).toISOString(),
      });
    }
  }
  return rows.sort((a, b) => a.tag.localeCompare(b.tag));
}
