/**
 * config validate | update | export: the tenant's Maestro config as YAML. validate checks a
 * file locally with the server's own schema (MaestroConfigSchema) and names each problem's
 * line; update sends one field through updateMaestroConfig (admin); export writes the
 * effective config (getMaestroConfig) as YAML that validate accepts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { CommandModule } from "../app";
import { CliError, EXIT, usageError } from "../exit-codes";
import { keyValues, when } from "../format";
import { nestedPatch, parseConfigKey, parseConfigValue, parseWholeNumber } from "../parse";
import { checkConfigYaml, configToYaml, formatProblem } from "../yaml-config";
import type { GetMaestroConfigResponse, UpdateMaestroConfigResponse } from "../../schemas/api";

export const configCommands: CommandModule = (program, action) => {
  const config = program.command("config").description("validate, update or export the tenant's Maestro config (YAML)");

  config
    .command("validate")
    .description("check a YAML config against the server's schema, locally; each problem as file:LINE: field: rule; exits 1 when invalid")
    .requiredOption("--config <file>", "the YAML file")
    .action(
      action<{ config: string }>(async (ctx, options) => {
        let text: string;
        try {
          text = readFileSync(options.config, "utf8");
        } catch (error) {
          throw usageError(`--config: cannot read ${options.config}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
        const check = checkConfigYaml(text);
        if (check.ok) {
          ctx.out.result({ file: options.config, valid: true, problems: [] }, (c) => `${c.green("valid")}: ${options.config} is a valid Maestro config`);
          return EXIT.OK;
        }
        ctx.out.result({ file: options.config, valid: false, problems: check.problems }, (c) =>
          [...check.problems.map((p) => formatProblem(options.config, p)), c.red(`invalid: ${check.problems.length} problem(s)`)].join("\n"),
        );
        return EXIT.PROBLEM;
      }),
    );

  config
    .command("update")
    .description("change one field of the tenant's config (updateMaestroConfig, admin); the server validates the whole config")
    .requiredOption("--key <path>", "the field, dotted: allocation.method, risk.max_session_loss_pct")
    .requiredOption("--value <value>", "the value, as YAML or JSON: 0.03, true, null, performance_based, [1, 2]")
    .option("--reason <text>", "why (recorded in config_history and admin_actions)")
    .option("--expected-version <n>", "refuse unless the stored version is this one (optimistic concurrency)")
    .action(
      action<{ key: string; value: string; reason?: string; expectedVersion?: string }>(async (ctx, options) => {
        const path = parseConfigKey(options.key);
        const value = parseConfigValue(options.value);
        const expected = options.expectedVersion === undefined ? undefined : parseWholeNumber(options.expectedVersion, "--expected-version", 0);
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const request = {
          tenant_id: tenantId,
          changes: nestedPatch(path, value),
          reason: options.reason ?? `maestro config update --key ${options.key}`,
          ...(expected === undefined ? {} : { expected_version: expected }),
        };
        const result = await ctx.out.spin("Updating the config…", () => connection.call<UpdateMaestroConfigResponse>("updateMaestroConfig", request));
        ctx.out.result({ tenant_id: tenantId, key: options.key, value, version: result.version, previous_version: result.previous_version, changed_fields: result.changed_fields, action_id: result.action_id }, (c) =>
          result.changed_fields.length
            ? `${c.green("Updated")} ${tenantId} config to version ${result.version} (was ${result.previous_version}): ${result.changed_fields.join(", ")} = ${JSON.stringify(value)}`
            : `No change: ${options.key} was already ${JSON.stringify(value)} (version ${result.version})`,
        );
      }),
    );

  config
    .command("export")
    .description("write the tenant's effective config (defaults filled in) as YAML (getMaestroConfig)")
    .option("--output <file>", "the YAML file to write (default: stdout)")
    .action(
      action<{ output?: string }>(async (ctx, options) => {
        const connection = await ctx.connect();
        const tenantId = ctx.tenant();
        const view = await ctx.out.spin("Reading the config…", () => connection.call<GetMaestroConfigResponse>("getMaestroConfig", { tenant_id: tenantId }));
        const origin = view.source === "tenant" ? "the tenant's" : view.source === "last_valid" ? `the last valid one (the stored config is rejected: ${view.rejection})` : "the defaults (none stored)";
        const yaml = configToYaml(view.config, [
          `Maestro config of tenant ${tenantId} in force: ${origin}; version ${view.version ?? "–"}${view.updated_at ? `, updated ${view.updated_at}${view.updated_by ? ` by ${view.updated_by}` : ""}` : ""}`,
          `Exported ${new Date().toISOString()} by maestro config export. Check it with: maestro config validate --config <file>`,
        ]);
        if (!options.output) {
          if (ctx.out.json) ctx.out.writeJson(view);
          else process.stdout.write(yaml);
          return;
        }
        try {
          writeFileSync(options.output, yaml);
        } catch (error) {
          throw new CliError(EXIT.USAGE, `--output: cannot write ${options.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
        ctx.out.result({ tenant_id: tenantId, source: view.source, version: view.version, updated_at: view.updated_at, output: options.output }, (c) =>
          keyValues([["Exported", `${c.bold(options.output!)} — ${view.source} config of ${tenantId}, version ${view.version ?? "–"}, updated ${when(view.updated_at)}`]], c),
        );
      }),
    );
};
