/**
 * Fan-out of "an incident event was committed" notices to the live clients of this API process. The composition
 * root feeds it from one Postgres LISTEN connection (listenIncidentEvents); each SSE client then reads the
 * events after its own last id from the table, so a notice is only a wake-up and none can be lost.
 */
export interface IncidentNotice {
  id: number;
  cameraId: string;
}

export interface IncidentFeed {
  /** Returns the unsubscribe function. */
  subscribe(onNotice: (n: IncidentNotice) => void): () => void;
}

export class IncidentEventHub implements IncidentFeed {
  private readonly subscribers = new Set<(n: IncidentNotice) => void>();

  subscribe(onNotice: (n: IncidentNotice) => void): () => void {
    this.subscribers.add(onNotice);
    return () => this.subscribers.delete(onNotice);
  }

  notify(n: IncidentNotice): void {
    for (const fn of this.subscribers) {
      try {
        fn(n);
      } catch {
        // One broken client must not stop the others.
      }
    }
  }

  get size(): number {
    return this.subscribers.size;
  }
}
