/** jq-web ships no types: its default export is a promise of the loaded WebAssembly jq. */
declare module 'jq-web' {
  interface JqWeb {
    /** Runs `filter` on the JSON of `input`; returns the parsed output (one value or an array). */
    json(input: unknown, filter: string): unknown;
    /** Runs jq as the command line does on `input` (JSON text) with `flags`; returns stdout. */
    raw(input: string, filter: string, flags?: string[]): string;
  }
  const jq: Promise<JqWeb>;
  export default jq;
}
