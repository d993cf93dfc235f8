/**
 * Every `maestro` command group, in the order `maestro --help` lists them. Adding a command
 * is one entry here (a CommandModule registering itself on the program).
 */
import type { CommandModule } from "../app";
import { agentCommands } from "./agents";
import { askCommands } from "./ask";
import { authCommands } from "./auth";
import { configCommands } from "./config";
import { deskCommands } from "./desk";
import { logCommands } from "./logs";
import { monitorCommand } from "./monitor";
import { reportCommand } from "./report";
import { performanceCommands } from "./performance";
import { strategyCommands } from "./strategies";

export const COMMANDS: readonly CommandModule[] = [authCommands, deskCommands, strategyCommands, performanceCommands, logCommands, configCommands, agentCommands, monitorCommand, reportCommand, askCommands];
