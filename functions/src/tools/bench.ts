/**
 * `npm run bench`: the core benchmarks always; the emulator benchmarks (Firestore reads
 * and writes per market cycle, publish → audit latency) only when FIRESTORE_EMULATOR_HOST
 * says an emulator is running, i.e. under `npm run bench:emulator` from the repo root.
 */
import { printCoreBenchmarks, runCoreBenchmarks } from "./bench-core";

const EMULATOR_BENCH = "./bench-emulator";

interface EmulatorBench {
  runEmulatorBenchmarks(): Promise<void>;
}

/**
 * The emulator benchmark module, or null if it has not been written yet. Resolving first
 * means only the absence of that one file is tolerated: a module it imports that is
 * missing still fails loudly.
 */
function loadEmulatorBench(): EmulatorBench | null {
  try {
    require.resolve(EMULATOR_BENCH);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") return null;
    throw error;
  }
  return require(EMULATOR_BENCH) as EmulatorBench;
}

async function main(): Promise<void> {
  printCoreBenchmarks(runCoreBenchmarks());
  console.log("");

  if (!process.env.FIRESTORE_EMULATOR_HOST) {
    console.log("Emulator figures (Firestore I/O per cycle, publish→audit latency): run `npm run bench:emulator` from the repo root.");
    return;
  }
  const emulatorBench = loadEmulatorBench();
  if (!emulatorBench) {
    console.log(`Emulator figures skipped: ${EMULATOR_BENCH} is not built (functions/src/tools/bench-emulator.ts does not exist yet).`);
    return;
  }
  await emulatorBench.runEmulatorBenchmarks();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
