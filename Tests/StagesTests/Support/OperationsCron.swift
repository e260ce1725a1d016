import Foundation
import TestSupport

/// Cron, simulated: every stage program has its own line, run `--once` again and again (each run a
/// separate process, 20–150 ms apart), all lines at the same time as cron would start them. It stops
/// when the spool is quiet: no job in flight and every program's latest run began after the last run
/// that moved anything and moved nothing itself.
final class CronDriver: @unchecked Sendable {
    let spool: ProgramSpool
    private let lock = NSLock()
    private var lastMove: Double
    private var latestIdleStart: [Int: Double] = [:]
    private var failures: [String] = []
    private var stopped = false
    /// Runs started, all lines together.
    private(set) var runs = 0

    init(spool: ProgramSpool) {
        self.spool = spool
        lastMove = Date().timeIntervalSince1970
    }

    /// The number of documents a stage program says it moved on (its closing `done items=N quarantined=M` line).
    static func itemsMoved(_ stderr: String) -> Int? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.contains(" done ") && $0.contains("items=") }) else { return nil }
        var moved = 0
        for field in line.split(separator: " ") {
            for key in ["items=", "quarantined="] where field.hasPrefix(key) { moved += Int(field.dropFirst(key.count)) ?? 0 }
        }
        return moved
    }

    /// Runs the cron lines until the spool is quiet or `timeout` seconds passed; returns the problems seen.
    func run(timeout: Double) -> [String] {
        let lines = OperationsPrograms.distinct
        let deadline = Date().timeIntervalSince1970 + timeout
        let group = DispatchGroup()
        for (index, line) in lines.enumerated() {
            DispatchQueue.global().async(group: group) { self.cronLine(index, line) }
        }
        while !isQuiet(lineCount: lines.count) {
            if Date().timeIntervalSince1970 > deadline {
                record("not quiet after \(Int(timeout)) s")
                break
            }
            usleep(100_000)
        }
        lock.withLock { stopped = true }
        group.wait()
        return lock.withLock { failures }
    }

    private func cronLine(_ index: Int, _ line: [String]) {
        var random = SystemRandomNumberGenerator()
        while !lock.withLock({ stopped }) {
            let start = Date().timeIntervalSince1970
            let result: TestSupport.RunResult
            do { result = try spool.run(line[0], Array(line.dropFirst()) + ["--once"]) } catch {
                record("\(line.joined(separator: " ")) could not start: \(error)")
                return
            }
            lock.withLock {
                runs += 1
                switch (result.status, Self.itemsMoved(result.stderr)) {
                case (0, 0?): latestIdleStart[index] = start
                case (0, _?): lastMove = Date().timeIntervalSince1970
                    latestIdleStart[index] = nil
                case (75, _): latestIdleStart[index] = nil
                default: failures.append("\(line.joined(separator: " ")) --once exited \(result.status): \(result.stderr.suffix(600))")
                }
            }
            usleep(UInt32.random(in: 20_000...150_000, using: &random))
        }
    }

    private func isQuiet(lineCount: Int) -> Bool {
        let (idle, failed) = lock.withLock { ((0..<lineCount).allSatisfy { (latestIdleStart[$0] ?? 0) > lastMove }, !failures.isEmpty) }
        return failed || (idle && (try? spool.pendingJobs()) == 0)
    }

    private func record(_ problem: String) { lock.withLock { failures.append(problem) } }
}
