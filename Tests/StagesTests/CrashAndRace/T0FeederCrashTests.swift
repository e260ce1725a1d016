import DynamicJSON
import Foundation
import SpoolKit
@testable import SpoolLayout
import Stages
import TestSupport
import Testing

/// Kills the real `wm-t0feeder` at random moments while it registers a replay and checks that the end is the
/// same as an uninterrupted feed: the same registered files, the same run states, nothing quarantined.
@Suite(.serialized) struct T0FeederCrashTests {
    /// The registered files of every run (run folder → file names) and the states, as `wmctl t0 runs --json`.
    static func outcome(_ spool: Spool) throws -> (files: [String: [String]], runs: [Int: [String: JSONValue]]) {
        var files: [String: [String]] = [:]
        for run in try Tier0RunStore(spool: spool).runs() {
            let folders = Layout.tier0Run(run)
            for folder in [folders.root, folders.streamers, folders.lumis, folders.ends] {
                files[folder] = try spool.scan(folder).names
            }
        }
        return (files, try T0FeederTests.runsWithoutReleaseTimes(spool))
    }

    @Test func killedAtRandomMomentsTheFeederEndsWithTheSameRegistrationsAndStates() throws {
        let kills = Int(ProcessInfo.processInfo.environment["WM_CRASH_ROUNDS"] ?? "") ?? 30
        let program = TestSupport.executable("wm-t0feeder")
        let (spool, _) = try T0FeederEndToEndTests.replayedSpool("t0crash")
        let (reference, _) = try T0FeederEndToEndTests.replayedSpool("t0crashref")
        try T0FeederTests.feed(reference)
        let delivered = try spool.scan(Layout.tier0Incoming).names.count
        var random = SeededGenerator(seed: 20_2026_1205)
        var killedMidWork = 0
        var rounds = 0
        var window: UInt32 = 40_000
        while try !spool.scan(Layout.tier0Incoming).names.isEmpty && rounds < 20 * kills {
            rounds += 1
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = ["--spool", spool.root, "--batch", "4"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 1_000...max(2_000, window), using: &random))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { killedMidWork += 1 } else { window = window * 4 / 5 }
            if killedMidWork >= kills { break }
        }
        let leftForTheLastRun = try spool.scan(Layout.tier0Incoming).names.count
        #expect(leftForTheLastRun < delivered, "the killed runs registered something before the last run")
        let last = try TestSupport.run(program, ["--spool", spool.root])
        #expect(last.status == 0, "\(last.stderr)")
        #expect(killedMidWork >= min(kills, rounds / 2), "kills landed while the feeder ran (\(killedMidWork) of \(rounds))")
        #expect(try spool.scan("t0/corrupt").names.isEmpty, "a kill left something that was quarantined")
        let (files, runs) = try Self.outcome(spool)
        let (referenceFiles, referenceRuns) = try Self.outcome(reference)
        #expect(files == referenceFiles)
        #expect(runs == referenceRuns)
        #expect(runs.count == 2)
        print("wm-t0feeder crash test: \(rounds) runs, \(killedMidWork) killed while running, \(delivered - leftForTheLastRun) of \(delivered) documents handled before the last run")
    }
}
