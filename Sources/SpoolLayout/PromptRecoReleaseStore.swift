import Foundation
import JobSplitting
import SpoolKit
import Tier0
import WMCore

/// One PromptReco release row as the feeder keeps it (`t0/runs/<run>/reco/<PD>.json`, T0's `reco_release_config`
/// row of (run, PD), §A.2 and §A.4): where the release is, the run's stop time it is counted from, and the
/// PromptReco workflow once made. Plain JSON an operator can read:
/// `{"run":100001,"dataset":"MinimumBias","stopTime":1765000000,"state":"locked","delay":172800,"offset":1800,"lockedAt":…}`.
public struct PromptRecoReleaseRecord: Codable, Sendable, Equatable {
    /// The run.
    public var run: Int
    /// The primary dataset.
    public var dataset: String
    /// The run's stop time (seconds since the epoch): the feeder's clock the first cycle it saw every storage-manager
    /// instance end the run; 0 while the run has not ended.
    public var stopTime: Int
    /// `waiting`, `locked` or `released`.
    public var state: State
    /// The delay stored at lock time (seconds; 0 for a release an operator forced).
    public var delay: Int?
    /// The offset stored at lock time (seconds).
    public var offset: Int?
    /// When it was locked (seconds since the epoch).
    public var lockedAt: Int?
    /// When it was released (seconds since the epoch).
    public var releasedAt: Int?
    /// True when an operator forced the release (`wmctl t0 release`): locked with no delay.
    public var forced: Bool?

    /// T0's `released` column spelled out.
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Waiting for its lock time.
        case waiting
        /// Locked with its delays: released at stop + delay.
        case locked
        /// Released: its PromptReco workflow is made.
        case released
    }

    /// A waiting row of a run that has not stopped.
    public init(run: Int, dataset: String) {
        self.run = run
        self.dataset = dataset
        stopTime = 0
        state = .waiting
    }

    /// The row the release rules (`PromptRecoRelease.advance`) work on.
    public var row: PromptRecoRelease.Row {
        let state: PromptRecoRelease.State = switch self.state {
        case .waiting: .waiting
        case .locked: .locked(delay: delay ?? 0, offset: offset ?? 0)
        case .released: .released(at: releasedAt ?? 0)
        }
        return PromptRecoRelease.Row(run: run, dataset: dataset, stopTime: stopTime, state: state)
    }

    /// This record moved to `row`'s state at `now` (the lock time is recorded when it locks). A waiting row released
    /// in one step (locked and released in the same cycle) stores `delays`, the ones it was locked with.
    public func applying(_ row: PromptRecoRelease.Row, now: Int, delays: (delay: Int, offset: Int)? = nil) -> PromptRecoReleaseRecord {
        var record = self
        switch row.state {
        case .waiting:
            record.state = .waiting
        case .locked(let delay, let offset):
            if record.state != .locked { record.lockedAt = now }
            record.state = .locked
            record.delay = delay
            record.offset = offset
        case .released(let at):
            if record.state == .waiting {
                record.lockedAt = at
                record.delay = delays?.delay
                record.offset = delays?.offset
            }
            record.state = .released
            record.releasedAt = at
        }
        return record
    }

    /// When the release locks (stop + delay − offset) and is released (stop + delay) with `delays`, once the run stopped.
    public func schedule(delays: (delay: Int, offset: Int)) -> (lock: Int, release: Int)? {
        guard stopTime > 0 else { return nil }
        let delay = state == .waiting ? delays.delay : (self.delay ?? delays.delay)
        let offset = state == .waiting ? delays.offset : (self.offset ?? delays.offset)
        return (SaturatingArithmetic.add(stopTime, SaturatingArithmetic.add(delay, -offset)), SaturatingArithmetic.add(stopTime, delay))
    }
}

/// The PromptReco release rows of every run (`t0/runs/<run>/reco/`) and the global hold switch
/// (`t0/hold-promptreco`). The feeder writes the rows; `wmctl t0 release` forces one; `wmctl t0 hold` and
/// `wmctl t0 resume` set and clear the switch.
public struct PromptRecoReleaseStore: Sendable {
    /// The spool.
    public let spool: Spool

    /// A store over `spool`.
    public init(spool: Spool) { self.spool = spool }

    /// The largest row document read (a row is a few hundred bytes).
    static let maximumBytes = 64 * 1024

