/**
 * The baseline: stock @apollo/server + @apollo/gateway on SUPERGRAPH_PATH, PORT, nothing added.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const path = process.env.SUPERGRAPH_PATH;
if (!path) throw new Error('SUPERGRAPH_PATH must name the supergraph SDL file');
const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);

const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: readFileSync(path, 'utf8') }) });
const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port } });
console.log(JSON.stringify({ msg: 'listening', gateway: 'apollo', url }));

for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void server.stop().finally(() => process.exit(0)));
