/**
 * Array elements serialised per piece: ~100 KB of store items, under the size at which V8 allocates a string
 * straight into the old generation, so each piece dies young instead of piling up until a full collection.
 */
const ELEMENTS_PER_CHUNK = 100;

/**
 * JSON.stringify(value), as a sequence of pieces whose concatenation is exactly that text, so a big store is
 * written without ever holding its whole text (100k items: ~100 MB as a string, as much again as a buffer,
 * on top of the items themselves). Only the arrays directly under a plain top-level object are split; any
 * other value is one piece.
 */
export function* jsonChunks(value: unknown): Generator<string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    yield JSON.stringify(value);
    return;
  }
  let first = true;
  yield '{';
  for (const [key, field] of Object.entries(value)) {
    // The members JSON.stringify leaves out of an object.
    if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue;
    yield `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    if (!Array.isArray(field) || field.length <= ELEMENTS_PER_CHUNK) {
      yield JSON.stringify(field);
      continue;
    }
    yield '[';
    for (let i = 0; i < field.length; i += ELEMENTS_PER_CHUNK) {
      const part = JSON.stringify(field.slice(i, i + ELEMENTS_PER_CHUNK));
      yield `${i === 0 ? '' : ','}${part.slice(1, -1)}`;
    }
    yield ']';
  }
  yield '}';
}
