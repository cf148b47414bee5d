/** Options several commands share, declared once (their checks too). */
import { InvalidArgumentError, Option } from "commander";
import { PROFILES } from "../scenarios/profile.js";
import type { SizeInput } from "../hosts/size.js";
import { DEFAULT_IMAGES_MODE, parseImagesMode, type ImagesMode } from "../images/source.js";

/**
 * --profile: resolved once by commander; anything else is refused with the allowed values. Unset,
 * each scenario runs with its own `profile` (the walkthrough's timers unless its file says tuned).
 */
export const profileOption = () =>
  new Option("--profile <profile>", "timers for every scenario: walkthrough (swarm's and Galera's defaults) or tuned (faster failure detection) (default: each scenario's own, else walkthrough)").choices(PROFILES);

/** A whole number, or commander refuses the value (exit 2) naming it. */
const wholeNumber = (v: string): number => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a whole number`);
  return Number(v);
};

// The lab's size: --size and --managers (up), and for run, walk and validate also --replicas and
// --allow-colocated. Not --hosts: that global option names an SSH inventory. Their limits are
// checked by resolveLabSize (hosts/size.ts) before anything is made.
export const sizeOption = () =>
  new Option("--size <n>", "hosts docker1..dockerN, 1-9 (default the compose file's 3; beyond it they follow its pattern)").argParser(wholeNumber);
export const managersOption = () =>
  new Option("--managers <m>", "how many of them are swarm managers, odd and at most --size (default 3, or 1 below 3 hosts); the rest join as workers").argParser(wholeNumber);
export const replicasOption = () => new Option("--replicas <r>", "Galera members the seed creates, ${REPLICAS} in scenarios (default one per host)").argParser(wholeNumber);
export const allowColocatedOption = () => new Option("--allow-colocated", "allow more replicas than hosts (two Galera members on one host)");

/** What the size options say, for startLab, runSession and loadScenario (scenarios with their own `size` keep it). */
export function sizeFrom(opts: { size?: number; managers?: number; replicas?: number; allowColocated?: boolean }): SizeInput {
  return { hosts: opts.size, managers: opts.managers, replicas: opts.replicas, allowColocated: Boolean(opts.allowColocated) };
}

/**
 * --images: where the images come from. local (default): built here from Debian packages, the
 * lab's names; upstream: pulled from a registry (the lab's own images FROM debian:bookworm, the
 * walkthrough's elcolio/etcd and percona/percona-xtradb-cluster under its own names); auto:
 * upstream when a registry answers with them, else local. Anything else: exit 2 naming the value.
 */
export const imagesOption = () =>
  new Option("--images <mode>", "where images come from: local (built here from Debian packages), upstream (pulled from a registry, the walkthrough's own image names) or auto (upstream when a registry answers, else local)")
    .default(DEFAULT_IMAGES_MODE)
    .argParser((v: string): ImagesMode => {
      try {
        return parseImagesMode(v);
      } catch (err) {
        const why = (err as Error).message.replace(/^--images [^:]*: /, "");
        throw new InvalidArgumentError(`${why[0]!.toUpperCase()}${why.slice(1)}.`);
      }
    });
