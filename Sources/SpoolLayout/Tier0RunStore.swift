import Foundation
import SpoolKit
import Tier0
import WMCore

/// The registered storage-manager documents of the Tier-0, one folder per run (`Layout.tier0Run`): the run
/// document, one file per streamer (named after its LFN), per (stream, lumi, instance) end-of-lumi and per
/// instance end-of-run, each the bytes the storage manager published. The directory is the state: a run's
/// `RunLedger` is rebuilt from its folder (`load(run:configuredInstances:)`), and an operator can `ls` it.
public struct Tier0RunStore: Sendable {
    /// The spool.
    public let spool: Spool

    /// A store over `spool`.
    public init(spool: Spool) { self.spool = spool }

    /// The runs with a folder, in order (folders whose name is not a run number are not runs and are skipped).
    /// No `t0/runs/` (a spool that never registered a document): no runs.
    public func runs() throws -> [Int] {
        guard spool.isFolder(Layout.tier0Runs) else { return [] }
        var runs: [Int] = []
        try spool.forEachEntry(in: Layout.tier0Runs) { name, kind in
            if kind == .directory || kind == .unknown, spool.isFolder(Layout.tier0Runs + "/" + name), let run = Int(name), String(run) == name, Tier0Patterns.runsAndLumis.contains(run) { runs.append(run) }
            return true
        }
        return runs.sorted()
    }

    /// Where a document is registered: its folder and file name. The name is the document's key (LFN, (stream,
    /// lumi, instance), instance), spelled as a safe file name; a key that can't be one is named by its MD5.
    public static func place(of document: StorageManagerDocument) -> (folder: String, name: String) {
        let run = Layout.tier0Run(document.run)
        switch document {
        case .run:
            return (run.root, Layout.Tier0RunFolders.runDocumentName)
        case .streamer(let streamer):
            return (run.streamers, fileName(key: streamer.lfn.dropFirst().replacingOccurrences(of: "/", with: "+")))
        case .endOfLumi(let report):
            return (run.lumis, fileName(key: "\(report.stream)-ls\(report.lumi)-\(report.instance)"))
        case .endOfRun(let report):
            return (run.ends, fileName(key: report.instance))
        }
    }

    /// `key.json` when that is a safe document name, else `md5-<hex>.json` (the same key always gets the same name).
    static func fileName(key: String) -> String {
        let name = key + ".json"
        return Spool.isSafeName(name) ? name : "md5-" + MD5.hex(key) + ".json"
    }

    /// A run as registered: the run document (once it came) and the ledger of its other documents.
    public struct RegisteredRun: Sendable, Equatable {
        /// The run document, or nil while it has not come.
        public var document: RunDocument?
        /// The streamers, end-of-lumi and end-of-run reports.
        public var ledger: RunLedger
        /// LFNs of the streamers fed into their stream's fileset (their documents are in `fed/`).
        public var fed: Set<String> = []

        /// An empty run.
        public init(run: Int, configuredInstances: Int?) {
            ledger = RunLedger(run: run, configuredInstances: configuredInstances)
        }

        /// Records `document` (idempotent: the same run document twice is a duplicate, another one a conflict).
        public mutating func record(_ document: StorageManagerDocument) -> RunLedger.Recorded {
            guard case .run(let run) = document else { return ledger.record(document) }
            guard run.run == ledger.run else { return .conflict("it is about run \(run.run), not run \(ledger.run)") }
            if let known = self.document {
                return known == run ? .duplicate : .conflict("run \(run.run) was registered with hltKey \(known.hltKey), cmssw \(known.cmssw), "
                                                             + "setupLabel \(known.setupLabel)")
            }
            self.document = run
            return .recorded
        }
    }

    /// A registered document the store can't read back: the file and what is wrong (the store is the feeder's
    /// own; this means someone edited it).
    public struct DamagedDocument: Error, CustomStringConvertible {
        /// The spool-relative file.
        public var file: String
        /// What is wrong.
        public var problem: String
        public var description: String { "\(file): registered document can't be read back: \(problem)" }
    }

    /// Rebuilds `run` from its folder (an empty run when it has none).
    ///
    /// - Throws: `DamagedDocument` when a registered file is unreadable, invalid, in the wrong place or
    ///   contradicts another.
    public func load(run: Int, configuredInstances: Int?) throws -> RegisteredRun {
        var registered = RegisteredRun(run: run, configuredInstances: configuredInstances)
        let folders = Layout.tier0Run(run)
        var files = [(folders.root, Layout.Tier0RunFolders.runDocumentName)]
        for folder in [folders.streamers, folders.fed, folders.lumis, folders.ends] {
            files += try spool.scan(folder).names.map { (folder, $0) }
        }
        for (folder, name) in files {
            let file = folder + "/" + name
            let bytes: [UInt8]
            do {
                guard let read = try spool.read(name, in: folder, limit: StorageManagerDocument.maximumBytes) else { continue }
                bytes = read
            } catch { throw DamagedDocument(file: file, problem: "\(error)") }
            let document: StorageManagerDocument
            do { document = try StorageManagerDocument(validating: bytes, file: file) } catch {
                throw DamagedDocument(file: file, problem: error.description)
            }
            let place = Self.place(of: document)
            let isFed = folder == folders.fed
            guard place.folder == folder || (isFed && place.folder == folders.streamers), place.name == name else {
                throw DamagedDocument(file: file, problem: "it belongs in \(place.folder)/\(place.name)")
            }
            if case .conflict(let reason) = registered.record(document) { throw DamagedDocument(file: file, problem: reason) }
            if isFed, case .streamer(let streamer) = document { registered.fed.insert(streamer.lfn) }
        }
        return registered
    }

