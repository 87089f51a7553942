/**
 * Fixed benchmark data, generated from indexes (no randomness), so every run and every gateway
 * gets the same answer. Sized so the nested query in query.ts answers about 60 KB of JSON.
 */
export const USER_COUNT = 8;
export const PRODUCT_COUNT = 8;
/** Reviews each user wrote; each product then has USER_COUNT * REVIEWS_PER_USER / PRODUCT_COUNT. */
export const REVIEWS_PER_USER = 3;

export interface User { id: string; name: string; username: string }
export interface Product { upc: string; name: string; price: number; weight: number }
export interface Review { id: string; body: string; authorId: string; upc: string }

export const users: User[] = Array.from({ length: USER_COUNT }, (_, i) => ({ id: `u${i + 1}`, name: `User Number ${i + 1}`, username: `user${i + 1}` }));

export const products: Product[] = Array.from({ length: PRODUCT_COUNT }, (_, i) => ({
  upc: `upc-${String(i + 1).padStart(4, '0')}`,
  name: `Product ${i + 1}`,
  price: 100 + i * 37,
  weight: 1 + ((i * 7) % 13),
}));

// Review r of user u is about product (u * REVIEWS_PER_USER + r) % PRODUCT_COUNT: every product
// gets the same number of reviews, from different authors.
export const reviews: Review[] = users.flatMap((user, u) =>
  Array.from({ length: REVIEWS_PER_USER }, (_, r) => {
    const n = u * REVIEWS_PER_USER + r;
    return { id: `r${n + 1}`, body: `Review ${n + 1} by ${user.username}: solid, would buy again.`, authorId: user.id, upc: products[n % PRODUCT_COUNT].upc };
  }),
);

/** Whether a product is in stock (stock subgraph): every third is not. */
export const inStock = (upc: string): boolean => Number(upc.slice(4)) % 3 !== 0;

/** Shipping estimate from the product's price and weight (stock subgraph, via @requires): free over 500. */
export const shippingEstimate = (price: number, weight: number): number => (price > 500 ? 0 : Math.round(weight * 0.5 * 100) / 100);
