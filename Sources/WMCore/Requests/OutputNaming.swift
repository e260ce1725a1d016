/// The naming inputs of a task's outputs (§13): dataset `/<PD>/<Era>-[<Filter>-][<ProcStr>-]v<N>/<TIER>` and LFN
/// directories `<base>/<Era>/<PD>/<TIER>/[<Filter>-]<ProcStr>-v<N>`.
public struct OutputNaming: Hashable, Sendable {
    /// Acquisition era.
    public var era: String
    /// Processing string ("" for none).
    public var processingString: String
    /// Processing version N.
    public var processingVersion: Int
    /// Primary dataset.
    public var primaryDataset: String
    /// Unmerged LFN base.
    public var unmergedBase: String
    /// Merged LFN base.
    public var mergedBase: String

    /// Makes naming inputs.
    public init(era: String, processingString: String, processingVersion: Int, primaryDataset: String,
                unmergedBase: String, mergedBase: String) {
        self.era = era
        self.processingString = processingString
        self.processingVersion = processingVersion
        self.primaryDataset = primaryDataset
        self.unmergedBase = unmergedBase
        self.mergedBase = mergedBase
    }

    /// `<Era>-[<Filter>-][<ProcStr>-]v<N>`.
    public func processedDataset(filter: String) -> String {
        [era, filter, processingString].filter { !$0.isEmpty }.joined(separator: "-") + "-v\(processingVersion)"
    }

    /// `<base>/<Era>/<PD>/<TIER>/[<Filter>-]<ProcStr>-v<N>`.
    public func lfnDirectory(base: String, tier: String, filter: String) -> String {
        let leaf = [filter, processingString].filter { !$0.isEmpty }.joined(separator: "-")
        return "\(base)/\(era)/\(primaryDataset)/\(tier)/\(leaf.isEmpty ? "" : leaf + "-")v\(processingVersion)"
    }

    /// An output with its dataset and LFN directories.
    public func output(module: String, tier: String, filterName: String, kept: Bool, transient: Bool) -> TaskOutput {
        TaskOutput(module: module, tier: tier, filterName: filterName,
                   dataset: "/\(primaryDataset)/\(processedDataset(filter: filterName))/\(tier)",
                   unmergedLFNBase: lfnDirectory(base: unmergedBase, tier: tier, filter: filterName),
                   mergedLFNBase: lfnDirectory(base: mergedBase, tier: tier, filter: filterName),
                   kept: kept, transient: transient)
    }
}
