/**
 * Runs the emulator test files in a fixed order (by name), with two exceptions:
 * - the 200-tenant load test after the rest: its fan-out and its tenants would otherwise
 *   slow every file after it;
 * - the replay of every orchestration last (issue 13), so it sees what every other file made.
 */
const Sequencer = require("@jest/test-sequencer").default;

const RANK = [
  ["load.emulator.test.ts", 1],
  ["replay-everything.emulator.test.ts", 2],
];

class MaestroSequencer extends Sequencer {
  sort(tests) {
    const rank = (t) => (RANK.find(([name]) => t.path.endsWith(`/${name}`)) ?? [null, 0])[1];
    return [...tests].sort((a, b) => rank(a) - rank(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

module.exports = MaestroSequencer;
