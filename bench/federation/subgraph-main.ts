/**
 * One benchmark subgraph in its own process: BENCH_SUBGRAPH (users, products, reviews, stock) on
 * PORT. Plain @apollo/server + @apollo/subgraph, like a typical federated service.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { SUBGRAPH_NAMES, subgraphResolvers, subgraphTypeDefs, type BenchSubgraph } from './subgraphs';

const name = process.env.BENCH_SUBGRAPH as BenchSubgraph;
if (!SUBGRAPH_NAMES.includes(name)) throw new Error(`BENCH_SUBGRAPH must be one of ${SUBGRAPH_NAMES.join(', ')}, got ${JSON.stringify(process.env.BENCH_SUBGRAPH)}`);
const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);

const server = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs: subgraphTypeDefs(name), resolvers: subgraphResolvers(name) }) });
const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port } });
console.log(JSON.stringify({ msg: 'listening', subgraph: name, url }));

for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void server.stop().finally(() => process.exit(0)));
