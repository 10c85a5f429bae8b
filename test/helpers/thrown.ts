/**
 * What a call threw, for tests that assert on the error's fields rather than only its message.
 * A call that does not throw, or throws something of another type, fails the test with that
 * error, so the assertions after it never run on a wrong value.
 */
type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

function as<E extends Error>(type: ErrorClass<E>, error: unknown): E {
  if (error instanceof type) return error;
  if (error instanceof Error) throw error;
  throw new Error(`expected a ${type.name}, got a non-Error: ${String(error)}`);
}

/** Runs `fn` and returns the `type` it threw. */
export function thrownAs<E extends Error>(type: ErrorClass<E>, fn: () => unknown): E {
  try {
    fn();
  } catch (error) {
    return as(type, error);
  }
  throw new Error(`expected a ${type.name}, got no throw`);
}

/** Awaits `promise` and returns the `type` it rejected with. */
export async function rejectedAs<E extends Error>(type: ErrorClass<E>, promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return as(type, error);
  }
  throw new Error(`expected a ${type.name}, got no rejection`);
}