    /// The file name of `dataset`'s row, nil when the dataset can't name a file (the configuration's dataset
    /// names always can).
    public static func fileName(dataset: String) -> String? {
        let name = dataset + ".json"
        return Spool.isSafeName(name) ? name : nil
    }

    /// The rows of `run`, by dataset.
    ///
    /// - Throws: `DocumentProblem` naming the file when a row can't be read, decoded, or is not about its run and dataset.
    public func records(run: Int) throws -> [PromptRecoReleaseRecord] {
        let folder = Layout.tier0Run(run).reco
        return try spool.scan(folder).names.filter { $0.hasSuffix(".json") }.compactMap { name -> PromptRecoReleaseRecord? in
            let file = folder + "/" + name
            let bytes: [UInt8]
            do {
                guard let read = try spool.read(name, in: folder, limit: Self.maximumBytes) else { return nil }
                bytes = read
            } catch let refused as RefusedFile {
                throw DocumentProblem(refused.description(naming: file))
            }
            let record = try decodeDocument(PromptRecoReleaseRecord.self, bytes, file: file)
            guard record.run == run, Self.fileName(dataset: record.dataset) == name else {
                throw DocumentProblem("\(file): it is about run \(record.run), dataset \(record.dataset), which belong in "
                                      + "\(Layout.tier0Run(record.run).reco)/\(record.dataset).json")
            }
            return record
        }.sorted { $0.dataset < $1.dataset }
    }

    /// Writes `records` (new rows published, known ones replaced) in one commit.
    public func save(_ records: [PromptRecoReleaseRecord]) throws {
        guard !records.isEmpty else { return }
        try spool.ensureDirectories(Set(records.map { Layout.tier0Run($0.run).reco }).sorted())
        try spool.inBatch { batch in
            for record in records {
                guard let name = Self.fileName(dataset: record.dataset) else { continue }
                let folder = Layout.tier0Run(record.run).reco
                let bytes = try encodeDocument(record)
                if spool.contains(name, in: folder) {
                    try batch.replaceContent(of: name, in: folder, with: bytes)
                } else {
                    try batch.publish(bytes, as: name, in: folder)
                }
            }
        }
    }

    /// The name of the marker asking the feeder to release `dataset`'s row with no delay (`<PD>.force`, beside the row).
    static func forceName(dataset: String) -> String { dataset + ".force" }

    /// Asks the feeder to release the row of (`run`, `dataset`) with no delay (`wmctl t0 release`): the feeder owns
    /// the rows, so an operator leaves a marker it applies once the run has stopped. False when one is there already.
    @discardableResult
    public func requestRelease(run: Int, dataset: String, at now: Double) throws -> Bool {
        let folder = Layout.tier0Run(run).reco
        let name = Self.forceName(dataset: dataset)
        guard Spool.isSafeName(name), !spool.contains(name, in: folder) else { return false }
        return try spool.publish(Array("forced at \(Int(now))\n".utf8), as: name, in: folder) == .published
    }

    /// True when an operator asked to release (`run`, `dataset`) now and the feeder has not applied it yet.
    public func isReleaseRequested(run: Int, dataset: String) -> Bool {
        spool.contains(Self.forceName(dataset: dataset), in: Layout.tier0Run(run).reco)
    }

    /// Removes the marker of an applied (or moot) release request.
    public func clearReleaseRequest(run: Int, dataset: String) throws {
        guard isReleaseRequested(run: run, dataset: dataset) else { return }
        try spool.removeFile(Self.forceName(dataset: dataset), in: Layout.tier0Run(run).reco)
    }

    /// True while the global hold switch is set.
    public var isHeld: Bool { spool.contains(Layout.tier0PromptRecoHoldName, in: Layout.tier0Root) }

    /// Sets the hold switch (the file says when); false when it was already set.
    @discardableResult
    public func hold(at now: Double) throws -> Bool {
        guard !isHeld else { return false }
        try spool.ensureDirectories([Layout.tier0Root])
        return try spool.publish(Array("held since \(Int(now))\n".utf8), as: Layout.tier0PromptRecoHoldName,
                                 in: Layout.tier0Root) == .published
    }

    /// Clears the hold switch; false when it was not set.
    @discardableResult
    public func resume() throws -> Bool {
        guard isHeld else { return false }
        try spool.removeFile(Layout.tier0PromptRecoHoldName, in: Layout.tier0Root)
        return true
    }
}
