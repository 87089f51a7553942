import { logger } from '@joinery/core';
import type { SegmentRefresher } from './segment-refresh';

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Refreshes the RFM snapshot in the background: at start, then every `intervalMs`. Every instance
 * of the subgraph may run one; a refresh is skipped when this instance is already refreshing (on
 * demand), when another instance holds the refresh lock, or when the newest snapshot is less than
 * 90 % of `intervalMs` old, so there is about one refresh per interval.
 */
export class SegmentRefreshJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly refresher: SegmentRefresher, private readonly intervalMs: number) {
    // Node fires a timer longer than 2^31 - 1 ms after 1 ms: the job would refresh without pause.
    if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > MAX_TIMER_MS) {
      throw new RangeError(`segment refresh interval must be a whole number of ms from 1 to ${MAX_TIMER_MS}, got ${intervalMs}`);
    }
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => this.schedule(this.intervalMs));
    }, delayMs);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    try {
      // A little under the interval: timers drift, and a snapshot one tick old must not be skipped.
      await this.refresher.refresh({ ifOlderThanMs: Math.floor(this.intervalMs * 0.9) });
    } catch (error) {
      if (!this.stopped) logger('marketing').error({ error: String((error as Error)?.message ?? error) }, 'customer segment refresh failed; retrying at the next interval');
    }
  }
}
