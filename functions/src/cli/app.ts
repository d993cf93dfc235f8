/**
 * What every command gets: the output (JSON or human), the target (emulators or a project),
 * the tenant, and a connection signed in as the user. A command is an action on this
 * context that returns its exit code (0, or 1 when it found a problem); refusals and
 * failures are CliErrors, turned into their exit codes by `main`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { decodeIdToken, refreshIdToken, signInWithPassword } from "./auth";
import { configDir, readLogin, saveLogin, type StoredLogin } from "./credentials";
import { connect, type Connection, type Identity } from "./connection";
import { CliError, EXIT, usageError, type ExitCode } from "./exit-codes";
import { Output } from "./output";
import { resolveTarget, type EmulatorPorts, type Target } from "./target";

/** The options every command accepts (declared on the program). */
export interface GlobalOptions {
  json?: boolean;
  color?: boolean;
  tenant?: string;
  emulators?: boolean;
  project?: string;
  token?: string;
}

export interface CommandContext {
  readonly out: Output;
  readonly globals: GlobalOptions;
  readonly env: NodeJS.ProcessEnv;
  target(): Target;
  /** --tenant, else MAESTRO_TENANT, else the tenant named at login. */
  tenant(): string;
  /** Signed in as the user (token, environment credentials or the stored login). */
  connect(): Promise<Connection>;
  /** The stored login of this target, if any. */
  storedLogin(): StoredLogin | null;
  configDir(): string;
}

export type CommandResult = ExitCode | void;

/** A command's work: its context, its own options, its positional arguments → its exit code. */
export type Handler<O = Record<string, unknown>> = (ctx: CommandContext, options: O, args: string[]) => Promise<CommandResult>;

/** Turns a handler into a commander action; main runs it and keeps its exit code. */
export type ActionFactory = <O>(handler: Handler<O>) => (...commanderArgs: unknown[]) => Promise<void>;

/** A group of commands registering themselves on the program. */
export type CommandModule = (program: Command, action: ActionFactory) => void;


/** firebase.json's emulator ports, read from the repository the CLI is installed in (lib/cli → ../../../firebase.json). */
function emulatorPorts(): EmulatorPorts {
  try {
    return JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "firebase.json"), "utf8")).emulators ?? {};
  } catch {
    return {};
  }
}

/** A stored ID token is used while it has at least this long to live; otherwise it is refreshed. */
const TOKEN_MARGIN_MS = 2 * 60_000;

export function createContext(globals: GlobalOptions, env: NodeJS.ProcessEnv, out: Output): CommandContext & { close(): Promise<void> } {
  let target: Target | null = null;
  let connection: Promise<Connection> | null = null;
  const ctx = {
    out,
    globals,
    env,
    target: () => (target ??= resolveTarget({ emulators: globals.emulators, project: globals.project }, env, emulatorPorts())),
    configDir: () => configDir(env),
    storedLogin: () => readLogin(configDir(env), ctx.target().profile),
    tenant: () => {
      const tenant = globals.tenant || env.MAESTRO_TENANT || ctx.storedLogin()?.tenant_id;
      if (!tenant) throw usageError("no tenant: pass --tenant <id>, set MAESTRO_TENANT, or name one at login (maestro login --tenant <id>)");
      return tenant;
    },
    connect: () => (connection ??= identify(ctx).then((identity) => connect(ctx.target(), identity))),
    close: async () => {
      if (connection) await (await connection.catch(() => null))?.close();
    },
  };
  return ctx;
}

async function identify(ctx: CommandContext): Promise<Identity> {
  const target = ctx.target();
  const token = ctx.globals.token || ctx.env.MAESTRO_TOKEN;
  if (token) {
    const claims = decodeIdToken(token);
    if (!claims) throw new CliError(EXIT.UNAUTHENTICATED, "--token: is not a Firebase ID token (a JWT)", "UNAUTHENTICATED");
    if (claims.expiresAt && Date.parse(claims.expiresAt) <= Date.now()) {
      throw new CliError(EXIT.UNAUTHENTICATED, `--token: the ID token expired at ${claims.expiresAt}`, "UNAUTHENTICATED");
    }
    return { uid: claims.uid, email: claims.email, idToken: token, source: "token" };
  }
  if (ctx.env.MAESTRO_EMAIL && ctx.env.MAESTRO_PASSWORD) {
    const user = await ctx.out.spin("Signing in…", () => signInWithPassword(target, ctx.env.MAESTRO_EMAIL!, ctx.env.MAESTRO_PASSWORD!));
    return { uid: user.uid, email: user.email, idToken: user.idToken, source: "env" };
  }
  const stored = ctx.storedLogin();
  if (!stored) {
    throw new CliError(
      EXIT.UNAUTHENTICATED,
      `not signed in${target.kind === "emulators" ? " to the emulators" : ` to project '${target.projectId}'`}: run \`maestro login --email <email> --password <password>${target.kind === "emulators" ? " --emulators" : ""}\`, or set MAESTRO_TOKEN`,
      "UNAUTHENTICATED",
    );
  }
  if (Date.parse(stored.id_token_expires_at) - Date.now() > TOKEN_MARGIN_MS) {
    return { uid: stored.uid, email: stored.email, idToken: stored.id_token, source: "login" };
  }
  const fresh = await refreshIdToken(target, stored.refresh_token);
  saveLogin(ctx.configDir(), target.profile, {
    ...stored,
    id_token: fresh.idToken,
    refresh_token: fresh.refreshToken ?? stored.refresh_token,
    id_token_expires_at: fresh.expiresAt,
  });
  return { uid: stored.uid, email: stored.email, idToken: fresh.idToken, source: "login" };
}

/** The global options as commander parsed them, from any (sub)command. */
export function globalsOf(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}
