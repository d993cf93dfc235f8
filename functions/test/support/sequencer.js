/**
 * Runs the emulator test files in a fixed order (by name), with the 200-tenant load test
 * last: its fan-out and its tenants would otherwise slow every file after it.
 */
const Sequencer = require("@jest/test-sequencer").default;

class MaestroSequencer extends Sequencer {
  sort(tests) {
    const last = (t) => (t.path.endsWith("load.emulator.test.ts") ? 1 : 0);
    return [...tests].sort((a, b) => last(a) - last(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

module.exports = MaestroSequencer;
