/** Paging through an AWS List call until an item is found. */

/** One List call's pages: how to fetch one, what it lists, and the token of the next. */
export interface Pages<P, T> {
  fetch: (token: string | undefined) => Promise<P>;
  items: (page: P) => readonly T[] | undefined;
  next: (page: P) => string | undefined;
}

/** The first listed item `match` accepts, through every page; undefined when none does. */
export async function findInPages<P, T>(pages: Pages<P, T>, match: (item: T) => boolean): Promise<T | undefined> {
  let token: string | undefined;
  do {
    const page = await pages.fetch(token);
    const found = pages.items(page)?.find(match);
    if (found !== undefined) return found;
    token = pages.next(page);
  } while (token);
  return undefined;
}
