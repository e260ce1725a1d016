import Foundation

/// Everything an `insertBulkBlock` body holds beyond the block's files: configuration and dataset metadata.
public struct BulkBlockContext: Hashable, Sendable {
    /// The output configuration shared by the block's files.
    public var config: BulkConfig
    /// Processing version N.
    public var processingVersion: Int
    /// Acquisition era name.
    public var acquisitionEra: String
    /// `mc` or `data`.
    public var primaryDatasetType: String
    /// Physics group.
    public var physicsGroup: String
    /// Dataset access type.
    public var accessType: String
    /// PrepID of the producing request.
    public var prepID: String?
    /// Who creates the block.
    public var createdBy: String
    /// Creation time, seconds since the epoch.
    public var creationDate: Int
    /// Parent datasets; when set, file parentage is not sent (DBS skips it).
    public var parentDatasets: [String]

    /// Makes a context.
    public init(config: BulkConfig, processingVersion: Int, acquisitionEra: String, primaryDatasetType: String,
                physicsGroup: String = "NoGroup", accessType: String = "VALID", prepID: String? = nil,
                createdBy: String = "WMAgent", creationDate: Int, parentDatasets: [String] = []) {
        self.config = config
        self.processingVersion = processingVersion
        self.acquisitionEra = acquisitionEra
        self.primaryDatasetType = primaryDatasetType
        self.physicsGroup = physicsGroup
        self.accessType = accessType
        self.prepID = prepID
        self.createdBy = createdBy
        self.creationDate = creationDate
        self.parentDatasets = parentDatasets
    }

    /// The context an existing body was rendered with.
    public init(of bulk: BulkBlock) {
        self.init(config: bulk.datasetConfList.first ?? BulkConfig(releaseVersion: "", outputModuleLabel: "", globalTag: ""),
                  processingVersion: bulk.processingEra.processingVersion,
                  acquisitionEra: bulk.acquisitionEra.acquisitionEraName,
                  primaryDatasetType: bulk.primds.primaryDsType, physicsGroup: bulk.dataset.physicsGroupName,
                  accessType: bulk.dataset.datasetAccessType, prepID: bulk.dataset.prepId,
                  createdBy: bulk.block.createBy, creationDate: bulk.block.creationDate,
                  parentDatasets: bulk.datasetParentList)
    }
}

/// Errors reading an `insertBulkBlock` body into the catalog model.
public enum BulkBlockError: Error, Equatable, CustomStringConvertible {
    /// `dataset.dataset` is not `/<primary>/<processed>/<TIER>`.
    case badDatasetName(String)
    /// `block.block_name` is not `<dataset.dataset>#<uuid>`.
    case blockNotInDataset(block: String, dataset: String)
    /// A file's field is out of its range or not an LFN (`field` names it within the file, e.g. `file_lumi_list.run_num`).
    case invalidFile(lfn: String, field: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .badDatasetName(let name):
            return "insertBulkBlock field dataset.dataset '\(name)': expected /<primary>/<processed>/<TIER>"
        case let .blockNotInDataset(block, dataset):
            return "insertBulkBlock field block.block_name '\(block)': expected '\(dataset)#<uuid>'"
        case let .invalidFile(lfn, field, value, expected):
            return "insertBulkBlock file '\(lfn)' field \(field) '\(value)': expected \(expected)"
        }
    }
}

extension BulkBlock {
    /// Renders a catalog block as the `insertBulkBlock` body DBS3Upload sends.
    public init(block: CatalogBlock, context: BulkBlockContext) {
        let parts = block.dataset.split(separator: "/").map(String.init)
        let primary = parts.count == 3 ? parts[0] : ""
        let processed = parts.count == 3 ? parts[1] : ""
        let tier = parts.count == 3 ? parts[2] : ""
        let files = block.files.map { file in
            BulkFile(logicalFileName: file.lfn, fileSize: file.size, eventCount: file.events,
                     lastModifiedBy: context.createdBy, lastModificationDate: context.creationDate,
                     checkSum: file.cksum, adler32: file.adler32, md5: file.md5,
                     fileLumiList: file.lumis.map { BulkFileLumi(lumiSectionNum: $0.lumi, runNum: $0.run, eventCount: $0.events) },
                     isFileValid: file.isValid ? nil : 0)
        }
        let parentage = context.parentDatasets.isEmpty
            ? block.files.flatMap { file in file.parents.map { BulkFileParent(parentLogicalFileName: $0, logicalFileName: file.lfn) } }
            : []
        self.init(datasetConfList: [context.config],
                  fileConfList: block.files.map { BulkFileConfig(config: context.config, lfn: $0.lfn) },
                  files: files,
                  block: BulkBlockInfo(blockName: block.name, originSiteName: block.locations.first ?? "",
                                       openForWriting: block.isOpen ? 1 : 0, createBy: context.createdBy,
                                       creationDate: context.creationDate, blockSize: block.size,
                                       fileCount: block.files.count),
                  processingEra: BulkProcessingEra(processingVersion: context.processingVersion,
                                                   createBy: context.createdBy, description: ""),
                  acquisitionEra: BulkAcquisitionEra(acquisitionEraName: context.acquisitionEra),
                  primds: BulkPrimaryDataset(primaryDsName: primary, primaryDsType: context.primaryDatasetType,
                                             createBy: context.createdBy, creationDate: context.creationDate),
                  dataset: BulkDataset(physicsGroupName: context.physicsGroup, processedDsName: processed,
                                       dataTierName: tier, datasetAccessType: context.accessType,
                                       dataset: block.dataset, prepId: context.prepID),
                  fileParentList: parentage, datasetParentList: context.parentDatasets)
    }
}

