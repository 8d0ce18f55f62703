/**
 * Dynamic batching of a stateless graph (Triton's dynamic batcher, within one worker): calls
 * submitted while the event loop is busy with other requests' steps are run as one batched
 * forward at the next turn of the loop. Concurrent generations on the same model (MAR rounds,
 * diffusion-head steps) therefore share forwards without knowing of each other, and a call alone
 * runs at once (one `setImmediate` later). Results are split back per call in order.
 */
export class CallCoalescer<Call, Result> {
  private queue: { call: Call; resolve: (r: Result) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  /** Forwards run and calls served (the ratio is the mean calls per forward). */
  readonly stats = { forwards: 0, calls: 0 };

  /**
   * @param runBatch runs the calls as one forward and returns one result per call, in order
   * @param rowsOf rows a call adds to the batch
   * @param maxRows most rows in one forward (a call larger than this runs alone)
   */
  constructor(
    private readonly runBatch: (calls: readonly Call[]) => Promise<Result[]>,
    private readonly rowsOf: (call: Call) => number,
    private readonly maxRows: number,
  ) {}

  submit(call: Call): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ call, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const group = [this.queue.shift()!];
      let rows = this.rowsOf(group[0].call);
      while (this.queue.length > 0 && rows + this.rowsOf(this.queue[0].call) <= this.maxRows) {
        rows += this.rowsOf(this.queue[0].call);
        group.push(this.queue.shift()!);
      }
      this.stats.forwards++;
      this.stats.calls += group.length;
      try {
        const results = await this.runBatch(group.map((g) => g.call));
        group.forEach((g, i) => g.resolve(results[i]));
      } catch (error) {
        group.forEach((g) => g.reject(error));
      }
    }
  }
}
