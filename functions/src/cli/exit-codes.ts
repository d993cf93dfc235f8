/**
 * The `maestro` CLI's exit codes: what a script can rely on. A refusal from a callable
 * arrives as a callable-protocol status (the HttpsError's code); each maps to one exit code.
 */

export const EXIT = {
  /** The command did what was asked and found nothing wrong. */
  OK: 0,
  /** The command ran and found a problem: a broken log chain, a replay that differs, an invalid config. */
  PROBLEM: 1,
  /** Bad flags or arguments, or a setting the CLI needs is missing. */
  USAGE: 2,
  /** Not signed in, or the sign-in was refused. */
  UNAUTHENTICATED: 3,
  /** Signed in, but the role (or membership) does not allow it. */
  PERMISSION_DENIED: 4,
  /** The server refused an argument, or what was asked for does not exist. */
  INVALID: 5,
  /** A rate limit (resource-exhausted): retry later. */
  RATE_LIMITED: 6,
  /** The server or the network is unavailable, or the server failed. */
  UNAVAILABLE: 7,
  /** The desk is not in a state that allows it (failed-precondition). */
  FAILED_PRECONDITION: 8,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The epilogue of `maestro --help` (and the README's table). */
export const EXIT_CODE_HELP = [
  "Exit codes:",
  "  0  ok",
  "  1  the command ran and found a problem (tampered chain, replay differs, invalid config)",
  "  2  usage error (bad flags or arguments, missing setting)",
  "  3  not signed in, or authentication failed",
  "  4  permission denied (your role does not allow it)",
  "  5  invalid argument refused by the server, or not found",
  "  6  rate limited (resource-exhausted)",
  "  7  server or network unavailable",
  "  8  failed precondition (the desk's state does not allow it)",
].join("\n");

/**
 * A callable-protocol status (`PERMISSION_DENIED`) or a client SDK code
 * (`functions/permission-denied`, `permission-denied`) → the exit code.
 */
export function exitCodeForStatus(status: string): ExitCode {
  const code = status.replace(/^functions\//, "").replace(/-/g, "_").toUpperCase();
  switch (code) {
    case "UNAUTHENTICATED":
      return EXIT.UNAUTHENTICATED;
    case "PERMISSION_DENIED":
      return EXIT.PERMISSION_DENIED;
    case "INVALID_ARGUMENT":
    case "NOT_FOUND":
    case "ALREADY_EXISTS":
    case "OUT_OF_RANGE":
      return EXIT.INVALID;
    case "RESOURCE_EXHAUSTED":
      return EXIT.RATE_LIMITED;
    case "FAILED_PRECONDITION":
    case "ABORTED":
      return EXIT.FAILED_PRECONDITION;
    default:
      // UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED, UNIMPLEMENTED, UNKNOWN, CANCELLED, DATA_LOSS.
      return EXIT.UNAVAILABLE;
  }
}

/** An error the CLI reports as one line on stderr and exits with its code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    /** The server's status (PERMISSION_DENIED, …) when a callable refused; kept for --json errors. */
    readonly status: string | null = null,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export const usageError = (message: string): CliError => new CliError(EXIT.USAGE, message, null);
