/**
 * Cuts a byte stream into lines; a UTF-8 character split across chunks is kept whole, and a last
 * line without a newline comes out on `flush`.
 *
 * @example
 * const lines = new LineSplitter((line) => console.log(`[0] ${line}`));
 * lines.push(chunk);
 * lines.flush();
 */
export class LineSplitter {
  #rest = '';
  readonly #decoder = new TextDecoder();
  readonly #onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Uint8Array): void {
    const lines = (this.#rest + this.#decoder.decode(chunk, { stream: true })).split('\n');
    this.#rest = lines.pop() ?? '';
    for (const line of lines) this.#onLine(line);
  }

  flush(): void {
    const tail = this.#rest + this.#decoder.decode();
    this.#rest = '';
    if (tail.length > 0) this.#onLine(tail);
  }
}
