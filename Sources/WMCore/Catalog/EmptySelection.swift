/// Why a selection keeps nothing of a dataset: the filter that left nothing, what reached it, and the lists that
/// had narrowed the input before it. The filters run in the order WorkQueue's Block policy applies them: block
/// white list, block black list, files in the block, valid files, run white list, run black list, lumi mask,
/// and last the replicas (a block no site holds can never run unless the site lists are trusted).
public struct EmptySelection: Hashable, Sendable, CustomStringConvertible {
    /// One filter of the selection.
    public enum Step: String, Hashable, Sendable, CaseIterable {
        /// The dataset has no block at all.
        case noBlock = "no block"
        /// `BlockWhitelist`.
        case blockWhitelist = "BlockWhitelist"
        /// `BlockBlacklist`.
        case blockBlacklist = "BlockBlacklist"
        /// The blocks hold no file.
        case noFile = "no file"
        /// Every file is invalid.
        case invalidFiles = "invalid files"
        /// `RunWhitelist`.
        case runWhitelist = "RunWhitelist"
        /// `RunBlacklist`.
        case runBlacklist = "RunBlacklist"
        /// `LumiList`.
        case lumiList = "LumiList"
        /// No site holds a replica (and the site lists are not trusted).
        case noSite = "no site"
    }

    /// The filter that left nothing.
    public var emptiedBy: Step
    /// The blocks that reached it (the dataset's blocks for the block lists).
    public var blocks: [String]
    /// Valid files that reached it (run and lumi filters), or files that reached it (invalid files).
    public var files: Int
    /// The runs of the files that reached it (run and lumi filters).
    public var runs: [Int]
    /// The filters before it that removed something.
    public var narrowedBy: [Step]

    /// Makes an explanation.
    public init(emptiedBy: Step, blocks: [String], files: Int = 0, runs: [Int] = [], narrowedBy: [Step] = []) {
        self.emptiedBy = emptiedBy
        self.blocks = blocks
        self.files = files
        self.runs = runs
        self.narrowedBy = narrowedBy
    }

    public var description: String {
        let blockList = Self.abbreviated(blocks)
        let fileList = "\(files) valid file\(files == 1 ? "" : "s") in block\(blocks.count == 1 ? "" : "s") \(blockList)"
        let runList = Self.abbreviated(runs.map(String.init))
        let what: String
        switch emptiedBy {
        case .noBlock: what = "the dataset has no block in the catalog"
        case .blockWhitelist: what = "BlockWhitelist names none of the dataset's \(blocks.count) block(s) (\(blockList))"
        case .blockBlacklist: what = "BlockBlacklist drops every remaining block (\(blockList))"
        case .noFile: what = "block\(blocks.count == 1 ? "" : "s") \(blockList) hold\(blocks.count == 1 ? "s" : "") no file"
        case .invalidFiles: what = "all \(files) file(s) of block\(blocks.count == 1 ? "" : "s") \(blockList) are invalid"
        case .runWhitelist: what = "RunWhitelist keeps none of run(s) \(runList) of the \(fileList)"
        case .runBlacklist: what = "RunBlacklist drops every run (\(runList)) of the \(fileList)"
        case .lumiList: what = "LumiList keeps no lumi of run(s) \(runList) of the \(fileList)"
        case .noSite: what = "no site holds a replica of block\(blocks.count == 1 ? "" : "s") \(blockList) (TrustSitelists is off)"
        }
        guard !narrowedBy.isEmpty else { return what }
        return "after " + narrowedBy.map(\.rawValue).joined(separator: ", ") + ": " + what
    }

    /// At most three names, then how many more.
    static func abbreviated(_ names: [String]) -> String {
        names.count <= 3 ? names.joined(separator: ", ") : names.prefix(3).joined(separator: ", ") + " and \(names.count - 3) more"
    }
}

extension CatalogDataset {
    /// Why `select(selection)` keeps nothing, or nil when it keeps something. With `requireReplica`, blocks no
    /// storage location holds are dropped last (the Block policy's check when site lists are not trusted).
    public func emptySelection(_ selection: InputSelection, requireReplica: Bool = false) -> EmptySelection? {
        var narrowed: [EmptySelection.Step] = []
        func step(_ step: EmptySelection.Step, _ before: Int, _ after: Int) { if after < before { narrowed.append(step) } }
        guard !blocks.isEmpty else { return EmptySelection(emptiedBy: .noBlock, blocks: []) }
        let whitelisted = blocks.filter { selection.blockWhitelist.isEmpty || selection.blockWhitelist.contains($0.name) }
        guard !whitelisted.isEmpty else { return EmptySelection(emptiedBy: .blockWhitelist, blocks: blocks.map(\.name)) }
        step(.blockWhitelist, blocks.count, whitelisted.count)
        let kept = whitelisted.filter { !selection.blockBlacklist.contains($0.name) }
        guard !kept.isEmpty else {
            return EmptySelection(emptiedBy: .blockBlacklist, blocks: whitelisted.map(\.name), narrowedBy: narrowed)
        }
        step(.blockBlacklist, whitelisted.count, kept.count)
        let files = kept.flatMap(\.files)
        guard !files.isEmpty else { return EmptySelection(emptiedBy: .noFile, blocks: kept.map(\.name), narrowedBy: narrowed) }
        let withValid = kept.filter { $0.files.contains(where: \.isValid) }
        guard !withValid.isEmpty else {
            return EmptySelection(emptiedBy: .invalidFiles, blocks: kept.map(\.name), files: files.count, narrowedBy: narrowed)
        }
        step(.invalidFiles, files.count, files.filter(\.isValid).count)
        // Run and lumi filters, one after the other, on the lumis of the valid files.
        var lumis = withValid.map { block in (block.name, block.files.filter(\.isValid).map { $0.lumis }) }
        let filters: [(EmptySelection.Step, Bool, (LumiSection) -> Bool)] = [
            (.runWhitelist, !selection.runWhitelist.isEmpty, { selection.runWhitelist.contains($0.run) }),
            (.runBlacklist, !selection.runBlacklist.isEmpty, { !selection.runBlacklist.contains($0.run) }),
            (.lumiList, selection.lumiList != nil, { selection.lumiList?.contains(run: $0.run, lumi: $0.lumi) ?? true }),
        ]
        for (name, active, keeps) in filters where active {
            let before = lumis.reduce(0) { $0 + $1.1.count { !$0.isEmpty } }
            let next = lumis.map { ($0.0, $0.1.map { $0.filter(keeps) }) }
            let after = next.reduce(0) { $0 + $1.1.count { !$0.isEmpty } }
            guard after > 0 else {
                let runs = Set(lumis.flatMap { $0.1.flatMap { $0.map(\.run) } }).sorted()
                let reaching = lumis.filter { $0.1.contains { !$0.isEmpty } }.map(\.0)
                return EmptySelection(emptiedBy: name, blocks: reaching, files: before, runs: runs, narrowedBy: narrowed)
            }
            step(name, before, after)
            lumis = next.filter { $0.1.contains { !$0.isEmpty } }
        }
        let selected = Set(lumis.map(\.0))
        let located = withValid.filter { selected.contains($0.name) && !$0.locations.isEmpty }
        if requireReplica && located.isEmpty {
            return EmptySelection(emptiedBy: .noSite, blocks: lumis.map(\.0), narrowedBy: narrowed)
        }
        return nil
    }
}
