/** Cuts a byte stream into lines; a last line without a newline comes out on `flush`. */
export class LineSplitter {
  #rest = '';
  readonly #decoder = new TextDecoder();
  readonly #onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Uint8Array): void {
    const text = this.#rest + this.#decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    this.#rest = lines.pop() ?? '';
    for (const line of lines) this.#onLine(line);
  }

  flush(): void {
    const tail = this.#rest + this.#decoder.decode();
    this.#rest = '';
    if (tail.length > 0) this.#onLine(tail);
  }
}
