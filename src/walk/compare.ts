/**
 * Compares a step's real output with the output the walkthrough printed. Parts that must differ
 * on every run (IDs, join tokens, times, container hostnames) are replaced by a label before the
 * lines are compared, so what is left over is a real difference worth pointing out. Pure.
 */
import { diffArrays } from "diff";

export interface VolatileKind {
  label: string;
  re: RegExp;
}

/** Most specific first: a token contains things that look like IDs. */
export const VOLATILE: VolatileKind[] = [
  { label: "token", re: /SWMTKN-1-[0-9a-z]+-[0-9a-z]+/g },
  { label: "time", re: /\b(?:About an? \w+|Less than a second|\d+ (?:seconds?|minutes?|hours?|days?|weeks?)) ago\b/g },
  { label: "time", re: /\b(?:Up|Running|Created|Exited \(\d+\)) (?:About an? \w+|Less than a second|\d+ \w+)(?: ago)?\b/g },
  { label: "id", re: /\b[0-9a-f]{64}\b/g },
  { label: "id", re: /\b[0-9a-z]{25}\b/g },
  { label: "id", re: /\b[0-9a-z]{12}\b(?=\s|$|\/|\*)/g },
  { label: "id", re: /\b[0-9a-f]{12,16}\b/g },
];

export interface Normalised {
  text: string;
  /** what was replaced, by label */
  replaced: string[];
}

/** Whitespace collapsed (the walkthrough's copy lost its columns) and volatile parts labelled. */
export function normaliseLine(line: string): Normalised {
  let text = line.trim().replace(/\s+/g, " ");
  const replaced: string[] = [];
  for (const v of VOLATILE) {
    text = text.replace(v.re, (m) => {
      if (/^<\w+>$/.test(m)) return m;
      replaced.push(v.label);
      return `<${v.label}>`;
    });
  }
  return { text, replaced };
}

export type CompareLine =
  /** the same line once volatile parts are set aside (which ones differed: ids, times...) */
  | { kind: "same"; real: string; walkthrough: string; volatile: string[] }
  /** only in this run's output */
  | { kind: "added"; real: string }
  /** only in the walkthrough's output */
  | { kind: "missing"; walkthrough: string };

export interface Comparison {
  lines: CompareLine[];
  /** true when nothing but volatile parts differ */
  equivalent: boolean;
  /** the real differences in words, for a summary */
  differences: string[];
}

/** Lines, with shell continuations ("... \\" then the rest) joined: the walkthrough wraps long commands. */
const lines = (s: string) => {
  const out: string[] = [];
  for (const raw of s.replace(/\r/g, "").split("\n")) {
    if (raw.trim() === "") continue;
    const prev = out.at(-1);
    if (prev !== undefined && /\\\s*$/.test(prev)) out[out.length - 1] = `${prev.replace(/\\\s*$/, "").trimEnd()} ${raw.trim()}`;
    else out.push(raw);
  }
  return out;
};

export function compareOutputs(real: string, walkthrough: string): Comparison {
  const r = lines(real);
  const w = lines(walkthrough);
  const rn = r.map(normaliseLine);
  const wn = w.map(normaliseLine);
  const parts = diffArrays(
    rn.map((x) => x.text),
    wn.map((x) => x.text),
  );
  const out: CompareLine[] = [];
  let ri = 0;
  let wi = 0;
  for (const p of parts) {
    for (let k = 0; k < p.count!; k++) {
      if (p.added) {
        out.push({ kind: "missing", walkthrough: w[wi++]! });
      } else if (p.removed) {
        out.push({ kind: "added", real: r[ri++]! });
      } else {
        const volatile = [...new Set([...rn[ri]!.replaced, ...wn[wi]!.replaced])];
        const same = r[ri]!.trim().replace(/\s+/g, " ") === w[wi]!.trim().replace(/\s+/g, " ");
        out.push({ kind: "same", real: r[ri++]!, walkthrough: w[wi++]!, volatile: same ? [] : volatile });
      }
    }
  }
  const differences: string[] = [];
  for (const l of out) {
    if (l.kind === "added") differences.push(`only here: ${l.real.trim()}`);
    if (l.kind === "missing") differences.push(`only in the walkthrough: ${l.walkthrough.trim()}`);
  }
  return { lines: out, equivalent: differences.length === 0, differences };
}
