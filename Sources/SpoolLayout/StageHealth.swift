import Foundation
import Glibc
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
            if name.hasSuffix(".json"), let bytes = try? SystemCall.readFile(dir + "/" + name),
               let h = try? JSONDecoder().decode(StageHealth.self, from: Data(bytes)) {
                result.append(h)
            }
            return true
        }
        return result.sorted { $0.stage < $1.stage }
    }

    /// Writes this record (best effort: health must never stop work). Written in place under its
    /// temporary name, then renamed over the previous record (`FileManager.createFile` writes atomically,
    /// through a `.dat.nosync…` file of its own that a kill leaves behind in `.tmp/`).
    public func record(in spool: Spool) {
        guard let data = try? JSONEncoder().encode(self) else { return }
        try? SystemCall.makeDirectories(spool.path(Self.folder))
        let temp = spool.temporaryDirectory + "/" + Spool.uniqueName() + ".part"
        guard let fd = try? SystemCall.open(temp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644) else { return }
        let written = (try? data.withUnsafeBytes { try SystemCall.writeAll(fd, $0, path: temp) }) != nil
        _ = Glibc.close(fd)
        if !written || (try? SystemCall.rename(temp, Self.path(stage: stage, spool: spool))) == nil { _ = Glibc.unlink(temp) }
    }
}
