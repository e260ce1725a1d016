import Foundation
import SpoolKit
import WMCore

/// The catalog on disk (`catalog/`), a DBS stand-in: what `wm-dbsupload` and `wmctl catalog import` insert,
/// and what request validation and the work queue read through `CatalogLookup`.
///
/// Layout: `catalog/datasets/<dkey>/dataset.json` (name, parent, access type) and
/// `catalog/datasets/<dkey>/blocks/<bkey>.json` (the block's `insertBulkBlock` body as inserted), plus
/// `catalog/lfns/<lkey>` naming the block that holds each LFN (DBS refuses a file in two blocks). Keys are
/// `FileKey.of(name)`. A block becomes visible when its body is published, last, in one group commit.
public struct CatalogStore: CatalogLookup {
    /// The spool.
    public let spool: Spool
    /// The area folder.
    public static let area = Layout.catalog

    /// Makes the store of a spool's catalog (on an agent's spool: its central spool's, `SpoolRoles.central`).
    public init(spool: Spool) { self.spool = SpoolRoles.central(of: spool) }

    /// The dataset document.
    public struct DatasetRecord: Codable, Hashable, Sendable {
        /// Dataset path.
        public var dataset: String
        /// Parent dataset, if any.
        public var parent: String?
        /// DBS access type.
        public var accessType: String
        /// `mc` or `data`.
        public var primaryDatasetType: String
    }

    /// What an insert did.
    public enum InsertOutcome: Equatable, Sendable {
        /// The block is new in the catalog.
        case inserted
        /// The block was already there (DBS3Upload counts it as uploaded).
        case alreadyPresent
    }

    func datasetFolder(_ dataset: String) -> String { Self.area + "/datasets/" + FileKey.of(dataset) }
    func blockFolder(_ dataset: String) -> String { datasetFolder(dataset) + "/blocks" }
    var lfnFolder: String { Self.area + "/lfns" }

    /// True when the catalog holds the block.
    public func contains(block name: String) -> Bool {
        let dataset = String(name.split(separator: "#", maxSplits: 1).first ?? "")
        return SystemCall.exists(spool.path(blockFolder(dataset)) + "/" + FileKey.of(name) + ".json")
    }

    /// Inserts an `insertBulkBlock` body, skipping a block already present.
    ///
    /// - Throws: `BulkBlockError` for a malformed dataset or block name, `CatalogError.fileInAnotherBlock`
    ///   when one of its LFNs already belongs to another block.
    @discardableResult
    public func insert(_ bulk: BulkBlock) throws -> InsertOutcome {
        let block = try CatalogBlock(bulk: bulk)
        if contains(block: block.name) { return .alreadyPresent }
        let dataset = bulk.dataset.dataset
        try spool.ensureDirectories([blockFolder(dataset), lfnFolder])
        try spool.inBatch { batch in
            for file in block.files {
                if let holder = try blockHolding(lfn: file.lfn) {
                    if holder != block.name { throw CatalogError.fileInAnotherBlock(lfn: file.lfn, block: holder, inserting: block.name) }
                    continue
                }
                try batch.publish(Array((block.name + "\n" + file.lfn + "\n").utf8), as: FileKey.of(file.lfn), in: lfnFolder)
            }
            if !SystemCall.exists(spool.path(datasetFolder(dataset)) + "/dataset.json") {
                // DBS derives a dataset's parentage from its files' when no dataset_parent_list is given.
                let parent = try bulk.datasetParentList.first ?? bulk.fileParentList.lazy
                    .compactMap { try self.blockHolding(lfn: $0.parentLogicalFileName) }.first
                    .map { String($0.split(separator: "#", maxSplits: 1).first ?? "") }
                let record = DatasetRecord(dataset: dataset, parent: parent,
                                           accessType: bulk.dataset.datasetAccessType, primaryDatasetType: bulk.primds.primaryDsType)
                try batch.publish(try encodeDocument(record), as: "dataset.json", in: datasetFolder(dataset))
            }
            try batch.publish(try encodeDocument(bulk), as: FileKey.of(block.name) + ".json", in: blockFolder(dataset))
        }
        return .inserted
    }

