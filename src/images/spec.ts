import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { projectRoot } from "../util/paths.js";

/** The images the lab makes, all from Debian packages. `base` is a debootstrapped rootfs. */
export type ImageName = "base" | "dind" | "etcd" | "galera" | "registry" | "machine";

export interface ImageSpec {
  name: ImageName;
  repo: string; // e.g. swarmlab/galera
  /** Folder under lab/images with the Dockerfile (or the rootfs script for base). */
  contextDir: string;
  /** Extra files copied into the build context: [source path, path inside the context]. */
  extraFiles: Array<[string, string]>;
  dependsOn?: ImageName;
  /** Loaded into every host so a task rescheduled anywhere finds it. */
  insideHosts: boolean;
}

const imagesDir = join(projectRoot, "lab", "images");

export const IMAGE_SPECS: Record<ImageName, ImageSpec> = {
  base: { name: "base", repo: "swarmlab/base", contextDir: join(imagesDir, "base"), extraFiles: [], insideHosts: false },
  dind: {
    name: "dind",
    repo: "swarmlab/dind",
    contextDir: join(imagesDir, "dind"),
    extraFiles: [],
    dependsOn: "base",
    insideHosts: false,
  },
  etcd: {
    name: "etcd",
    repo: "swarmlab/etcd",
    contextDir: join(imagesDir, "etcd"),
    extraFiles: [],
    dependsOn: "base",
    insideHosts: true,
  },
  galera: {
    name: "galera",
    repo: "swarmlab/galera",
    contextDir: join(imagesDir, "galera"),
    // The entrypoint is the project's own discovery code, compiled: the same functions the unit tests cover.
    extraFiles: ["entrypoint.js", "discovery.js", "legacy.js", "address.js", "etcd.js", "dns-once.js", "recovery.js"].map((f) => [
      join(projectRoot, "dist", "src", "discovery", f),
      join("app", f),
    ]),
    dependsOn: "base",
    insideHosts: true,
  },
  registry: {
    name: "registry",
    repo: "swarmlab/registry",
    contextDir: join(imagesDir, "registry"),
    extraFiles: [],
    dependsOn: "base",
    // Loaded into the manager only, with `up --registry`.
    insideHosts: false,
  },
  machine: {
    name: "machine",
    repo: "swarmlab/machine",
    contextDir: join(imagesDir, "machine"),
    extraFiles: [],
    // A host image with sshd: stand-in machines for the ssh provider (`swarmlab machines up`).
    dependsOn: "dind",
    insideHosts: false,
  },
};

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

/** Content hash of an image's inputs: its context files, extra files and its parent's tag. */
export function inputHash(spec: ImageSpec, parentTag: string | undefined, extra = ""): string {
  const h = createHash("sha256");
  h.update(`swarmlab-image-v1\n${spec.name}\n${parentTag ?? ""}\n${extra}\n`);
  for (const file of listFiles(spec.contextDir)) {
    h.update(`${relative(spec.contextDir, file)}\n`);
    h.update(readFileSync(file));
  }
  for (const [src, dest] of spec.extraFiles) {
    h.update(`${dest}\n`);
    h.update(readFileSync(src));
  }
  return h.digest("hex").slice(0, 12);
}
