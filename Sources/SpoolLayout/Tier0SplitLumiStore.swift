import Foundation
import JobSplitting
import SpoolKit

/// The split-lumi records of a Tier-0 subscription (T0's `lumi_section_split_active`): one document per lumi whose
/// streamers went to more than one job, `wmbs/<workflow>/<subscription>/splitlumis/<run>-<lumi>.json`. The merges of
/// that lumi wait while the record is active (`Tier0SplitLumi.isFinished`); records go with the workflow's WMBS.
public struct Tier0SplitLumiStore {
    /// The spool.
    public let spool: Spool

    /// A store over `spool`.
    public init(spool: Spool) { self.spool = spool }

    private struct Record: Codable {
        var run: Int
        var lumi: Int
        var nfiles: Int
    }

    /// The folder of a subscription's records.
    public func folder(_ workflow: String, _ subscription: String) -> String {
        Layout.wmbs(workflow).subscription(subscription).splitLumis
    }

    /// The subscription's records; an unreadable one is an error naming the file.
    public func records(_ workflow: String, _ subscription: String) throws -> [Tier0SplitLumi] {
        let folder = folder(workflow, subscription)
        return try spool.scan(folder).names.compactMap { name in
            guard let bytes = try spool.read(name, in: folder) else { return nil }
            let record = try decodeDocument(Record.self, bytes, file: spool.path(folder + "/" + name))
            return Tier0SplitLumi(run: record.run, lumi: record.lumi, nfiles: record.nfiles)
        }
    }

    /// Publishes `records` (a record already there is kept: a replayed split names the same lumis).
    public func add(_ records: [Tier0SplitLumi], _ workflow: String, _ subscription: String) throws {
        guard !records.isEmpty else { return }
        let folder = folder(workflow, subscription)
        try spool.ensureDirectories([folder])
        try spool.inBatch { batch in
            for record in records {
                let name = "\(record.run)-\(record.lumi).json"
                if spool.contains(name, in: folder) { continue }
                try batch.publish(Array(try JSONEncoder().encode(Record(run: record.run, lumi: record.lumi, nfiles: record.nfiles))),
                                  as: name, in: folder)
            }
        }
    }
}