    /// Invalidates every file of the block called `name` (DBS's `is_file_valid: 0`): readers of the catalog skip them
    /// from then on. The block's document is replaced by rename, so a reader that opened it keeps the bytes it opened.
    /// Returns the number of files that were valid (0 when the block is not in the catalog or already invalid).
    @discardableResult
    public func invalidate(block name: String) throws -> Int {
        let dataset = String(name.split(separator: "#", maxSplits: 1).first ?? "")
        let folder = blockFolder(dataset), file = FileKey.of(name) + ".json"
        guard let bytes = try spool.read(file, in: folder) else { return 0 }
        var bulk = try decodeDocument(BulkBlock.self, bytes, file: folder + "/" + file)
        let valid = bulk.files.indices.filter { bulk.files[$0].isValid }
        guard !valid.isEmpty else { return 0 }
        for index in valid { bulk.files[index].isFileValid = 0 }
        try spool.inBatch { batch in try batch.replaceContent(of: file, in: folder, with: try encodeDocument(bulk)) }
        return valid.count
    }

    /// The block holding an LFN, or nil.
    public func blockHolding(lfn: String) throws -> String? {
        guard let bytes = try spool.read(FileKey.of(lfn), in: lfnFolder) else { return nil }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init)
    }

    /// The catalog's file called `lfn` (with its per-lumi event counts), or nil when the catalog does not hold it.
    public func file(lfn: String) throws -> CatalogFile? {
        guard let block = try blockHolding(lfn: lfn) else { return nil }
        let dataset = String(block.split(separator: "#", maxSplits: 1).first ?? "")
        let folder = blockFolder(dataset)
        guard let bytes = try spool.read(FileKey.of(block) + ".json", in: folder) else { return nil }
        let bulk = try decodeDocument(BulkBlock.self, bytes, file: folder + "/" + FileKey.of(block) + ".json")
        return try CatalogBlock(bulk: bulk).files.first { $0.lfn == lfn }
    }

    /// The lumis of the catalog's file `lfn` with their event counts (empty when the catalog does not hold it:
    /// an unmerged file, or the MC fake file).
    public func lumis(of lfn: String) throws -> [LumiSection] {
        lfn.hasPrefix("/") ? try file(lfn: lfn)?.lumis ?? [] : []
    }

    /// Every dataset record, sorted by name.
    public func datasetRecords() throws -> [DatasetRecord] {
        let folder = spool.path(Self.area + "/datasets")
        guard SystemCall.isDirectory(folder) else { return [] }
        var records: [DatasetRecord] = []
        try SystemCall.forEachEntry(in: folder) { name, _ in
            if let bytes = try spool.read("dataset.json", in: Self.area + "/datasets/" + name) {
                records.append(try decodeDocument(DatasetRecord.self, bytes, file: Self.area + "/datasets/\(name)/dataset.json"))
            }
            return true
        }
        return records.sorted { $0.dataset < $1.dataset }
    }

    /// The `insertBulkBlock` bodies of a dataset's blocks, sorted by block name.
    public func bulkBlocks(of dataset: String) throws -> [BulkBlock] {
        let folder = blockFolder(dataset)
        return try spool.scan(folder).names.compactMap { name in
            try spool.read(name, in: folder).map { try decodeDocument(BulkBlock.self, $0, file: folder + "/" + name) }
        }.sorted { $0.block.blockName < $1.block.blockName }
    }

    /// The dataset with its blocks, files, runs and lumis (nil when unknown or unreadable).
    public func dataset(named name: String) -> CatalogDataset? {
        guard let bytes = try? spool.read("dataset.json", in: datasetFolder(name)),
              let record = try? decodeDocument(DatasetRecord.self, bytes, file: datasetFolder(name) + "/dataset.json"),
              let bulks = try? bulkBlocks(of: name) else { return nil }
        let blocks = bulks.compactMap { try? CatalogBlock(bulk: $0) }
        return CatalogDataset(name: record.dataset, blocks: blocks, parent: record.parent, accessType: record.accessType)
    }
}

/// Errors of the catalog on disk.
public enum CatalogError: Error, Equatable, CustomStringConvertible {
    /// An LFN of the block being inserted already belongs to another block.
    case fileInAnotherBlock(lfn: String, block: String, inserting: String)
    /// No such dataset.
    case unknownDataset(String)

    public var description: String {
        switch self {
        case let .fileInAnotherBlock(lfn, block, inserting):
            return "catalog: file \(lfn) of block \(inserting) is already in block \(block); a file belongs to one block"
        case .unknownDataset(let name):
            return "catalog: no dataset named '\(name)'; expected one listed by 'wmctl catalog datasets'"
        }
    }
}
