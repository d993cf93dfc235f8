/**
 * `npm run bench` (from functions/): the core benchmarks, then — under the emulators, which
 * the script starts — Firestore reads and writes per market cycle and the publish → audit
 * latency, then the scheduled fan-out to 200 tenants. `npm run bench:core` runs the core part alone, without the emulators.
 */
import { printCoreBenchmarks, runCoreBenchmarks } from "./bench-core";
import { runEmulatorBenchmarks, runFanOutBenchmark } from "./bench-emulator";

async function main(): Promise<void> {
  printCoreBenchmarks(runCoreBenchmarks());
  console.log("");
  if (!process.env.FIRESTORE_EMULATOR_HOST) {
    console.log("Emulator figures skipped: no emulator running (`npm run bench` from functions/ starts one).");
    return;
  }
  await runEmulatorBenchmarks();
  console.log("");
  await runFanOutBenchmark();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
