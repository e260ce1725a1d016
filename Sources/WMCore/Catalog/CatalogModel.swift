import Foundation
import JobSplitting

/// One lumi section of a file, with the events the file holds in it when known (DBS `event_count`).
public struct LumiSection: Codable, Hashable, Sendable, Comparable {
    /// The run number.
    public var run: Int
    /// The lumi section number.
    public var lumi: Int
    /// Events of this lumi in the file, if DBS recorded them.
    public var events: Int?

    /// Makes a lumi section.
    public init(run: Int, lumi: Int, events: Int? = nil) {
        self.run = run
        self.lumi = lumi
        self.events = events
    }

    /// Orders by run, then lumi.
    public static func < (a: LumiSection, b: LumiSection) -> Bool { (a.run, a.lumi) < (b.run, b.lumi) }
}

/// A file as the catalog (DBS) knows it.
public struct CatalogFile: Codable, Hashable, Sendable {
    /// Logical file name.
    public var lfn: String
    /// Size in bytes.
    public var size: Int
    /// Number of events.
    public var events: Int
    /// Adler-32 checksum, 8 hex digits.
    public var adler32: String
    /// POSIX `cksum` checksum, decimal.
    public var cksum: String
    /// MD5 checksum, `NOTSET` when not computed (as WMCore uploads it).
    public var md5: String
    /// The runs and lumis the file holds, sorted.
    public var lumis: [LumiSection]
    /// LFNs of the file's parents.
    public var parents: [String]
    /// False for files DBS marks invalid: they are never processed.
    public var isValid: Bool

    /// Makes a file; lumis are sorted.
    public init(lfn: String, size: Int, events: Int, adler32: String, cksum: String, md5: String = "NOTSET",
                lumis: [LumiSection] = [], parents: [String] = [], isValid: Bool = true) {
        self.lfn = lfn
        self.size = size
        self.events = events
        self.adler32 = adler32
        self.cksum = cksum
        self.md5 = md5
        self.lumis = lumis.sorted()
        self.parents = parents
        self.isValid = isValid
    }

    /// The distinct runs of the file, ascending.
    public var runs: [Int] { Array(Set(lumis.map(\.run))).sorted() }
}

/// A block: a group of files of one dataset, placed and closed together.
public struct CatalogBlock: Codable, Hashable, Sendable {
    /// Block name, `<dataset>#<uuid>`.
    public var name: String
    /// Storage locations (PNNs) holding a replica of the block.
    public var locations: [String]
    /// True while the block still accepts files.
    public var isOpen: Bool
    /// The block's files.
    public var files: [CatalogFile]

    /// Makes a block.
    public init(name: String, locations: [String] = [], isOpen: Bool = false, files: [CatalogFile] = []) {
        self.name = name
        self.locations = locations
        self.isOpen = isOpen
        self.files = files
    }

    /// Builds a block name `<dataset>#<uuid>`.
    public static func makeName(dataset: String, uuid: UUID = UUID()) -> String {
        "\(dataset)#\(uuid.uuidString.lowercased())"
    }

    /// The dataset part of the block name (before `#`).
    public var dataset: String { String(name.split(separator: "#", maxSplits: 1).first ?? "") }
    /// Total size of the block's files in bytes.
    public var size: Int { SaturatingArithmetic.sum(files.lazy.map(\.size)) }
    /// Total events of the block's files.
    public var events: Int { SaturatingArithmetic.sum(files.lazy.map(\.events)) }
}

/// A dataset with its blocks, as the catalog knows it.
public struct CatalogDataset: Codable, Hashable, Sendable {
    /// Dataset path `/<primary>/<processed>/<TIER>`.
    public var name: String
    /// Its blocks.
    public var blocks: [CatalogBlock]
    /// The parent dataset, if any (needed by `IncludeParents`).
    public var parent: String?
    /// DBS access type, `VALID` for usable datasets.
    public var accessType: String

    /// Makes a dataset.
    public init(name: String, blocks: [CatalogBlock] = [], parent: String? = nil, accessType: String = "VALID") {
        self.name = name
        self.blocks = blocks
        self.parent = parent
        self.accessType = accessType
    }

    /// Every file of every block.
    public var files: [CatalogFile] { blocks.flatMap(\.files) }
    /// The distinct runs of the dataset, ascending.
    public var runs: [Int] { Array(Set(files.flatMap(\.runs))).sorted() }
}

/// The catalog lookups validation and the start policies need (DBS `listDatasets`, `listBlocks`, ...).
public protocol CatalogLookup: Sendable {
    /// The dataset with its blocks, files, runs and lumis, or nil if the catalog does not know it.
    func dataset(named name: String) -> CatalogDataset?
}

/// A catalog held in memory: the datasets it knows by name.
public struct InMemoryCatalog: CatalogLookup {
    /// Datasets by name.
    public var datasets: [String: CatalogDataset]

    /// Makes a catalog from a list of datasets.
    public init(_ datasets: [CatalogDataset] = []) {
        self.datasets = Dictionary(datasets.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The dataset called `name`.
    public func dataset(named name: String) -> CatalogDataset? { datasets[name] }
}
