/**
 * Where the lab's images come from (`--images local|upstream|auto`): the pure part. No engine, no
 * file system: the mode and its validation, the walkthrough's image names, the rewrite of a
 * command's image references, the upstream base's Dockerfile, how a failed pull reads, and what
 * `auto` picks given what the probe pulls found.
 *
 * - `local` (the default): every image built here from Debian packages (debootstrap base), and
 *   the scenarios' commands run with the lab's names (`swarmlab/etcd`, `swarmlab/galera`).
 * - `upstream`: where a registry answers, the lab's own images (the hosts, the registry) are
 *   built FROM `debian:bookworm` pulled from it (no debootstrap: Docker Desktop has none), and the
 *   walkthrough's own images are pulled and run under the walkthrough's names (`elcolio/etcd`,
 *   `percona/percona-xtradb-cluster`): its commands run as it wrote them.
 * - `auto`: upstream when the probe pulls succeed, else local; the log and the report say which
 *   and why.
 */
import { LabError } from "../util/errors.js";

export const IMAGES_MODES = ["local", "upstream", "auto"] as const;
export type ImagesMode = (typeof IMAGES_MODES)[number];
/** What a lab ends up with: `auto` resolves to one of these. */
export type ResolvedImagesMode = Exclude<ImagesMode, "auto">;

export const DEFAULT_IMAGES_MODE: ImagesMode = "local";

/** `--images`: one of the modes, or an error naming the value and the allowed ones. */
export function parseImagesMode(value: unknown): ImagesMode {
  if (value === undefined) return DEFAULT_IMAGES_MODE;
  if (typeof value === "string" && (IMAGES_MODES as readonly string[]).includes(value)) return value as ImagesMode;
  const shown = typeof value === "string" ? `"${value}"` : String(value);
  throw new LabError(`--images ${shown}: use local (built here from Debian packages), upstream (pulled from a registry, the walkthrough's image names) or auto (upstream when a registry answers, else local)`);
}

/** The two images the walkthrough runs, by their role. */
export type WalkthroughRole = "etcd" | "galera";

/** The lab's name for each, and the walkthrough's own (shared/seed). */
export const WALKTHROUGH_IMAGES: Record<WalkthroughRole, { lab: string; walkthrough: string }> = {
  etcd: { lab: "swarmlab/etcd", walkthrough: "elcolio/etcd" },
  galera: { lab: "swarmlab/galera", walkthrough: "percona/percona-xtradb-cluster" },
};

/** The Debian image the lab's own images are built FROM in upstream mode (Debian 12, as the debootstrap base). */
export const UPSTREAM_BASE = "debian:bookworm";

/** A reference with its tag: the walkthrough wrote none, so `latest` (the lab pins nothing it did not). */
export function withTag(ref: string): string {
  const last = ref.split("/").at(-1)!;
  return last.includes(":") || ref.includes("@") ? ref : `${ref}:latest`;
}

