import WMCore

/// T0's names (§A.2, §D and issue 20's Interface): workflows, datasets, output labels, priorities and the
/// streamer LFN form. The names put together are checked where their parts enter (configuration, documents).
public enum Tier0Names {
    /// `Repack_Run<r>_Stream<s>`.
    public static func repackWorkflow(run: Int, stream: String) -> String { "Repack_Run\(run)_Stream\(stream)" }
    /// `Express_Run<r>_Stream<s>`.
    public static func expressWorkflow(run: Int, stream: String) -> String { "Express_Run\(run)_Stream\(stream)" }
    /// `PromptReco_Run<r>_<PD>`.
    public static func promptRecoWorkflow(run: Int, dataset: String) -> String { "PromptReco_Run\(run)_\(dataset)" }

    /// A repacked primary dataset: `/<PD>/<Era>-v<ver>/RAW`.
    public static func repackDataset(_ dataset: String, era: String, version: Int) -> DatasetName {
        DatasetName(primary: dataset, processed: "\(era)-v\(version)", tier: "RAW")
    }
    /// Where oversized merged repack output goes (§A.5): `/<PD>-Error/<Era>-v<ver>/RAW`.
    public static func repackErrorDataset(_ dataset: String, era: String, version: Int) -> DatasetName {
        DatasetName(primary: errorDataset(dataset), processed: "\(era)-v\(version)", tier: "RAW")
    }
    /// An Express output: `/Stream<name>/<Era>-Express-v<ver>/<TIER>` (FEVT, ALCARECO, DQMIO).
    public static func expressDataset(stream: String, era: String, version: Int, tier: String) -> DatasetName {
        DatasetName(primary: ExpressSettings.streamDataset(stream), processed: "\(era)-Express-v\(version)", tier: tier)
    }
    /// A PromptReco output: `/<PD>/<Era>-PromptReco-v<ver>/<TIER>`.
    public static func promptRecoDataset(_ dataset: String, era: String, version: Int, tier: String) -> DatasetName {
        DatasetName(primary: dataset, processed: "\(era)-PromptReco-v\(version)", tier: tier)
    }
    /// The `-Error` primary dataset of `dataset` (§A.5, §D special PDs).
    public static func errorDataset(_ dataset: String) -> String { dataset + "-Error" }

    /// A Repack output module label: `write_<PD>_<TIER>` with `-` → `_` (§A.2).
    public static func outputLabel(dataset: String, tier: String) -> String {
        "write_\(dataset)_\(tier)".replacingOccurrences(of: "-", with: "_")
    }

    /// The base priority of Tier-0 workflows (§A.2); PromptReco runs at it.
    public static let basePriority = 150_000
    /// Repack's priority: base + 5000.
    public static let repackPriority = basePriority + 5000
    /// Express's priority: base + 10000.
    public static let expressPriority = basePriority + 10_000

    /// A streamer file's LFN (§A.1): `/store/t0streamer/<setup>/<stream>/<NNN>/<NNN>/<NNN>/run<r>_ls<llll>_stream<S>_<instance>.dat`,
    /// the run zero-padded to 9 digits and split in threes (a 10-digit run keeps 4 in the first), the lumi to 4; `index` > 0 (a second file of the same
    /// lumi from the same instance) adds `_<index>` before `.dat`. With instance `StorageManager` and index 0 this
    /// is T0's example `/store/t0streamer/Data/ExpressCosmics/000/289/461/run289461_ls0020_streamExpressCosmics_StorageManager.dat`.
    public static func streamerLFN(setupLabel: String, stream: String, run: Int, lumi: Int, instance: String, index: Int = 0) -> String {
        let digits = padded(run, 9)
        let directory = [digits.dropLast(6), digits.dropLast(3).suffix(3), digits.suffix(3)].joined(separator: "/")
        let suffix = index > 0 ? "_\(index)" : ""
        return "/store/t0streamer/\(setupLabel)/\(stream)/\(directory)/run\(run)_ls\(padded(lumi, 4))_stream\(stream)_\(instance)\(suffix).dat"
    }

    /// `n` in decimal, zero-padded to at least `width` digits.
    static func padded(_ n: Int, _ width: Int) -> String {
        let text = String(n)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
