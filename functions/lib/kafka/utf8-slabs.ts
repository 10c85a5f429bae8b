/** Strings up to this many UTF-16 units share slabs; a longer one gets a buffer of its own. */
const SHARED_MAX_UNITS = 16 * 1024;
const SLAB_BYTES = 256 * 1024;

/**
 * A UTF-8 encoder for the keys and values of one send: short strings are written one after the
 * other into shared slabs, so a 100-event request costs a few allocations instead of two per
 * event (`Buffer.from` per string was ~20% of the ingest core, most of it allocation). The
 * returned buffers are views into the slab: they must not be written to.
 */
export function utf8Slabs(): (text: string) => Buffer {
  let slab = Buffer.alloc(0);
  let used = 0;
  return (text) => {
    if (text.length > SHARED_MAX_UNITS) return Buffer.from(text, 'utf8');
    // A UTF-16 unit is at most 3 UTF-8 bytes, so this much room always holds the text.
    if (slab.length - used < text.length * 3) {
      slab = Buffer.allocUnsafe(SLAB_BYTES);
      used = 0;
    }
    const written = slab.write(text, used, 'utf8');
    const view = slab.subarray(used, used + written);
    used += written;
    return view;
  };
}
