/**
 * Reciprocal rank fusion (Cormack et al., 2009): each list adds 1 / (k + rank) for every id it
 * ranks, so an id both searches found rises above one only a single search found, and neither
 * search's raw scores (bm25, cosine distance) need to be on the same scale. k = 60 as in the paper.
 */
export const RRF_K = 60;

export type Via = "fts" | "vector";

export function fuse(lists: ReadonlyArray<{ via: Via; ids: readonly number[] }>, k = RRF_K): { id: number; score: number; via: Via[] }[] {
  const acc = new Map<number, { id: number; score: number; via: Via[] }>();
  for (const list of lists) {
    list.ids.forEach((id, i) => {
      const e = acc.get(id) ?? { id, score: 0, via: [] };
      e.score += 1 / (k + i + 1);
      if (!e.via.includes(list.via)) e.via.push(list.via);
      acc.set(id, e);
    });
  }
  // Ties (same fused score) keep a stable order: lower id (indexed earlier) first.
  return [...acc.values()].sort((a, b) => b.score - a.score || a.id - b.id);
}
