import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import WMCore

/// Kills the real `wm-jobcreator` at random moments and checks that nothing is lost or made twice.
@Suite(.serialized) struct JobCreatorCrashTests {
    @Test func killedAtRandomMomentsEveryFileAndLumiEndsUpInExactlyOneJob() throws {
        // Kill until at least `kills` kills landed while the creator ran (a few thousand files in all).
        try killAtRandomMoments(kills: Int(ProcessInfo.processInfo.environment["WM_CRASH_ROUNDS"] ?? "") ?? 60, options: [])
    }

    @Test func killedBetweenAndInsideBoundedCyclesEveryFileAndLumiEndsUpInExactlyOneJob() throws {
        // Two or three job groups per run (about 13 jobs arrive per round): kills also land between two groups.
        try killAtRandomMoments(kills: Int(ProcessInfo.processInfo.environment["WM_CRASH_ROUNDS"] ?? "") ?? 30,
                                options: ["--jobs-per-cycle", "4"])
    }

    /// Feeds files to a LumiBased subscription (7 lumis per job, 3 per file) while the real `wm-jobcreator`
    /// (run with `options`) is killed at random moments, then checks every file and lumi is in exactly one job.
    func killAtRandomMoments(kills: Int, options: [String]) throws {
        let filesPerRound = 30
        let maxRounds = 4 * kills
        let program = TestSupport.executable("wm-jobcreator")
        #expect(FileManager.default.isExecutableFile(atPath: program), "build wm-jobcreator first (swift build)")
        let f = try WMBSFixture("jc-crash")
        let sub = WMBSFixture.subscription("Proc", algorithm: .lumiBased, parameters: ["lumis_per_job": 7])
        try f.subscribe(sub)
        let candidates = WMBSFixture.files(maxRounds * filesPerRound, location: { $0 % 3 == 0 ? ["T1_US_FNAL_Disk"] : ["T2_CH_CERN"] })
        var random = SeededGenerator(seed: 4_2026_1122)
        var killedMidWork = 0
        var killedMidGroup = 0
        var window: UInt32 = 60_000
        let groups = f.store.subscriptionFolder(f.workflow, "Proc") + "/jobgroups"
        var round = 0
        while round < maxRounds && (killedMidWork < kills || killedMidGroup < kills / 10) {
            // New files keep arriving while the creator is killed and restarted.
            try f.add(Array(candidates[(round * filesPerRound)..<((round + 1) * filesPerRound)]), to: sub.inputFileset)
            round += 1
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = ["--once", "--spool", f.spool.root] + options
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 2_000...max(3_000, window), using: &random))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Aim the kills at the end of a run (where the job group is written): shorten the window when
            // the run finished first, lengthen it when the kill came before any group was started.
            if process.terminationReason == .uncaughtSignal { killedMidWork += 1 } else { window = window * 4 / 5 }
            if try !f.spool.scan(groups + "/pending").names.isEmpty {
                killedMidGroup += 1
            } else if process.terminationReason == .uncaughtSignal {
                window = window * 6 / 5
            }
        }
        let allFiles = Array(candidates.prefix(round * filesPerRound))
        #expect(killedMidWork >= kills, "at least \(kills) kills landed while the creator was running (\(killedMidWork))")
        #expect(killedMidGroup >= kills / 10, "some kills left a job group half done (\(killedMidGroup))")
        print("wm-jobcreator crash test: \(allFiles.count) files, \(killedMidWork) kills while running, \(killedMidGroup) left a job group half done")

        // Close the fileset and let it finish.
        try f.close(sub.inputFileset)
        let final = try TestSupport.run(program, ["--once", "--spool", f.spool.root] + options)
        #expect(final.status == 0, "\(final.stderr)")

        // Every file acquired exactly once.
        let keys = Set(allFiles.map { FileKey.of($0.lfn) })
        #expect(try f.fileKeys("Proc", .available).isEmpty)
        #expect(try f.fileKeys("Proc", .acquired) == keys)
        let acquiredCopies = try f.store.documents(f.workflow, "Proc", in: .acquired).reduce(0) { $0 + $1.files.count }
        #expect(acquiredCopies == keys.count, "no file in two acquired documents")
        #expect(try f.spool.scan(groups + "/pending").names.isEmpty)

        // Every job exactly once across jobs/*/, numbered without gaps, no publish conflicts.
        var seen: [String: JobState] = [:]
        var lumis: [Int: Int] = [:]
        var inputs: Set<String> = []
        for state in JobState.allCases {
            for job in try f.jobs(in: state) {
                if let other = seen[job.name] { Issue.record("\(job.name) is in \(other.rawValue) and \(state.rawValue)") }
                seen[job.name] = state
                inputs.formUnion(job.inputFiles.map(\.lfn))
                for entry in job.mask.runAndLumis {
                    #expect(entry.run == 1)
                    for range in entry.ranges { for lumi in range[0]...range[1] { lumis[lumi, default: 0] += 1 } }
                }
            }
        }
        #expect(Set(seen.values) == [.created])
        let numbers = seen.keys.compactMap { Int($0.split(separator: "-").last ?? "") }.sorted()
        #expect(numbers == Array(1...max(1, numbers.count)), "job numbers 1...N without gaps")
        #expect(try f.spool.scan("jobs/corrupt").names.isEmpty, "no job was published twice")

        // The union of the jobs' inputs is exactly the files, and no lumi is in two jobs.
        #expect(inputs == Set(allFiles.map(\.lfn)))
        #expect(lumis.count == allFiles.count * 3 && lumis.keys.min() == 1 && lumis.keys.max() == allFiles.count * 3)
        let twice = lumis.filter { $0.value != 1 }.keys.sorted()
        #expect(twice.isEmpty, "lumis in more than one job: \(twice.prefix(10))")
        try? FileManager.default.removeItem(atPath: f.spool.root)
    }
}
