/**
 * `maestro`: the operator CLI. Signs in as a Maestro user and calls the callables (the same
 * roles and rate limits as any client app), or reads Firestore as that user under the
 * security rules where no callable serves. Run from the repository root with
 * `npx maestro …` (bin/maestro.js), after `npm run build`.
 *
 * Adding a command is one entry in ./commands (COMMANDS).
 */
import { Command, CommanderError, Option } from "commander";
import { createContext, globalsOf, type ActionFactory } from "./app";
import { COMMANDS } from "./commands";
import { CliError, EXIT, EXIT_CODE_HELP } from "./exit-codes";
import { Output } from "./output";

export function buildProgram(action: ActionFactory): Command {
  const program = new Command("maestro")
    .description("Operate Maestro: the desk's trading session, strategies, allocations, risk, logs and config, as a signed-in user.")
    .option("--json", "print exactly one JSON document on stdout (notes go to stderr)")
    .option("--tenant <id>", "the tenant (default: MAESTRO_TENANT, or the tenant named at login)")
    .option("--emulators", "talk to the local Emulator Suite (127.0.0.1, firebase.json's ports, project demo-maestro)")
    .option("--project <id>", "the Firebase project (default: MAESTRO_PROJECT); needs MAESTRO_API_KEY")
    .addOption(new Option("--token <id-token>", "sign in with a Firebase ID token instead of the stored login").env("MAESTRO_TOKEN"))
    .option("--no-color", "no colour, even on a terminal (NO_COLOR does the same)")
    .showSuggestionAfterError(true)
    .addHelpText("after", `\n${EXIT_CODE_HELP}\n\nGet started: maestro login --emulators --email viewer@demo-fund.maestro.test --password maestro-demo --tenant demo-fund`)
    .exitOverride();
  program.configureHelp({ sortSubcommands: false, showGlobalOptions: true });
  for (const register of COMMANDS) register(program, action);
  // Every subcommand (and its own subcommands) reports usage errors as exit 2 rather than exiting itself.
  const override = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI on argv (without node and the script) and returns the exit code. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // A reader that stops early (`maestro monitor --live --json | head`) is not a failure.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(EXIT.OK);
  });
  let exitCode: number = EXIT.OK;
  let out = new Output({ json: argv.includes("--json"), noColor: argv.includes("--no-color"), env });
  const contexts: { close(): Promise<void> }[] = [];
  const action: ActionFactory = (handler) => async (...commanderArgs) => {
    const command = commanderArgs[commanderArgs.length - 1] as Command;
    const options = commanderArgs[commanderArgs.length - 2] as Record<string, unknown>;
    const positional = commanderArgs.slice(0, -2).flat().filter((a): a is string => typeof a === "string");
    const globals = globalsOf(command);
    out = new Output({ json: globals.json === true, noColor: globals.color === false, env });
    const ctx = createContext(globals, env, out);
    contexts.push(ctx);
    exitCode = (await handler(ctx, options as never, positional)) ?? EXIT.OK;
  };
  const program = buildProgram(action);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    exitCode = reportFailure(error, out);
  } finally {
    await Promise.allSettled(contexts.map((c) => c.close()));
  }
  return exitCode;
}

function reportFailure(error: unknown, out: Output): number {
  if (error instanceof CommanderError) {
    // --help ends the run as a success (commander has printed it); a bad flag, a missing
    // argument or a group called without its subcommand (`maestro config`) is a usage error.
    return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  if (error instanceof CliError) {
    out.error(error.message);
    if (out.json && !out.hasWrittenJson) out.writeJson({ error: { exit_code: error.exitCode, status: error.status, message: error.message } });
    return error.exitCode;
  }
  out.error(`unexpected failure: ${(error as Error)?.stack ?? String(error)}`);
  if (out.json && !out.hasWrittenJson) out.writeJson({ error: { exit_code: EXIT.PROBLEM, status: null, message: String((error as Error)?.message ?? error) } });
  return EXIT.PROBLEM;
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => process.exit(code));
}
