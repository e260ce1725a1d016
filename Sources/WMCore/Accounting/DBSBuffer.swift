import Foundation
import JobSplitting

/// The schema version of DBS-buffer documents (files and blocks).
public let dbsBufferSchemaVersion = 1

/// A merged file waiting for (or done with) its upload to the catalog: WMCore's `dbsbuffer_file` row.
///
/// Stored as `dbsbuffer/files/<key>.json` (NOTUPLOADED, not yet in a block), `dbsbuffer/assigned/` (NOTUPLOADED,
/// in a block) and `dbsbuffer/uploaded/` (InDBS); the key is `FileKey.of(lfn)`.
public struct DBSBufferFile: Codable, Hashable, Sendable {
    /// Upload status: not uploaded yet, or in the catalog.
    public enum Status: String, Codable, Sendable { case notUploaded = "NOTUPLOADED", inDBS = "InDBS" }

    /// Schema version.
    public var schema: Int
    /// The LFN.
    public var lfn: String
    /// Dataset path `/PD/ProcDS/TIER`.
    public var dataset: String
    /// The storage node (PNN) holding the file.
    public var location: String
    /// Size in bytes.
    public var size: Int
    /// Events.
    public var events: Int
    /// Adler-32, 8 hex digits.
    public var adler32: String
    /// POSIX cksum, decimal.
    public var cksum: String
    /// Runs and lumis, with events per lumi when the report gave them.
    public var lumis: [LumiSection]
    /// DBS parents: the nearest merged ancestors.
    public var parents: [String]
    /// The producing workflow.
    public var workflow: String
    /// The producing task path.
    public var task: String
    /// The output module label.
    public var outputModule: String
    /// CMSSW release of the producing task.
    public var release: String
    /// Global tag of the producing task.
    public var globalTag: String
    /// PrepID of the producing request.
    public var prepID: String?
    /// Upload status.
    public var status: Status
    /// The block the file was put in, once assigned.
    public var block: String?
    /// When the accountant recorded the file (seconds since the epoch).
    public var insertTime: Double

    /// Makes a NOTUPLOADED file.
    public init(lfn: String, dataset: String, location: String, size: Int, events: Int, adler32: String, cksum: String,
                lumis: [LumiSection], parents: [String], workflow: String, task: String, outputModule: String,
                release: String, globalTag: String, prepID: String?, insertTime: Double) {
        schema = dbsBufferSchemaVersion
        self.lfn = lfn
        self.dataset = dataset
        self.location = location
        self.size = size
        self.events = events
        self.adler32 = adler32
        self.cksum = cksum
        self.lumis = lumis.sorted()
        self.parents = parents
        self.workflow = workflow
        self.task = task
        self.outputModule = outputModule
        self.release = release
        self.globalTag = globalTag
        self.prepID = prepID
        status = .notUploaded
        block = nil
        self.insertTime = insertTime
    }

    /// The catalog's view of the file.
    public var catalogFile: CatalogFile {
        CatalogFile(lfn: lfn, size: size, events: events, adler32: adler32, cksum: cksum, lumis: lumis, parents: parents)
    }
}

/// DBS3Upload's block states: Open → Pending → InDBS → Closed (the RucioInjector closes).
public enum BlockState: String, TableState {
    case open = "Open", pending = "Pending", inDBS = "InDBS", closed = "Closed"

    public var successors: Set<BlockState> {
        switch self {
        case .open: return [.pending]
        case .pending: return [.inDBS]
        case .inDBS: return [.closed]
        case .closed: return []
        }
    }
}

/// A block being filled and uploaded: one per (dataset, location) at a time, named `<dataset>#<uuid>`.
///
/// Stored as `dbsbuffer/blocks/<State>/<uuid>.json`; the folder is the state.
public struct BlockBody: StatefulBody, Hashable {
    /// Schema version.
    public var schema: Int
    /// Document name: the uuid part of the block name.
    public var name: String
    /// `<dataset>#<uuid>`.
    public var blockName: String
    /// Dataset path.
    public var dataset: String
    /// The PNN the block's files are at.
    public var location: String
    /// LFNs of the block's files, in the order they were added.
    public var files: [String]
    /// Total bytes.
    public var size: Int
    /// Total events.
    public var events: Int
    /// Insert time of the first file (the age clock of the close rule).
    public var firstFileTime: Double
    /// Workflows whose files the block holds (the block closes when all have completed).
    public var workflows: [String]
    /// Upload metadata shared by the block's files (from the first file).
    public var release: String
    /// Global tag.
    public var globalTag: String
    /// Output module label.
    public var outputModule: String
    /// PrepID.
    public var prepID: String?
    /// The close limits of the block: its first file's workflow's `BlockCloseMax*`, within the agent's (nil: the
    /// agent's alone, as for blocks written before blocks kept their own).
    public var closeLimits: BlockLimits?
    /// The recorded state.
    public var state: BlockState
    /// Every transition.
    public var history: [Transition]

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case schema, name, blockName, dataset, location, files, size, events, firstFileTime, workflows
        case release, globalTag, outputModule, prepID, closeLimits, state, history
    }

    /// Opens an empty block for a file's dataset and location, closed by `limits`.
    public init(for file: DBSBufferFile, uuid: UUID = UUID(), at time: Double, limits: BlockLimits? = nil) {
        schema = dbsBufferSchemaVersion
        name = uuid.uuidString.lowercased()
        blockName = "\(file.dataset)#\(name)"
        dataset = file.dataset
        location = file.location
        files = []
        size = 0
        events = 0
        firstFileTime = file.insertTime
        workflows = []
        release = file.release
        globalTag = file.globalTag
        outputModule = file.outputModule
        prepID = file.prepID
        closeLimits = limits
        state = .open
        history = [Transition(from: "none", to: BlockState.open.rawValue, time: time, actor: "wm-dbsupload", reason: "new block")]
    }

    /// Adds a file's totals and workflow.
    public mutating func add(_ file: DBSBufferFile) {
        if files.isEmpty { firstFileTime = file.insertTime }
        files.append(file.lfn)
        size = SaturatingArithmetic.add(size, file.size)
        events = SaturatingArithmetic.add(events, file.events)
        if !workflows.contains(file.workflow) { workflows.append(file.workflow) }
    }
}