extension CatalogBlock {
    /// Reads the block and its files out of an `insertBulkBlock` body.
    ///
    /// - Throws: `BulkBlockError` when the dataset or block name is malformed.
    public init(bulk: BulkBlock) throws {
        guard DatasetName(bulk.dataset.dataset) != nil else { throw BulkBlockError.badDatasetName(bulk.dataset.dataset) }
        guard bulk.block.blockName.hasPrefix(bulk.dataset.dataset + "#") else {
            throw BulkBlockError.blockNotInDataset(block: bulk.block.blockName, dataset: bulk.dataset.dataset)
        }
        for file in bulk.files { try Self.check(file) }
        for parentage in bulk.fileParentList {
            if let problem = LFNRule.problem(parentage.parentLogicalFileName) {
                throw BulkBlockError.invalidFile(lfn: parentage.logicalFileName, field: "file_parent_list.parent_logical_file_name",
                                                 value: parentage.parentLogicalFileName, expected: "\(LFNRule.expectation); \(problem)")
            }
        }
        let parents = Dictionary(grouping: bulk.fileParentList, by: \.logicalFileName)
        let files = bulk.files.map { file in
            CatalogFile(lfn: file.logicalFileName, size: file.fileSize, events: file.eventCount,
                        adler32: file.adler32, cksum: file.checkSum, md5: file.md5,
                        lumis: file.fileLumiList.map { LumiSection(run: $0.runNum, lumi: $0.lumiSectionNum, events: $0.eventCount) },
                        parents: parents[file.logicalFileName, default: []].map(\.parentLogicalFileName),
                        isValid: file.isValid)
        }
        self.init(name: bulk.block.blockName,
                  locations: bulk.block.originSiteName.isEmpty ? [] : [bulk.block.originSiteName],
                  isOpen: bulk.block.openForWriting != 0, files: files)
    }

    /// A file's LFN must be an LFN, its size, events, runs and lumis within their ranges (sizes 0 to 10^15 bytes, events
    /// 0 to 10^12, run and lumi numbers 1 to 4,294,967,295), so nothing read from the catalog can trap a sum or escape a path.
    static func check(_ file: BulkFile) throws(BulkBlockError) {
        let lfn = file.logicalFileName
        if let problem = LFNRule.problem(lfn) {
            throw .invalidFile(lfn: lfn, field: "logical_file_name", value: lfn, expected: "\(LFNRule.expectation); \(problem)")
        }
        func require(_ value: Int, in range: ClosedRange<Int>, _ field: String) throws(BulkBlockError) {
            guard range.contains(value) else {
                throw .invalidFile(lfn: lfn, field: field, value: String(value),
                                   expected: "an integer from \(range.lowerBound) to \(range.upperBound)")
            }
        }
        try require(file.fileSize, in: Lexicon.fileSizes, "file_size")
        try require(file.eventCount, in: Lexicon.eventCounts, "event_count")
        for lumi in file.fileLumiList {
            try require(lumi.runNum, in: Lexicon.runAndLumiNumbers, "file_lumi_list.run_num")
            try require(lumi.lumiSectionNum, in: Lexicon.runAndLumiNumbers, "file_lumi_list.lumi_section_num")
            if let events = lumi.eventCount { try require(events, in: Lexicon.eventCounts, "file_lumi_list.event_count") }
        }
    }
}

/// A dataset path split into its three parts, `/<primary>/<processed>/<TIER>`, checked against WMCore's
/// Lexicon patterns.
public struct DatasetName: Hashable, Sendable, CustomStringConvertible {
    /// Primary dataset, `^[a-zA-Z][a-zA-Z0-9\-_]*$`.
    public var primary: String
    /// Processed dataset, `<Era>-[<Filter>-][<ProcStr>-]v<N>`.
    public var processed: String
    /// Data tier, `[A-Z0-9\-_]+`.
    public var tier: String

    /// Primary dataset pattern (WMCore Lexicon `primdataset`).
    public static let primaryPattern = #"[a-zA-Z][a-zA-Z0-9\-_]*"#
    /// Processed dataset pattern (WMCore Lexicon `procdataset`).
    public static let processedPattern = #"[a-zA-Z0-9][a-zA-Z0-9_]*(-[a-zA-Z0-9_]+){0,2}-v[0-9]+"#
    /// Data tier pattern.
    public static let tierPattern = #"[A-Z0-9\-_]+"#

    /// Parses and checks a dataset path; nil when it is not a valid one.
    public init?(_ path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0].isEmpty,
              WholeMatch.test(parts[1], Self.primaryPattern),
              WholeMatch.test(parts[2], Self.processedPattern),
              WholeMatch.test(parts[3], Self.tierPattern) else { return nil }
        primary = parts[1]
        processed = parts[2]
        tier = parts[3]
    }

    /// Builds a name from parts without checking them.
    public init(primary: String, processed: String, tier: String) {
        self.primary = primary
        self.processed = processed
        self.tier = tier
    }

    /// `/<primary>/<processed>/<TIER>`.
    public var description: String { "/\(primary)/\(processed)/\(tier)" }
}

/// Whole-string regular-expression tests (NSRegularExpression, anchored).
public enum WholeMatch {
    /// True when the whole of `text` matches `pattern`.
    public static func test(_ text: String, _ pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
