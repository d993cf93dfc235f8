/**
 * Where the CLI writes. With --json, stdout carries exactly one JSON document and nothing
 * else; notes, warnings and the spinner go to stderr. The spinner is drawn only on a TTY
 * (stderr), so a script or a log file never sees its frames.
 */
import { colourEnabled, palette, type Palette } from "./format";

export interface OutputOptions {
  json: boolean;
  noColor: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class Output {
  readonly json: boolean;
  readonly colours: Palette;
  /** The stderr palette: notes are coloured when stderr is a terminal. */
  readonly noteColours: Palette;
  private readonly stdout: NodeJS.WriteStream;
  private readonly stderr: NodeJS.WriteStream;
  private wroteJson = false;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    const env = options.env ?? process.env;
    this.colours = palette(colourEnabled({ isTTY: this.stdout.isTTY === true, noColorFlag: options.noColor, json: options.json, env }));
    this.noteColours = palette(colourEnabled({ isTTY: this.stderr.isTTY === true, noColorFlag: options.noColor, json: false, env }));
  }

  /** The command's result: the JSON document with --json, else what `human` renders. */
  result(value: unknown, human: (c: Palette) => string): void {
    if (this.json) this.writeJson(value);
    else this.stdout.write(`${human(this.colours)}\n`);
  }

  /** One JSON document per call; `monitor --json` calls it once per update (JSON lines). */
  writeJson(value: unknown): void {
    this.wroteJson = true;
    this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Human text on stdout (not with --json). */
  print(text: string): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** A note for the person: stderr, never stdout. */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  error(text: string): void {
    this.stderr.write(`${this.noteColours.red("error:")} ${text}\n`);
  }

  get hasWrittenJson(): boolean {
    return this.wroteJson;
  }

  get interactive(): boolean {
    return this.stderr.isTTY === true;
  }

  /** Runs `work` with a spinner on stderr (a TTY only) that says what it waits for. */
  async spin<T>(text: string, work: () => Promise<T>): Promise<T> {
    if (!this.interactive) return work();
    let frame = 0;
    const started = Date.now();
    const draw = () => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      this.stderr.write(`\r\x1b[K${this.noteColours.cyan(FRAMES[frame++ % FRAMES.length])} ${text} ${this.noteColours.dim(`${seconds} s`)}`);
    };
    draw();
    const timer = setInterval(draw, 80);
    try {
      return await work();
    } finally {
      clearInterval(timer);
      this.stderr.write("\r\x1b[K");
    }
  }
}
