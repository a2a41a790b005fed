import { Repeater } from 'graphql-yoga';
import type { ApplicationHistory, AuctionApplication, PrismaClient } from '../db/prisma.js';
import type { Logger } from '../logger.js';
import type { ServicePubSub } from './pubsub.js';

/** One event of a live subscription to an application. */
export interface ApplicationUpdate {
  /** The application as committed with the newest entry of `newHistory`. */
  application: AuctionApplication;
  /**
   * The history entries committed since the previous update, oldest first. The first update of
   * a subscription carries the whole history so far.
   */
  newHistory: ApplicationHistory[];
}

export interface ApplicationUpdatesOptions {
  prisma: PrismaClient;
  pubSub: ServicePubSub;
  logger: Logger;
  applicationId: bigint;
  /** Called once when the stream ends, for whatever reason. */
  onClose?: () => void;
}

/**
 * Stream the updates of one application: first its current state with the whole history, then
 * one update per batch of newly committed history entries, until the consumer stops, the
 * application is deleted or the process shuts down. Authorisation is the caller's job and must happen before this is called.
 * The stream is a Repeater, not an async generator, because a consumer's return() must end it at
 * once: an async generator that waits for the next signal would postpone return() until a change
 * comes, which for a finished application is never, and keep its listener until then.
 *
 * Each signal from the pub/sub only means "something changed", so the stream reads the entries
 * after the last one it sent. Signals that arrive during a read collapse into one more read, and
 * the row lock that every change takes makes history ids of one application grow in commit
 * order, so no entry is skipped or sent twice, even after the listener reconnected.
 */
export function streamApplicationUpdates(options: ApplicationUpdatesOptions): Repeater<ApplicationUpdate> {
  const { prisma, pubSub, logger, applicationId } = options;

  return new Repeater<ApplicationUpdate>(async (push, stop) => {
    const signals = pubSub.subscribe('application', applicationId.toString())[Symbol.asyncIterator]();
    let stopped = false;
    let pending = true;
    let deleted = false;
    let wake: (() => void) | undefined;
    const endOnShutdown = () => stop();
    void stop.then(() => {
      pubSub.closing.removeEventListener('abort', endOnShutdown);
      options.onClose?.();
      stopped = true;
      wake?.();
      void signals.return?.();
    });
    if (pubSub.closing.aborted) {
      stop();
      return;
    }
    pubSub.closing.addEventListener('abort', endOnShutdown, { once: true });

    // The first next() call, inside this loop, attaches the listener before the first read
    // below, so a change committed during that read still produces a signal. The loop reads
    // every signal as it arrives, so the pub/sub's queue for this subscription never grows.
    void (async () => {
      for (let signal = await signals.next(); !signal.done; signal = await signals.next()) {
        if (signal.value?.deleted) {
          deleted = true;
        }
        pending = true;
        wake?.();
      }
    })();

    let lastHistoryId = 0n;
    let sentFirst = false;
    try {
      while (!stopped) {
        if (!pending) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        pending = false;

        // One snapshot for both reads: two separate reads let a change commit between them, and
        // an event could then pair the newest entry with the row before it. The change's own
        // signal would find no new entry, so the subscriber would keep the stale row.
        const [application, newHistory] = await prisma.$transaction(
          [
            prisma.auctionApplication.findUnique({ where: { id: applicationId } }),
            prisma.applicationHistory.findMany({ where: { applicationId, id: { gt: lastHistoryId } }, orderBy: { id: 'asc' } }),
          ],
          { isolationLevel: 'RepeatableRead' },
        );
        if (!application || deleted) {
          logger.info({ applicationId: applicationId.toString() }, `Application ${applicationId} was deleted, so its subscription ended.`);
          break;
        }
        if (newHistory.length === 0 && sentFirst) {
          continue;
        }
        lastHistoryId = newHistory.at(-1)?.id ?? lastHistoryId;
        sentFirst = true;
        await push({ application, newHistory });
      }
      stop();
    } catch (error) {
      logger.error({ err: error, applicationId: applicationId.toString() }, `Reading updates of application ${applicationId} failed, so its subscription ended with an error.`);
      stop(error);
    }
  });
}
