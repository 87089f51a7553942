/** What a lookup found: the subjects' current generations, and the answer if it is still good. */
export interface Lookup {
  /** The generations of the subjects asked about, in their order, as one string: store the answer with it. */
  generations: string;
  /** The stored answer, when it was stored at exactly these generations and has not expired. */
  body?: string;
}

/**
 * Where cached answers and the subjects' generations live. An answer is stored with the
 * generations its request saw before it ran; invalidating a subject gives it a new generation,
 * so every answer stored before (in every scope, under every variable) stops matching. A request
 * that read data before a change and is stored after the change's invalidation was stored with the
 * old generation: it never matches either.
 */
export interface ResponseStore {
  readonly kind: 'memory' | 'redis';
  lookup(key: string, subjects: readonly string[]): Promise<Lookup>;
  save(key: string, generations: string, body: string): Promise<void>;
  invalidate(subjects: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
