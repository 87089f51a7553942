import { parse, type DocumentNode } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { inStock, products, reviews, shippingEstimate, users } from './data';

/** The four benchmark subgraphs: their SDL and resolvers, by name. */
export const SUBGRAPH_NAMES = ['users', 'products', 'reviews', 'stock'] as const;
export type BenchSubgraph = (typeof SUBGRAPH_NAMES)[number];

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires", "@shareable"])';

const SDL: Record<BenchSubgraph, string> = {
  users: `${LINK}
    type Query { users: [User!]! user(id: ID!): User }
    type User @key(fields: "id") { id: ID! name: String! username: String! }`,
  products: `${LINK}
    type Query { topProducts(first: Int = 5): [Product!]! }
    type Product @key(fields: "upc") { upc: String! name: String! price: Int! weight: Int! }`,
  reviews: `${LINK}
    type Review @key(fields: "id") { id: ID! body: String! author: User! product: Product! }
    type User @key(fields: "id") { id: ID! reviews: [Review!]! }
    type Product @key(fields: "upc") { upc: String! reviews: [Review!]! }`,
  stock: `${LINK}
    type Product @key(fields: "upc") {
      upc: String!
      price: Int! @external
      weight: Int! @external
      inStock: Boolean!
      "Needs the product's price and weight, from the products subgraph."
      shippingEstimate: Float! @requires(fields: "price weight")
    }`,
};

const userById = new Map(users.map((user) => [user.id, user]));
const productByUpc = new Map(products.map((product) => [product.upc, product]));
function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
const reviewsByAuthor = groupBy(reviews, (review) => review.authorId);
const reviewsByProduct = groupBy(reviews, (review) => review.upc);

type Ref = Record<string, unknown>;

const RESOLVERS: Record<BenchSubgraph, GraphQLResolverMap<unknown>> = {
  users: {
    Query: { users: () => users, user: (_: unknown, { id }: { id: string }) => userById.get(id) ?? null },
    User: { __resolveReference: (ref: Ref) => userById.get(ref.id as string) ?? null },
  },
  products: {
    Query: { topProducts: (_: unknown, { first }: { first: number }) => products.slice(0, first) },
    Product: { __resolveReference: (ref: Ref) => productByUpc.get(ref.upc as string) ?? null },
  },
  reviews: {
    Review: {
      __resolveReference: (ref: Ref) => reviews.find((review) => review.id === ref.id) ?? null,
      author: (review: { authorId: string }) => ({ __typename: 'User', id: review.authorId }),
      product: (review: { upc: string }) => ({ __typename: 'Product', upc: review.upc }),
    },
    User: { __resolveReference: (ref: Ref) => ref, reviews: (user: Ref) => reviewsByAuthor.get(user.id as string) ?? [] },
    Product: { __resolveReference: (ref: Ref) => ref, reviews: (product: Ref) => reviewsByProduct.get(product.upc as string) ?? [] },
  },
  stock: {
    Product: {
      __resolveReference: (ref: Ref) => ref,
      inStock: (product: Ref) => inStock(product.upc as string),
      shippingEstimate: (product: Ref) => {
        // Without @requires the gateway would not send these: fail loudly instead of answering NaN.
        if (typeof product.price !== 'number' || typeof product.weight !== 'number') throw new Error(`shippingEstimate of ${String(product.upc)}: price and weight were not provided (@requires)`);
        return shippingEstimate(product.price, product.weight);
      },
    },
  },
};

export function subgraphTypeDefs(name: BenchSubgraph): DocumentNode {
  return parse(SDL[name]);
}

export function subgraphResolvers(name: BenchSubgraph): GraphQLResolverMap<unknown> {
  return RESOLVERS[name];
}
