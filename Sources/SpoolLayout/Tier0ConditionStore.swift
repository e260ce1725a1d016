import Foundation
import JobSplitting
import SpoolKit
import WMCore

/// The conditions payloads a Condition subscription recorded for upload (T0's `prompt_calib_file`):
/// `t0/conditions/<run>/<file key>.json`, one record per AlcaHarvest `Sqlite` file, kept after its workflow is
/// archived so an operator sees what was (to be) uploaded (`wmctl t0 conditions`).
public struct Tier0ConditionStore {
    /// The spool.
    public let spool: Spool

    /// A store over `spool`.
    public init(spool: Spool) { self.spool = spool }

    /// One recorded payload.
    public struct Record: Codable, Sendable, Equatable {
        /// The payload's LFN.
        public var lfn: String
        /// The run it calibrates (its first run).
        public var run: Int
        /// Its lumis in that run.
        public var lumis: [Int]
        /// Its size in bytes.
        public var size: Int
        /// Where it is stored (storage nodes).
        public var locations: [String]
        /// The workflow and the Condition subscription that recorded it.
        public var workflow: String
        /// The Condition subscription.
        public var subscription: String
        /// When it was recorded for upload (epoch seconds).
        public var recorded: Double
        /// When ConditionUpload handled it (its WMBS file completed); nil while it waits.
        public var uploaded: Double?

        /// Makes a record.
        public init(lfn: String, run: Int, lumis: [Int], size: Int, locations: [String], workflow: String,
                    subscription: String, recorded: Double, uploaded: Double? = nil) {
            self.lfn = lfn
            self.run = run
            self.lumis = lumis
            self.size = size
            self.locations = locations
            self.workflow = workflow
            self.subscription = subscription
            self.recorded = recorded
            self.uploaded = uploaded
        }
    }

    /// The folder of one run's records.
    public func folder(run: Int) -> String { Layout.tier0Conditions + "/" + String(run) }

    /// The record's file name: the payload's file key.
    public static func name(of lfn: String) -> String { FileKey.of(lfn) + ".json" }

    /// Publishes `record`, or replaces the one of the same file.
    public func save(_ record: Record) throws {
        let folder = folder(run: record.run)
        try spool.ensureDirectories([folder])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = Array(try encoder.encode(record))
        let name = Self.name(of: record.lfn)
        try spool.inBatch { batch in
            if spool.contains(name, in: folder) {
                try batch.replaceContent(of: name, in: folder, with: bytes)
            } else {
                try batch.publish(bytes, as: name, in: folder)
            }
        }
    }

    /// The record of `lfn` in `run`, nil when none; an unreadable one is an error naming the file.
    public func record(run: Int, lfn: String) throws -> Record? {
        let folder = folder(run: run)
        guard let bytes = try spool.read(Self.name(of: lfn), in: folder) else { return nil }
        return try decodeDocument(Record.self, bytes, file: spool.path(folder + "/" + Self.name(of: lfn)))
    }

    /// Every record, by run then LFN; an unreadable one is an error naming the file.
    public func records() throws -> [Record] {
        var records: [Record] = []
        // The run folders (a scan lists documents only): names that are run numbers.
        let runs = ((try? FileManager.default.contentsOfDirectory(atPath: spool.path(Layout.tier0Conditions))) ?? [])
            .filter { !$0.isEmpty && $0.allSatisfy { ("0"..."9").contains($0) } }
        for runFolder in runs {
            let folder = Layout.tier0Conditions + "/" + runFolder
            for name in try spool.scan(folder).names {
                guard let bytes = try spool.read(name, in: folder) else { continue }
                records.append(try decodeDocument(Record.self, bytes, file: spool.path(folder + "/" + name)))
            }
        }
        return records.sorted { ($0.run, $0.lfn) < ($1.run, $1.lfn) }
    }
}