    /// The state document of `run` (what the feeder last recorded), or nil when there is none.
    public func state(run: Int) throws -> Tier0RunState? {
        let folder = Layout.tier0Run(run).root
        guard let bytes = try spool.read(Layout.Tier0RunFolders.stateName, in: folder) else { return nil }
        return try decodeDocument(Tier0RunState.self, bytes, file: spool.path(folder + "/" + Layout.Tier0RunFolders.stateName))
    }

    /// Stages `state` as `run`'s state document in `batch` (replacing the one there).
    public func stage(_ state: Tier0RunState, in batch: SpoolBatch) throws {
        let folder = Layout.tier0Run(state.run).root
        let bytes = try encodeDocument(state)
        if spool.contains(Layout.Tier0RunFolders.stateName, in: folder) {
            try batch.replaceContent(of: Layout.Tier0RunFolders.stateName, in: folder, with: bytes)
        } else {
            try batch.publish(bytes, as: Layout.Tier0RunFolders.stateName, in: folder)
        }
    }
}

/// What the feeder recorded about one run (`t0/runs/<run>/state.json`): the run document's facts, the closeout
/// state of every lumi of every stream (§A.3), and whether the run ended. `wmctl t0 runs` prints it.
public struct Tier0RunState: Codable, Sendable, Equatable {
    /// The run.
    public var run: Int
    /// The HLT key, once the run document came.
    public var hltKey: String?
    /// The CMSSW release the storage managers gave, once the run document came.
    public var cmssw: String?
    /// The setup label, once the run document came.
    public var setupLabel: String?
    /// True once every instance reported the end of the run.
    public var ended: Bool
    /// The run's lumi count once it ended (the largest an instance reported).
    public var lumiCount: Int?
    /// How many instances write the run (the end-of-run reports', else the configured number), if known.
    public var expectedInstances: Int?
    /// The instances that reported the end of the run, sorted.
    public var instancesEnded: [String]
    /// Every instance that sent a streamer or a report, sorted.
    public var instancesSeen: [String]
    /// The streams, sorted.
    public var streams: [Stream]

    /// One stream of the run.
    public struct Stream: Codable, Sendable, Equatable {
        /// The stream's name.
        public var stream: String
        /// Every lumi reported or named by a streamer, in order.
        public var lumis: [Lumi]

        /// The lumis in `state`.
        public func lumis(_ state: LumiState) -> [Int] { lumis.filter { $0.state == state }.map(\.lumi) }
    }

    /// Where a lumi of a stream is in its closeout (§A.3).
    public enum LumiState: String, Codable, Sendable, CaseIterable {
        /// Not every instance reported it.
        case open
        /// Every instance reported it, but not all its streamers are registered yet.
        case closed
        /// Closed, and all its streamers are registered: it may be fed.
        case finalClosed
    }

    /// One lumi of one stream.
    public struct Lumi: Codable, Sendable, Equatable {
        /// The lumi.
        public var lumi: Int
        /// Streamer files the instances said they wrote (0: an empty lumi).
        public var files: Int
        /// Streamers registered.
        public var registered: Int
        /// Its closeout state.
        public var state: LumiState
    }

    /// The state of `run` as registered.
    public init(_ registered: Tier0RunStore.RegisteredRun) {
        let ledger = registered.ledger
        run = ledger.run
        hltKey = registered.document?.hltKey
        cmssw = registered.document?.cmssw
        setupLabel = registered.document?.setupLabel
        ended = ledger.isEnded
        lumiCount = ledger.lumiCount
        expectedInstances = ledger.expectedInstances
        instancesEnded = ledger.endOfRun.keys.sorted()
        instancesSeen = Set(ledger.streamers.values.map(\.instance)).union(ledger.lumiReports.keys.map(\.instance))
            .union(ledger.endOfRun.keys).sorted()
        streams = ledger.streams.map { stream in
            Stream(stream: stream, lumis: ledger.lumis(stream: stream).map { lumi in
                Lumi(lumi: lumi.lumi, files: lumi.fileCount, registered: lumi.registered,
                     state: lumi.isFinalClosed ? .finalClosed : lumi.isClosed ? .closed : .open)
            })
        }
    }

    /// True while the run needs the feeder: not ended, or a lumi of a stream not final-closed.
    public var isOpen: Bool { !ended || streams.contains { $0.lumis.contains { $0.state != .finalClosed } } }
}