/** The name table for a mode: lab name → the name commands use. Empty for local (nothing changes). */
export function imageNameTable(mode: ResolvedImagesMode): Record<string, string> {
  if (mode === "local") return {};
  return Object.fromEntries(Object.values(WALKTHROUGH_IMAGES).map((i) => [i.lab, i.walkthrough]));
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Rewrites whole image-name tokens in a command (or an `expect` pattern): `swarmlab/galera` and
 * `swarmlab/galera:latest` become `percona/percona-xtradb-cluster` (and `:latest`). Not a part of
 * a longer name (`myreg:5000/swarmlab/galera`, `swarmlab/galera-x`, `/run/swarmlab/galera`) and not
 * another tag (`swarmlab/galera:3048df112d48` names one build of the lab's own image: left as it is).
 */
export function rewriteImageRefs(text: string, table: Record<string, string>): { text: string; renamed: Array<[string, string]> } {
  const renamed: Array<[string, string]> = [];
  let out = text;
  for (const [from, to] of Object.entries(table)) {
    const re = new RegExp(`(?<![\\w./:@-])${escapeRe(from)}(:latest)?(?![\\w./:@-])`, "g");
    let hit = false;
    out = out.replace(re, (_m, tag: string | undefined) => {
      hit = true;
      return `${to}${tag ?? ""}`;
    });
    if (hit) renamed.push([from, to]);
  }
  return { text: out, renamed };
}

/** The note a renamed step carries (report `changed`, the progress line). */
export function renameNote(renamed: Array<[string, string]>): string | undefined {
  if (!renamed.length) return undefined;
  return `--images upstream: the walkthrough's own image${renamed.length > 1 ? "s" : ""} ${renamed.map(([from, to]) => `${to} (the scenario file says ${from})`).join(", ")}`;
}

/**
 * The Dockerfile of the lab's base in upstream mode: the pulled Debian image with the apt setup
 * the debootstrap base has (lab/images/base/rootfs.sh): sources on this machine's Debian mirror,
 * no recommends, retries, ca-certificates. With an https mirror, ca-certificates comes first from
 * the image's own sources (apt cannot check the mirror's certificate without it).
 */
export function upstreamBaseDockerfile(mirror: string): string {
  const sources = `printf 'deb %s bookworm main\\ndeb %s bookworm-updates main\\n' '${mirror}' '${mirror}' > /etc/apt/sources.list && rm -f /etc/apt/sources.list.d/debian.sources`;
  const conf = `printf 'APT::Install-Recommends "false";\\nAPT::Install-Suggests "false";\\nAcquire::Retries "3";\\n' > /etc/apt/apt.conf.d/90swarmlab`;
  const install = "apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*";
  const https = /^https:/i.test(mirror);
  return [
    "# The lab's base in --images upstream: Debian pulled from a registry, set up as the debootstrap base is.",
    "ARG BASE",
    "FROM ${BASE}",
    `RUN ${conf}`,
    https ? `RUN ${install} && ${sources}` : `RUN ${sources} && ${install}`,
    'CMD ["/bin/bash"]',
    "",
  ].join("\n");
}

/** How a pull ended, as the engine said it. */
export type PullFailure = "no-answer" | "missing" | "error";

/** A pull's error from the engine, sorted: nothing answered (network, timeout), the image is not there, anything else. */
export function classifyPullError(message: string): PullFailure {
  if (/manifest unknown|manifest for .* not found|not found: manifest|repository does not exist|pull access denied|name unknown|\bnot found\b/i.test(message)) return "missing";
  if (/no answer within|not pulled within|timed? ?out|timeout|connection refused|no such host|network is unreachable|no route to host|dial tcp|i\/o timeout|TLS handshake|EOF|server misbehaving|temporary failure in name resolution|connection reset/i.test(message)) return "no-answer";
  return "error";
}

/** Where the engine pulls Docker Hub names from: its mirrors, when it has any, else Docker Hub itself. */
export function describeRegistry(mirrors: readonly string[] | undefined): string {
  const m = (mirrors ?? []).map((x) => x.replace(/\/+$/, ""));
  if (!m.length) return "Docker Hub (docker.io)";
  return `Docker Hub through the engine's mirror ${m.join(", ")}`;
}

/** The one line for an image the registry does not have (it answered the probe). */
export function missingImageMessage(registry: string, image: string, engineSaid?: string): { message: string; hint: string } {
  return {
    message: `registry ${registry} answers but has no ${image}${engineSaid ? ` (the engine said: ${engineSaid.split("\n")[0]})` : ""}: push it there or use --images local`,
    hint: `docker push <registry>/${image.includes("/") ? image : `library/${image}`}, or run with --images local (every image built here from Debian packages)`,
  };
}

/** The one line when no registry answers the probe pull. */
export function noRegistryMessage(registry: string, engineSaid: string): { message: string; hint: string } {
  return {
    message: `--images upstream: no registry answers: pulling ${UPSTREAM_BASE} from ${registry} failed (${engineSaid.split("\n")[0]})`,
    hint: "give the engine a registry or mirror that answers (registry-mirrors in daemon.json), or use --images local (or auto, which falls back to it)",
  };
}

/** What a probe pull found: the image's ID, or how it failed and what the engine said. */
export type PullOutcome = { ref: string; ok: true; id: string; digest?: string; seconds: number } | { ref: string; ok: false; failure: PullFailure; message: string };

export interface ImagesDecision {
  mode: ResolvedImagesMode;
  /** One line: why this mode (auto's choice, or what was asked). */
  why: string;
  /** When upstream was asked and cannot be had: the reason and the fix, one line each. */
  error?: { message: string; hint: string };
}

/**
 * What a lab runs with, given what was asked and what the pulls found (`pulls` in the order
 * made: the Debian base first, then the walkthrough's images; empty for local). `auto` takes
 * upstream only when every pull worked, and says why when it does not; `upstream` gives the
 * failure's one line instead.
 */
export function decideImages(asked: ImagesMode, registry: string, pulls: PullOutcome[]): ImagesDecision {
  if (asked === "local") return { mode: "local", why: "--images local: every image built here from Debian packages" };
  const probe = pulls.find((p) => p.ref === withTag(UPSTREAM_BASE)) ?? pulls[0];
  const failed = pulls.find((p): p is Extract<PullOutcome, { ok: false }> => !p.ok);
  if (!probe || !failed) {
    return { mode: "upstream", why: `--images ${asked}: ${registry} answered; the lab's images are built FROM ${UPSTREAM_BASE} pulled from it, the walkthrough's images pulled under its own names` };
  }
  // The registry answered the probe (with the image, or saying it has none): whatever stops a pull
  // then, the registry lacks that image (a mirror that lacks it sends the engine on to Docker Hub,
  // whose own error is what the engine reports).
  const registryAnswered = probe.ok || probe.failure === "missing";
  const image = failed.ref.replace(/:latest$/, "");
  const slow = /^not pulled within/.test(failed.message);
  const error = !registryAnswered
    ? noRegistryMessage(registry, failed.message)
    : slow
      ? { message: `registry ${registry} answers but ${image} was ${failed.message}`, hint: "try again on a faster link (the pull goes on from the layers it has), or use --images local" }
      : missingImageMessage(registry, image, failed.message);
  if (asked === "upstream") return { mode: "upstream", why: `--images upstream`, error };
  const reason = registryAnswered ? `${registry} answers but ${failed.ref} could not be pulled (${failed.message.split("\n")[0]})` : `no registry answers (${UPSTREAM_BASE} from ${registry}: ${failed.message.split("\n")[0]})`;
  return { mode: "local", why: `--images auto: local, because ${reason}` };
}

/** One image the lab ran, as the report records it. */
export interface RanImage {
  role: WalkthroughRole;
  /** The name the scenario's commands use. */
  name: string;
  /** What was put into the hosts (the lab's hash tag, or the walkthrough's name:latest). */
  ref: string;
  /** The image ID (sha256:...). */
  id: string;
  /** The registry's digest of what was pulled (upstream only). */
  digest?: string;
  /** "built here from Debian packages", or "pulled from <registry>". */
  origin: string;
}

/** What a lab's images are: the mode it runs with and why, the images the scenarios run, the lab's own tags. */
export interface ImageSet {
  asked: ImagesMode;
  mode: ResolvedImagesMode;
  why: string;
  images: RanImage[];
  /** The lab's own images: the base, the host image (dind), the lab registry's image. */
  tags: { base: string; dind: string; registry: string };
  /** Where the base came from: debootstrap here, or the pulled Debian image. */
  baseOrigin: string;
}

/** The lab name → command name table of a lab's image set (empty unless it runs upstream). */
export const namesOf = (set: Pick<ImageSet, "mode"> | undefined): Record<string, string> => imageNameTable(set?.mode ?? "local");

/** The summary.md lines for a run's images. */
export function imagesSummary(set: Pick<ImageSet, "mode" | "why" | "images" | "baseOrigin">): string[] {
  return [
    `Images: ${set.mode} (${set.why}).`,
    "",
    "| image (as the commands name it) | image ID | where it came from |",
    "| --- | --- | --- |",
    ...set.images.map((i) => `| \`${i.name}\` (${i.role}) | \`${i.id.replace(/^sha256:/, "").slice(0, 12)}\`${i.digest ? ` (${i.digest.replace(/^.*@/, "")})` : ""} | ${i.origin} |`),
    `| the lab's hosts (\`swarmlab/dind\`) | | ${set.baseOrigin} |`,
  ];
}
