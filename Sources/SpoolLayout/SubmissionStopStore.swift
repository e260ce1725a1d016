import Foundation
import SpoolKit
import WMCore

/// The workflows whose submissions the agent stopped for their failure rate (`submission-stops/<workflow>.json`).
/// A stop is published once; resuming replaces it by a copy that says when (a reader keeps the bytes it opened).
public struct SubmissionStopStore {
    /// The spool.
    public let spool: Spool
    /// The folder.
    public static let area = Layout.submissionStops

    /// Makes a store.
    public init(spool: Spool) { self.spool = spool }

    /// The stop of `workflow`, if any.
    public func stop(_ workflow: String) throws -> SubmissionStop? {
        guard let bytes = try spool.read(workflow + ".json", in: Self.area) else { return nil }
        return try decodeDocument(SubmissionStop.self, bytes, file: Self.area + "/" + workflow + ".json")
    }

    /// Every readable stop, by workflow (one damaged by hand is left to `wm-jobsubmitter`, which quarantines it).
    public func all() throws -> [SubmissionStop] {
        guard spool.isFolder(Self.area) else { return [] }
        return try spool.scan(Self.area).names.sorted().filter { $0.hasSuffix(".json") }
            .compactMap { try? stop(String($0.dropLast(5))) }
    }

    /// Moves the stop document of `workflow` to the area's corrupt folder with `reason` (a document damaged by hand).
    public func quarantine(_ workflow: String, reason: String) throws {
        _ = try spool.quarantine(workflow + ".json", in: Self.area, reason: reason)
    }

    /// Records a stop unless the workflow already has one (held or resumed); true when it was recorded.
    @discardableResult
    public func record(_ stop: SubmissionStop) throws -> Bool {
        try spool.ensureDirectories([Self.area])
        guard try self.stop(stop.workflow) == nil else { return false }
        try spool.inBatch { try $0.publish(Self.encode(stop), as: stop.workflow + ".json", in: Self.area) }
        return true
    }

    /// Marks the stop of `workflow` resumed at `time`; nil when it has no stop.
    public func resume(_ workflow: String, at time: Double) throws -> SubmissionStop? {
        guard var stop = try stop(workflow) else { return nil }
        guard stop.isHolding else { return stop }
        stop.resumed = time
        try spool.inBatch { try $0.replaceContent(of: workflow + ".json", in: Self.area, with: Self.encode(stop)) }
        return stop
    }

    private static func encode(_ stop: SubmissionStop) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(stop)) + [UInt8(ascii: "\n")]
    }
}

/// Each workflow's ended job attempts and failures, read from its accounting records. Record files are published
/// once and never change, so a tally reads only the files it has not read before.
package final class FailureTallies: @unchecked Sendable {
    private struct Seen {
        var files: Set<String> = []
        var succeeded: [String: Bool] = [:]   // attempt key → succeeded (a later record of an attempt wins)
    }
    private var seen: [String: Seen] = [:]
    private var thresholds: [String: Double?] = [:]
    private let lock = NSLock()

    /// Makes an empty cache.
    package init() {}

    /// The `FailureRateThreshold` of `workflow`'s stored workload (nil: none set, or no workload), read once: a
    /// workload never changes once stored.
    package func requestThreshold(spool: Spool, workflow: String) throws -> Double? {
        lock.lock()
        defer { lock.unlock() }
        if let known = thresholds[workflow] { return known }
        let threshold = try ElementStore(spool: spool).workload(workflow)?.failureRateThreshold
        thresholds[workflow] = .some(threshold)
        return threshold
    }

    /// The tally of `workflow` now.
    package func tally(spool: Spool, workflow: String) throws -> FailureTally {
        lock.lock()
        defer { lock.unlock() }
        var entry = seen[workflow] ?? Seen()
        let folder = AccountingAreas.reports(workflow)
        if spool.isFolder(folder) {
            for name in try spool.scan(folder).names where !entry.files.contains(name) {
                for record in try AccountingRecords.records(inFile: name, spool: spool, workflow: workflow) {
                    entry.succeeded[AttemptKey(job: record.job, retry: record.retry).description] = record.outcome == JobState.success.rawValue
                }
                entry.files.insert(name)
            }
        }
        seen[workflow] = entry
        var tally = FailureTally()
        for succeeded in entry.succeeded.values { tally.add(succeeded: succeeded) }
        return tally
    }
}
