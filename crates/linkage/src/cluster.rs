//! Clustering matched pairs into persons: the connected components of the match graph,
//! by union–find. A cluster is numbered by its smallest row, so the numbering does not
//! depend on the order the pairs arrive in.

// A numeric kernel: its indexes are record, field and level positions in arrays it
// built and sized itself, so `clippy::indexing_slicing` (denied in the workspace) is
// allowed in the engine's kernels (block, cluster, compare, model, text, lib) and never
// in its input parsing (`field`), where values come from people's files.
#![allow(clippy::indexing_slicing)]

/// The cluster of each of `n` rows, given the matched pairs.
pub fn components(n: usize, pairs: impl Iterator<Item = (u32, u32)>) -> Vec<u32> {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    for (a, b) in pairs {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            // The smaller root wins, so each cluster's root is its smallest row.
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            parent[hi as usize] = lo;
        }
    }
    (0..n as u32).map(|x| find(&mut parent, x)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_join_and_roots_are_smallest_rows() {
        let c = components(6, [(4, 2), (2, 5), (1, 3)].into_iter());
        assert_eq!(c, vec![0, 1, 2, 1, 2, 2]);
    }

    #[test]
    fn order_of_pairs_does_not_matter() {
        let a = components(5, [(0, 4), (3, 4), (1, 2)].into_iter());
        let b = components(5, [(1, 2), (3, 4), (0, 4)].into_iter());
        assert_eq!(a, b);
    }
}
