/**
 * Minimum-cost assignment with a cost limit (what ByteTrack does with `lap.lapjv(cost, extend_cost=True,
 * cost_limit=thresh)`): a pair is matched only when its cost is ≤ `maxCost`, and among such matchings the total cost
 * is minimal. Solved exactly with the Hungarian algorithm (O(n³); n = rows + cols stays small per camera frame).
 */

export interface AssignmentResult {
  /** [row, col] pairs */
  matches: Array<[number, number]>;
  unmatchedRows: number[];
  unmatchedCols: number[];
}

const INFEASIBLE = 1e9;

/** Hungarian algorithm on a square matrix (potentials + augmenting paths); returns col index per row. */
function hungarianSquare(a: number[][]): number[] {
  const n = a.length;
  const u = new Array<number>(n + 1).fill(0);
  const v = new Array<number>(n + 1).fill(0);
  const p = new Array<number>(n + 1).fill(0); // p[j] = row (1-based) assigned to column j
  const way = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(n + 1).fill(Infinity);
    const used = new Array<boolean>(n + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = a[i0 - 1]![j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowToCol = new Array<number>(n).fill(-1);
  for (let j = 1; j <= n; j++) if (p[j]! > 0) rowToCol[p[j]! - 1] = j - 1;
  return rowToCol;
}

/** Solves one component exactly on the extended matrix (see linearAssignment). */
function solveComponent(cost: readonly (readonly number[])[], rowIdx: number[], colIdx: number[], maxCost: number): Array<[number, number]> {
  const rows = rowIdx.length;
  const cols = colIdx.length;
  const n = rows + cols;
  const half = maxCost / 2;
  const ext: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(INFEASIBLE));
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const c = cost[rowIdx[i]!]![colIdx[j]!]!;
      ext[i]![j] = Number.isFinite(c) && c <= maxCost ? c : INFEASIBLE;
    }
    ext[i]![cols + i] = half; // row i left unmatched
  }
  for (let j = 0; j < cols; j++) {
    ext[rows + j]![j] = half; // column j left unmatched
    for (let i = 0; i < rows; i++) ext[rows + j]![cols + i] = 0; // dummy ↔ dummy
  }
  const assignment = hungarianSquare(ext);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < rows; i++) {
    const j = assignment[i]!;
    if (j >= 0 && j < cols && ext[i]![j]! < INFEASIBLE) out.push([rowIdx[i]!, colIdx[j]!]);
  }
  return out;
}

/**
 * Solves the assignment for a `rows × cols` cost matrix. Costs above `maxCost` (or not finite) are never matched.
 * The matrix is extended so that leaving a row and a column unmatched costs `maxCost` in total, which is exactly
 * the rule "match only pairs with cost ≤ maxCost, minimising the total". The problem is first split into the
 * connected components of feasible pairs (tracks and detections far apart never interact), which keeps busy scenes
 * cheap: the cubic cost applies per cluster of nearby objects, not to the whole frame.
 */
export function linearAssignment(cost: readonly (readonly number[])[], maxCost: number): AssignmentResult {
  const rows = cost.length;
  const cols = rows ? cost[0]!.length : 0;
  // Union-find over rows (0..rows-1) and columns (rows..rows+cols-1) joined by feasible pairs.
  const parent = Array.from({ length: rows + cols }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  const feasibleRow = new Array<boolean>(rows).fill(false);
  const feasibleCol = new Array<boolean>(cols).fill(false);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const c = cost[i]![j]!;
      if (!(Number.isFinite(c) && c <= maxCost)) continue;
      feasibleRow[i] = true;
      feasibleCol[j] = true;
      const a = find(i);
      const b = find(rows + j);
      if (a !== b) parent[a] = b;
    }
  }
  const components = new Map<number, { r: number[]; c: number[] }>();
  for (let i = 0; i < rows; i++) {
    if (!feasibleRow[i]) continue;
    const k = find(i);
    const comp = components.get(k) ?? { r: [], c: [] };
    comp.r.push(i);
    components.set(k, comp);
  }
  for (let j = 0; j < cols; j++) {
    if (!feasibleCol[j]) continue;
    components.get(find(rows + j))!.c.push(j);
  }
  const matches: Array<[number, number]> = [];
  for (const comp of components.values()) matches.push(...solveComponent(cost, comp.r, comp.c, maxCost));
  matches.sort((a, b) => a[0] - b[0]);
  const rowMatched = new Array<boolean>(rows).fill(false);
  const colMatched = new Array<boolean>(cols).fill(false);
  for (const [i, j] of matches) {
    rowMatched[i] = true;
    colMatched[j] = true;
  }
  return {
    matches,
    unmatchedRows: rowMatched.flatMap((m, i) => (m ? [] : [i])),
    unmatchedCols: colMatched.flatMap((m, j) => (m ? [] : [j])),
  };
}
