import Foundation
import Testing
import TestSupport
@testable import SpoolKit

/// Kills a child doing publishes and moves at random points, and races claimers on one queue.
@Suite(.serialized) struct CrashAndRaceTests {
    /// Every document present must be complete, and each name must exist exactly once.
    func census(_ spool: Spool) throws -> (states: [String: String], partial: [String]) {
        var states: [String: String] = [:]
        var partial: [String] = []
        for dir in ["queue/new", "queue/cur", "queue/done"] {
            for file in try spool.scan(dir).names {
                let name = String(file.dropLast(5))
                if let previous = states[name] { Issue.record("\(name) is in \(previous) and \(dir)") }
                states[name] = dir
                let text = String(decoding: try spool.read(file, in: dir) ?? [], as: UTF8.self)
                let lines = text.split(separator: "\n")
                if lines.count != 2 || "#\(lines[0].utf8.count)" != lines[1] { partial.append(dir + "/" + file) }
            }
        }
        return (states, partial)
    }

    @Test func killedAtRandomPointsLosesAndDuplicatesNothing() throws {
        let rounds = Int(ProcessInfo.processInfo.environment["WM_CRASH_ROUNDS"] ?? "") ?? 200
        let count = 400
        let root = TestSupport.temporaryDirectory("crash")
        let spool = try Spool(root: root)
        var random = SeededGenerator(seed: 20261122)
        let torture = TestSupport.executable("spool-torture")
        #expect(FileManager.default.isExecutableFile(atPath: torture), "build spool-torture first")
        for _ in 0..<rounds {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: torture)
            process.arguments = ["crash", "--spool", root, "--count", String(count), "--batch", "7"]
            try process.run()
            usleep(UInt32.random(in: 500...40_000, using: &random))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let (_, partial) = try census(spool)
            #expect(partial.isEmpty, "partial documents after a kill: \(partial.prefix(3))")
        }
        // A last, uninterrupted run finishes the work and repairs stale content.
        let final = try TestSupport.run(torture, ["crash", "--spool", root, "--count", String(count)])
        #expect(final.status == 0, "\(final.stderr)")
        let (states, partial) = try census(spool)
        #expect(partial.isEmpty)
        #expect(states.count == count, "every document exists exactly once")
        #expect(states.values.allSatisfy { $0 == "queue/done" })
        for name in states.keys {
            let text = String(decoding: try spool.read(name + ".json", in: "queue/done") ?? [], as: UTF8.self)
            #expect(text.contains("\"state\":\"done\""), "\(name) has stale content")
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    @Test func concurrentClaimersTakeEachDocumentExactlyOnce() throws {
        let documents = 10_000
        let root = TestSupport.temporaryDirectory("race")
        let spool = try Spool(root: root, durability: .none)
        try spool.ensureDirectories(["queue/new", "queue/claimed"])
        var i = 0
        while i < documents {
            try spool.inBatch { batch in
                for j in i..<min(documents, i + 1000) { try batch.publish(Array("\(j)".utf8), as: "doc\(j).json", in: "queue/new") }
            }
            i += 1000
        }
        let torture = TestSupport.executable("spool-torture")
        let group = DispatchGroup()
        nonisolated(unsafe) var outputs = [String](repeating: "", count: 4)
        for worker in 0..<4 {
            group.enter()
            DispatchQueue.global().async {
                let result = try? TestSupport.run(torture, ["claim", "--spool", root, "--worker", "w\(worker)"])
                outputs[worker] = result?.stdout ?? ""
                group.leave()
            }
        }
        group.wait()
        let claims = outputs.flatMap { $0.split(separator: "\n").map { String($0.split(separator: " ")[1]) } }
        #expect(claims.count == documents, "each document claimed exactly once (got \(claims.count) claims)")
        #expect(Set(claims).count == documents)
        #expect(outputs.filter { !$0.isEmpty }.count >= 2, "the workers actually competed")
        #expect(try spool.scan("queue/claimed").names.count == documents)
        #expect(try spool.scan("queue/new").names.isEmpty)
        try? FileManager.default.removeItem(atPath: root)
    }
}
