import ora, { type Ora } from "ora";
import { colourOn } from "../util/colour.js";

/**
 * Terminal progress, kind-style: a step starts (a spinner on a TTY), then ends with a tick or a
 * cross and its duration. Without a TTY (CI) it prints plain lines.
 */
export class Progress {
  private spinner: Ora | null = null;
  private t0 = 0;
  private title = "";
  /** While muted, steps print nothing (walk prints them its own way); notes still print. */
  muted = false;
  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly live = colourOn(process.stderr) && !process.env.CI,
  ) {}

  start(title: string): void {
    this.title = title;
    this.t0 = Date.now();
    if (this.muted) return;
    // hideCursor off: ora would register an exit hook (signal-exit) that re-raises SIGTERM
    // before the lab is cleaned up.
    if (this.live) this.spinner = ora({ text: title, stream: this.out, hideCursor: false }).start();
    else this.out.write(`  ... ${title}\n`);
  }

  end(ok: boolean, detail = ""): number {
    const seconds = (Date.now() - this.t0) / 1000;
    const text = `${this.title} (${seconds.toFixed(1)}s)${detail ? ` ${detail}` : ""}`;
    if (this.muted) return seconds;
    if (this.spinner) {
      if (ok) this.spinner.succeed(text);
      else this.spinner.fail(text);
      this.spinner = null;
    } else {
      this.out.write(`  ${ok ? "✓" : "✗"} ${text}\n`);
    }
    return seconds;
  }

  /** A line that is not a step: a note the user should read. */
  note(line: string): void {
    if (this.spinner) {
      this.spinner.clear();
      this.out.write(`    ${line}\n`);
      this.spinner.render();
    } else this.out.write(`    ${line}\n`);
  }

  /** Runs fn as a step. */
  async step<T>(title: string, fn: () => Promise<T>, detail?: (v: T) => string): Promise<T> {
    this.start(title);
    try {
      const v = await fn();
      this.end(true, detail?.(v) ?? "");
      return v;
    } catch (err) {
      this.end(false);
      throw err;
    }
  }
}
