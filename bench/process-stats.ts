import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** The process and all its descendants (tsx runs the service in a child node process). */
function tree(pid: number): number[] {
  const children = execSync(`ps -o pid= --ppid ${pid} || true`).toString().split('\n').map((line) => Number(line.trim())).filter(Boolean);
  return [pid, ...children.flatMap(tree)];
}

/** CPU seconds used so far and resident memory in MiB, summed over the process tree. */
export function processStats(pid: number): { cpuSeconds: number; rssMiB: number } {
  let ticks = 0;
  let rssPages = 0;
  for (const member of tree(pid)) {
    try {
      const fields = readFileSync(`/proc/${member}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      rssPages += Number(fields[21]);
    } catch {
      // the process ended between listing and reading
    }
  }
  return { cpuSeconds: ticks / TICKS_PER_SECOND, rssMiB: (rssPages * 4096) / 2 ** 20 };
}
