import Foundation
import SpoolKit

/// The health record a stage leaves after each cycle, read by `wmctl status`.
public struct StageHealth: Codable, Sendable {
    /// Stage name.
    public var stage: String
    /// Process id of the last run.
    public var pid: Int32
    /// When the last cycle ended successfully.
    public var lastCycle: Double
    /// When the last cycle that did something ended.
    public var lastProgress: Double
    /// Documents moved on by the last run so far.
    public var itemsDone: Int
    /// Backlog after the last cycle.
    public var backlog: Int

    /// Folder of health records.
    public static let folder = Layout.health

    /// Makes a record.
    public init(stage: String, pid: Int32, lastCycle: Double, lastProgress: Double, itemsDone: Int, backlog: Int) {
        self.stage = stage
        self.pid = pid
        self.lastCycle = lastCycle
        self.lastProgress = lastProgress
        self.itemsDone = itemsDone
        self.backlog = backlog
    }

    /// The file holding `stage`'s health record.
    public static func path(stage: String, spool: Spool) -> String {
        spool.path(folder) + "/" + stage + ".json"
    }

    /// `stage`'s last record, if any is readable.
    public static func read(stage: String, spool: Spool) -> StageHealth? {
        guard let bytes = try? SystemCall.readFile(path(stage: stage, spool: spool)) else { return nil }
        return try? JSONDecoder().decode(StageHealth.self, from: Data(bytes))
    }

    /// Every stage's last record, by stage name.
    public static func readAll(_ spool: Spool) -> [StageHealth] {
        let dir = spool.path(folder)
        var result: [StageHealth] = []
        try? SystemCall.forEachEntry(in: dir) { name, _ in
            if name.hasSuffix(".json"), let health = read(stage: String(name.dropLast(5)), spool: spool) { result.append(health) }
            return true
        }
        return result.sorted { $0.stage < $1.stage }
    }

    /// Writes this record (best effort: health must never stop work), replacing the previous one by a rename.
    public func record(in spool: Spool) {
        guard let data = try? JSONEncoder().encode(self) else { return }
        spool.replaceBestEffort(stage + ".json", in: Self.folder, with: Array(data))
    }
}
