import Foundation
import TestSupport
import Testing
@testable import SpoolLayout

/// Issue 20's chaos proof: SIGKILL the Tier-0's stage processes (the feeder among the WMAgent stages, cron-style
/// `--once` runs and whole `wmagent run --once`) at random while a replay's runs are registered, fed, repacked,
/// expressed and merged; then let the system finish. Every event of the replay is in each dataset it belongs to once.
///
/// CI size: 40 kills of a 2-run × 2-stream × 12-lumi replay from 2 instances. Longer: `scripts/chaos --tier0 --kills N`
/// (WM_T0_CHAOS_KILLS, WM_CHAOS_SEED, WM_CHAOS_CONCURRENCY).
@Suite struct Tier0ChaosTests {
    static let environment = ProcessInfo.processInfo.environment

    @Test func tier0ReplaySurvivesRandomKillsOfItsStages() throws {
        let kills = Int(Self.environment["WM_T0_CHAOS_KILLS"] ?? "") ?? 40
        let seed = UInt64(Self.environment["WM_CHAOS_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64(UInt32.max))
        let spool = try ProgramSpool.fresh("t0chaos")
        try Data(Tier0Replay.configuration.utf8).write(to: URL(fileURLWithPath: spool.root + "/" + Layout.tier0Configuration))
        let expectFile = spool.root + "/../expect.json"
        let replay = try spool.run("wm-t0-replay", ["--spool", spool.root, "--runs", "2", "--lumis", "12", "--instances", "2", "--shuffle",
                                                    "--late-instance", "--empty-lumis", "1", "--oversized-lumi", "100002:5",
                                                    "--duplicate", "--seed", String(seed % 1000), "--expect", expectFile])
        try #require(replay.status == 0, "\(replay.stderr)")
        let expected = try Tier0Replay.expectation(expectFile)

        let driver = ChaosDriver(spool: spool, seed: seed, programs: OperationsPrograms.distinctWithTier0)
        try driver.run(kills: kills, concurrency: Int(Self.environment["WM_CHAOS_CONCURRENCY"] ?? "") ?? 4)
        #expect(driver.failures.isEmpty, "seed \(seed): \(driver.failures)")

        // Let the system finish, undisturbed, until the four workflows are archived (ExpressMerge waits 1 s per lumi).
        let workflows = (100_001...100_002).flatMap { ["Repack_Run\($0)_StreamPhysics", "Express_Run\($0)_StreamExpress"] }
        let summaries = spool.root + "/" + Layout.summaries + "/"
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline && !workflows.allSatisfy({ FileManager.default.fileExists(atPath: summaries + $0 + ".json") }) {
            let finish = try spool.run("wmagent", ["run", "--once", "--stall-timeout", "60"])
            #expect([0, 75].contains(finish.status), "seed \(seed): wmagent run --once exited \(finish.status): \(finish.stderr.suffix(1500))")
            Thread.sleep(forTimeInterval: 1)
        }
        print("chaos: Tier-0 seed \(seed), \(driver.kills) kills (\(driver.killsByProgram.sorted { $0.key < $1.key })); spool \(spool.root)")
        for workflow in workflows {
            #expect(FileManager.default.fileExists(atPath: summaries + workflow + ".json"), "seed \(seed): \(workflow) archived")
        }
        let datasets = Set(spool.wmctl(["catalog", "datasets"]).output.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
        let problems = try Tier0Replay.problems(expected: expected, oversized: (100_002, 5)) { dataset in
            guard datasets.contains(dataset) else { return nil }
            let (status, output) = spool.wmctl(["catalog", "events", dataset])
            try #require(status == 0, "\(output.stderr)")
            return output.stdout.split(separator: "\n").map { line in
                let parts = line.split(separator: " ").compactMap { Int($0) }
                return CatalogEvent(run: parts[0], lumi: parts[1], event: parts[2])
            }
        }
        #expect(problems.isEmpty, "seed \(seed): \(problems.joined(separator: "\n"))")
        let findings = try spool.fsckFindings()
        #expect(findings.isEmpty, "seed \(seed): \(findings)")
    }
}
