/// The accountant's pure rules about output files: straight-to-merge, merged LFNs and DBS parentage.
public enum OutputRules {
    /// Tiers that never go straight to merge (§13: never for NANOAOD).
    public static let tiersNeverStraightToMerge: Set<String> = ["NANOAOD", "NANOAODSIM"]

    /// True when an unmerged output is big enough to skip the merge: size ≥ `minMergeSize` or events ≥
    /// `maxMergeEvents` (WMCore's StageOut), never for NANOAOD.
    public static func goesStraightToMerge(size: Int, events: Int, tier: String, minMergeSize: Int?, maxMergeEvents: Int?) -> Bool {
        if tiersNeverStraightToMerge.contains(tier) { return false }
        if let minMergeSize, size >= minMergeSize { return true }
        if let maxMergeEvents, events >= maxMergeEvents { return true }
        return false
    }

    /// The LFN a straight-to-merge file gets: the unmerged directory `unmergedBase` swapped for `mergedBase`.
    /// Nil when the LFN is not under `unmergedBase`.
    public static func mergedLFN(_ lfn: String, unmergedBase: String, mergedBase: String) -> String? {
        let prefix = unmergedBase.hasSuffix("/") ? unmergedBase : unmergedBase + "/"
        guard lfn.hasPrefix(prefix) else { return nil }
        let target = mergedBase.hasSuffix("/") ? mergedBase : mergedBase + "/"
        return target + lfn.dropFirst(prefix.count)
    }

    /// True for LFNs of unmerged files (`/store/unmerged/...`), which DBS never sees.
    public static func isUnmerged(_ lfn: String) -> Bool { lfn.hasPrefix("/store/unmerged/") }

    /// True for the Monte Carlo fake input file, which ACDC and DBS ignore as a parent.
    public static func isMCFakeFile(_ lfn: String) -> Bool { lfn.hasPrefix("MCFakeFile") }

    /// DBS parents of a merged file: the nearest merged ancestors outside `/store/unmerged` (WMCore).
    ///
    /// `inputs` are the job's input files with their own parents; an unmerged input is replaced by its
    /// parents, the MC fake file is dropped. Sorted, without duplicates.
    public static func dbsParents(inputs: [(lfn: String, parents: [String])]) -> [String] {
        var result = Set<String>()
        for input in inputs {
            let candidates = isUnmerged(input.lfn) ? input.parents : [input.lfn]
            for lfn in candidates where !isMCFakeFile(lfn) && !isUnmerged(lfn) { result.insert(lfn) }
        }
        return result.sorted()
    }

    /// `(era, processingVersion)` from a dataset path `/<PD>/<Era>-[...-]v<N>/<TIER>`; ("", 1) when it has no such parts.
    public static func eraAndVersion(dataset: String) -> (era: String, version: Int) {
        let parts = dataset.split(separator: "/")
        guard parts.count == 3 else { return ("", 1) }
        let processed = parts[1].split(separator: "-")
        let era = processed.first.map(String.init) ?? ""
        let version = processed.last.flatMap { $0.hasPrefix("v") ? Int($0.dropFirst()) : nil } ?? 1
        return (era, version)
    }
}