/// The block close limits of §8 (from the first file in the block).
public struct BlockLimits: Codable, Hashable, Sendable {
    /// Files per block.
    public var maxFiles: Int
    /// Events per block.
    public var maxEvents: Int
    /// Bytes per block.
    public var maxSize: Int
    /// Seconds a block may stay open after its first file.
    public var maxAge: Double

    /// WMCore's values: 500 files, 25M events, 5 TB, 66400 s.
    public static let wmcore = BlockLimits(maxFiles: 500, maxEvents: 25_000_000, maxSize: 5_000_000_000_000, maxAge: 66_400)

    /// A workflow's limits from its assignment's `BlockCloseMaxFiles`, `BlockCloseMaxEvents`, `BlockCloseMaxSize` and
    /// `BlockCloseMaxWaitTime` (each left out keeps WMCore's value).
    public init(assignment: RequestArguments) {
        let d = Self.wmcore
        self.init(maxFiles: assignment.int("BlockCloseMaxFiles") ?? d.maxFiles, maxEvents: assignment.int("BlockCloseMaxEvents") ?? d.maxEvents,
                  maxSize: assignment.int("BlockCloseMaxSize") ?? d.maxSize, maxAge: assignment.double("BlockCloseMaxWaitTime") ?? d.maxAge)
    }

    /// Each limit the smaller of these and `other`'s (these alone when `other` is nil).
    public func within(_ other: BlockLimits?) -> BlockLimits {
        guard let other else { return self }
        return BlockLimits(maxFiles: min(maxFiles, other.maxFiles), maxEvents: min(maxEvents, other.maxEvents),
                           maxSize: min(maxSize, other.maxSize), maxAge: min(maxAge, other.maxAge))
    }

    /// Makes limits.
    public init(maxFiles: Int, maxEvents: Int, maxSize: Int, maxAge: Double) {
        self.maxFiles = maxFiles
        self.maxEvents = maxEvents
        self.maxSize = maxSize
        self.maxAge = maxAge
    }

    /// True when adding `file` to `block` would break a limit (a block with no file takes any file).
    public func wouldOverflow(_ block: BlockBody, adding file: DBSBufferFile) -> Bool {
        guard !block.files.isEmpty else { return false }
        return block.files.count >= maxFiles || SaturatingArithmetic.add(block.size, file.size) > maxSize
            || SaturatingArithmetic.add(block.events, file.events) > maxEvents
    }

    /// True when the block is full: no further file may join.
    public func isFull(_ block: BlockBody) -> Bool { block.files.count >= maxFiles }

    /// True when the block is older than `maxAge`.
    public func isTooOld(_ block: BlockBody, now: Double) -> Bool { !block.files.isEmpty && now - block.firstFileTime > maxAge }
}

/// Puts uploadable files into blocks, one open block per (dataset, location), by the limits.
public struct BlockPlanner {
    /// The limits.
    public var limits: BlockLimits
    /// Open blocks by (dataset, location) key.
    public private(set) var open: [String: BlockBody]
    /// Blocks that must go to Pending (full, or a file would overflow them).
    public private(set) var closing: [BlockBody] = []
    /// Each assigned file's LFN → block name.
    public private(set) var assignments: [(lfn: String, block: String)] = []
    private let makeUUID: () -> UUID
    private let now: Double

    /// The close limits of a file's workflow (`BlockCloseMax*`), nil when it has none.
    private let workflowLimits: (DBSBufferFile) -> BlockLimits?

    /// Starts from the currently open blocks. A new block is closed by `limits` within its first file's
    /// `workflowLimits`.
    public init(limits: BlockLimits, openBlocks: [BlockBody], now: Double, makeUUID: @escaping () -> UUID = UUID.init,
                workflowLimits: @escaping (DBSBufferFile) -> BlockLimits? = { _ in nil }) {
        self.limits = limits
        self.now = now
        self.makeUUID = makeUUID
        self.workflowLimits = workflowLimits
        open = Dictionary(openBlocks.map { (Self.key($0.dataset, $0.location), $0) }, uniquingKeysWith: { a, _ in a })
    }

    static func key(_ dataset: String, _ location: String) -> String { dataset + "\u{0}" + location }

    private func newBlock(for file: DBSBufferFile) -> BlockBody {
        BlockBody(for: file, uuid: makeUUID(), at: now, limits: workflowLimits(file))
    }

    /// The limits that close `block`: the planner's, within the block's own.
    public func limits(of block: BlockBody) -> BlockLimits { limits.within(block.closeLimits) }

    /// Adds a file to its (dataset, location)'s open block, closing the block first when the file would
    /// overflow it, and closing it after when it became full.
    public mutating func assign(_ file: DBSBufferFile) {
        let key = Self.key(file.dataset, file.location)
        var block = open[key] ?? newBlock(for: file)
        if limits(of: block).wouldOverflow(block, adding: file) {
            closing.append(block)
            block = newBlock(for: file)
        }
        block.add(file)
        assignments.append((file.lfn, block.blockName))
        if limits(of: block).isFull(block) {
            closing.append(block)
            open[key] = nil
        } else {
            open[key] = block
        }
    }
}
