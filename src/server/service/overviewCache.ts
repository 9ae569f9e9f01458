// The serialized overview (GET /api/releases), built once per change. Every committed change bumps
// the generation; a build only fills the cache if no change committed while it ran, and concurrent
// requests for one generation share one build.
//
// With a `probe` (the newest event id in the database) the cache also notices changes committed by
// another server sharing the database: every change records an event in its own transaction.

/** UTF-8 bytes, encoded once per build rather than on every response. */
export type OverviewBytes = Buffer;

export class OverviewCache {
  private generation = 0;
  private cached: { generation: number; body: OverviewBytes } | undefined;
  private building: { generation: number; promise: Promise<OverviewBytes> } | undefined;
  private probedVersion: number | undefined;

  constructor(private readonly build: () => Promise<string>, private readonly probe?: () => Promise<number>) {}

  invalidate(): void {
    this.generation++;
    this.cached = undefined;
  }

  async get(): Promise<OverviewBytes> {
    if (this.probe) {
      const version = await this.probe();
      if (version !== this.probedVersion) {
        this.probedVersion = version;
        this.invalidate();
      }
    }
    return this.current();
  }

  private current(): Promise<OverviewBytes> {
    const generation = this.generation;
    if (this.cached?.generation === generation) return Promise.resolve(this.cached.body);
    if (this.building?.generation === generation) return this.building.promise;
    const promise = this.build().then(
      (json) => {
        const body = Buffer.from(json, 'utf8');
        if (this.generation === generation) this.cached = { generation, body };
        return body;
      },
    ).finally(() => {
      if (this.building?.promise === promise) this.building = undefined;
    });
    this.building = { generation, promise };
    return promise;
  }
}
