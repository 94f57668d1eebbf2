/**
 * A queue of received buffers for incremental parsers. `consume(n)` returns a
 * view when the bytes lie in one buffer and copies only when they span
 * several, so large payloads arriving in big reads are never copied here.
 */
export class BufferList {
  private bufs: Buffer[] = [];
  private head = 0; // offset into bufs[0]
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.bufs.push(b);
    this.total += b.length;
  }

  /** Byte at position `i` from the start, without consuming. Caller checks `length`. */
  byteAt(i: number): number {
    let idx = i + this.head;
    for (const b of this.bufs) {
      if (idx < b.length) return b[idx]!;
      idx -= b.length;
    }
    throw new RangeError(`byteAt(${i}) past end (${this.total})`);
  }

  /** Copy of the first `n` bytes without consuming (for small headers). */
  peek(n: number): Buffer {
    if (n > this.total) throw new RangeError(`peek(${n}) past end (${this.total})`);
    const first = this.bufs[0];
    if (first && first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    let off = this.head;
    for (const b of this.bufs) {
      const take = Math.min(b.length - off, n - copied);
      b.copy(out, copied, off, off + take);
      copied += take;
      off = 0;
      if (copied === n) break;
    }
    return out;
  }

  /** Removes and returns the first `n` bytes: a view if contiguous, else a copy. */
  consume(n: number): Buffer {
    if (n > this.total) throw new RangeError(`consume(${n}) past end (${this.total})`);
    if (n === 0) return Buffer.alloc(0);
    const first = this.bufs[0]!;
    const avail = first.length - this.head;
    if (avail >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    while (copied < n) {
      const b = this.bufs[0]!;
      const take = Math.min(b.length - this.head, n - copied);
      b.copy(out, copied, this.head, this.head + take);
      copied += take;
      this.advance(take);
    }
    return out;
  }

  /**
   * Moves the first `n` bytes into `target` at `offset` (one copy, straight
   * from the received buffers, for reassembling a message).
   */
  copyTo(target: Buffer, offset: number, n: number): void {
    if (n > this.total) throw new RangeError(`copyTo(${n}) past end (${this.total})`);
    let done = 0;
    while (done < n) {
      const b = this.bufs[0]!;
      const take = Math.min(b.length - this.head, n - done);
      b.copy(target, offset + done, this.head, this.head + take);
      done += take;
      this.advance(take);
    }
  }

  /** Drops `n` bytes. */
  skip(n: number): void {
    if (n > this.total) throw new RangeError(`skip(${n}) past end (${this.total})`);
    let left = n;
    while (left > 0) {
      const b = this.bufs[0]!;
      const take = Math.min(b.length - this.head, left);
      this.advance(take);
      left -= take;
    }
  }

  private advance(n: number): void {
    this.head += n;
    this.total -= n;
    const first = this.bufs[0];
    if (first && this.head >= first.length) {
      this.bufs.shift();
      this.head = 0;
    }
  }

  /** Removes and returns everything. */
  drain(): Buffer {
    return this.consume(this.total);
  }
}
