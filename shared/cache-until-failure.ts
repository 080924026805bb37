/**
 * `make`'s promise, made on the first call and handed to every later one, unless it rejects: then
 * the next call makes it again. For what a container creates once and must not give up on after
 * one failed try (the byrobot client, the SQS queue). Secrets expire instead (shared/config/secrets.ts).
 */
export function cacheUntilFailure<T>(make: () => Promise<T>): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () => {
    if (cached) return cached;
    const made = make();
    cached = made;
    made.catch(() => {
      if (cached === made) cached = undefined;
    });
    return made;
  };
}
