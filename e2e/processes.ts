import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
  /**
   * Kills the service at once (SIGKILL), as a crash would: with `ownProcessGroup`, tsx and the
   * node process running the service; without, only tsx (see StartOptions). Resolves on exit.
   */
  kill(): Promise<number | null>;
}

export interface StartOptions {
  /**
   * Starts the process in a process group of its own, so `kill()` reaches the service itself.
   * tsx runs the entry in a child node process and relays SIGTERM/SIGINT to it, but a SIGKILL
   * sent to tsx alone leaves that child running, orphaned. Off by default: a process group of
   * its own also no longer receives the terminal's Ctrl-C.
   */
  ownProcessGroup?: boolean;
}

/** Starts `tsx <entry>` with the given environment and waits until its output matches `ready`. */
export async function startProcess(entry: string, env: Record<string, string>, ready: RegExp, timeoutMs = 120_000, options: StartOptions = {}): Promise<RunningProcess> {
  const child = spawn(TSX, [resolve(ROOT, entry)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: options.ownProcessGroup ?? false });
  const killHard = () => {
    if (options.ownProcessGroup && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
        return;
      } catch {
        // The group is gone already; fall through to the child itself.
      }
    }
    child.kill('SIGKILL');
  };
  let output = '';
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before it was ready:\n${output}`));
    });
  }).catch(async (error) => {
    killHard();
    throw error;
  });
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(killHard, 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      killHard();
      return exited;
    },
  };
}

/** Runs `tsx <entry>` to its end and returns its exit code and output. */
export async function runToEnd(entry: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(TSX, [resolve(ROOT, entry)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
  return { code, output };
}
