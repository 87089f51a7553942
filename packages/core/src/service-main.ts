import { ConfigError } from './config';
import { ListenError } from './http/graphql-http';

/** Runs a listen call; if the address cannot be used, stops start-up naming the variables that set it. */
export async function listenOrExplain<T>(listening: Promise<T>, variables: string): Promise<T> {
  try {
    return await listening;
  } catch (error) {
    if (error instanceof ListenError) throw new ConfigError([`${variables}: ${error.message}`]);
    throw error;
  }
}

interface Listening {
  listen(port: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The end of every service's main.ts: listens (naming the variables that set the address if it
 * cannot), logs where, and stops cleanly on SIGTERM or SIGINT.
 */
export async function serveUntilSignalled(service: string, server: Listening, address: { host: string; port: number; portVariable: string }, details: Record<string, unknown> = {}): Promise<void> {
  const url = await listenOrExplain(server.listen(address.port, address.host), `HOST / ${address.portVariable}`);
  console.log(JSON.stringify({ level: 'info', service, msg: 'listening', url, ...details }));
  const shutdown = () => server.stop().then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/** Runs a service's main(); a bad setting prints only its message, anything else its stack, then exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
}
