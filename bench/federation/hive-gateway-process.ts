/**
 * Starts the Hive Gateway CLI (`hive-gateway supergraph <path>`) for the federation benchmark.
 * It is run with `node` on the package's own bin, not through tsx: it is plain JavaScript, and its
 * `--fork` workers are Node cluster children of that process.
 */
import { execSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../node_modules/@graphql-hive/gateway/dist/bin.js');
/** What each Hive Gateway worker (or the single process, without forking) logs once it accepts requests. */
const READY = /Listening on http/g;

export interface HiveGatewayOptions {
  supergraphPath: string;
  port: number;
  /** `--jit`: compile operations with graphql-jit. */
  jit: boolean;
  /** `--fork`: 1 is one process; N > 1 is a cluster primary plus N workers. */
  fork: number;
  /** Working directory: Hive loads a `gateway.config.*` it finds there, so give it an empty one. */
  cwd: string;
}

export interface StartedGateway {
  pid: number;
  stop(): Promise<void>;
}

function descendants(pid: number): number[] {
  const children = execSync(`ps -o pid= --ppid ${pid} || true`).toString().split('\n').map((line) => Number(line.trim())).filter(Boolean);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

export async function startHiveGateway(options: HiveGatewayOptions, timeoutMs = 120_000): Promise<StartedGateway> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
  // These would switch on options behind the flags' back (commander reads them when a flag is absent).
  for (const name of ['JIT', 'FORK', 'CONFIG_PATH', 'PORT', 'HOST', 'DEBUG']) delete env[name];
  const args = [BIN, 'supergraph', options.supergraphPath, '--host', '127.0.0.1', '--port', String(options.port), '--fork', String(options.fork), ...(options.jit ? ['--jit'] : [])];
  const child = spawn(process.execPath, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  // With --fork N, the primary logs nothing when ready; each of the N workers logs its own line.
  const readyLines = Math.max(1, options.fork);
  let output = '';
  const killTree = () => {
    for (const pid of [...descendants(child.pid!), child.pid!]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`Hive Gateway not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if ((output.match(READY) ?? []).length >= readyLines) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Hive Gateway exited with ${code} before it was ready:\n${output}`));
    });
  }).catch((error) => {
    killTree();
    throw error;
  });
  return {
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // The primary relays SIGTERM to its workers and waits for them.
      child.kill('SIGTERM');
      const timer = setTimeout(killTree, 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
