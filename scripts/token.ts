/**
 * `npm run token -- --role manager --locations <id,id|*> [--subject s] [--expires 8h]`: prints a
 * bearer token for the router (stdout: the token alone, so `TOKEN=$(npm run -s token -- …)` works).
 */
import { runMain } from '@joinery/core';
import { mintToken, TokenUsageError } from '../router/src/auth/mint-token';

runMain(async () => {
  try {
    const { token, notes } = await mintToken(process.argv.slice(2));
    for (const note of notes) console.error(note);
    console.log(token);
  } catch (error) {
    if (!(error instanceof TokenUsageError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
});
