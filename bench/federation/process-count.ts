import { execSync } from 'node:child_process';
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';

const NODE = realpathSync(process.execPath);
/** tsx's launcher only spawns the node process that runs the entry and relays signals to it. */
const TSX_LAUNCHER = /(\.bin\/tsx|tsx\/dist\/cli\.m?js)\0/;

function tree(pid: number): number[] {
  const children = execSync(`ps -o pid= --ppid ${pid} || true`).toString().split('\n').map((line) => Number(line.trim())).filter(Boolean);
  return [pid, ...children.flatMap(tree)];
}

/**
 * How many Node processes serve requests in the tree under pid. A cluster primary counts (it
 * accepts the connections and hands them to its workers); tsx's launcher and the esbuild service
 * tsx starts to compile TypeScript do not.
 */
export function servingProcessCount(pid: number): number {
  return tree(pid).filter((member) => {
    try {
      return readlinkSync(`/proc/${member}/exe`) === NODE && !TSX_LAUNCHER.test(readFileSync(`/proc/${member}/cmdline`, 'utf8'));
    } catch {
      return false; // ended between listing and reading
    }
  }).length;
}
