import Commands
import Foundation
import SpoolKit
@testable import Benchmarks
import TestSupport
import Testing

/// Issue 21 item 4: `wmagent bench --steady` holds N jobs executing on the sim batch system while the stages cycle.
@Suite struct SteadyStateBenchmarkTests {
    /// A small steady run in its own temporary folder (`<folder>/spool`).
    func smallRun(_ label: String, running: Int, seconds: Double, runSeconds: Double) -> SteadyStateBenchmark.Settings {
        var settings = SteadyStateBenchmark.Settings()
        settings.running = running
        settings.seconds = seconds
        settings.runSeconds = runSeconds
        settings.batchSize = 100
        settings.directory = TestSupport.temporaryDirectory(label) + "/spool"
        return settings
    }

    @Test func aSteadyRunHoldsTheExecutingJobsWhileEveryStageCycles() throws {
        let settings = smallRun("steady", running: 200, seconds: 4, runSeconds: 1)
        defer { try? FileManager.default.removeItem(atPath: (settings.directory as NSString).deletingLastPathComponent) }
        let result = try SteadyStateBenchmark(settings: settings).run()
        #expect(result.stages.map(\.stage) == ["wm-jobcreator", "wm-jobsubmitter", "wm-jobtracker", "wm-accountant", "wm-errorhandler", "wm-jobarchiver"])
        // Every stage cycled once a round, and each cycle was timed.
        #expect(result.rounds >= 2)
        for stage in result.stages {
            #expect(stage.cycles == result.rounds, "\(stage.stage)")
            #expect(stage.maxCycleSeconds >= stage.meanCycleSeconds && stage.maxCycleSeconds > 0, "\(stage.stage)")
            #expect(stage.maxCPUSecondsPerCycle >= stage.cpuSecondsPerCycle, "\(stage.stage)")
        }
        // The submitter refills what the tracker takes away: the site stays full, and never more than full.
        #expect(result.executing.count == result.rounds)
        #expect(result.executing.min >= 190 && result.executing.max == 200, "\(result.executing)")
        // Attempts of 1 s over 4 s: some turned over and were archived; none failed.
        let jobs = Dictionary(uniqueKeysWithValues: result.stages.map { ($0.stage, $0.jobs) })
        #expect(result.jobsDone >= 200 && result.jobsDone == jobs["wm-jobarchiver"], "\(jobs)")
        #expect(jobs["wm-jobtracker"]! >= result.jobsDone && jobs["wm-errorhandler"] == 0, "\(jobs)")
        #expect(abs(result.jobsPerSecond - Double(result.jobsDone) / result.seconds) < 1e-9)
        #expect(result.seconds >= 4 && result.peakMemoryMB > 0)
        #expect(!SystemCall.exists(settings.directory))  // removed unless --keep

        let json = try BenchReport.json(result)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["jobsDone"] as? Int == result.jobsDone)
        let executing = try #require(object["executing"] as? [String: Any])
        #expect(executing["min"] as? Int == result.executing.min)
        let stages = try #require(object["stages"] as? [[String: Any]])
        #expect(stages.compactMap { $0["cpuSecondsPerCycle"] as? Double }.count == 6)
        let text = BenchReport.summary(result)
        #expect(text.contains("steady: 200 executing jobs on sim") && text.contains("executing: min \(result.executing.min)"))
        #expect(text.split(separator: "\n").count == 2 + 6 + 2)
    }

    @Test func theCommandLineChoosesTheBenchAndRefusesTheOtherOnesOptions() throws {
        guard case (.steady(let steady), true) = try AgentBenchmark.Settings.parse(
            ["--steady", "--running", "300", "--seconds", "2.5", "--run-seconds", "7", "--batch", "50", "--dir", "/tmp/x", "--json"]) else {
            Issue.record("--steady did not choose the steady bench")
            return
        }
        #expect(steady.running == 300 && steady.seconds == 2.5 && steady.runSeconds == 7 && steady.batchSize == 50 && steady.directory == "/tmp/x")
        #expect(steady.files == 300 + 300 * 1 + 75)
        guard case (.drain(let drain), false) = try AgentBenchmark.Settings.parse(["--jobs", "40"]) else {
            Issue.record("no --steady did not choose the drain bench")
            return
        }
        #expect(drain.jobs == 40)
        for wrong in [["--running", "5"], ["--seconds", "5"], ["--steady", "--jobs", "5"], ["--steady", "--pipelined"], ["--steady", "--running", "0"]] {
            do {
                _ = try AgentBenchmark.Settings.parse(wrong)
                Issue.record("\(wrong) was accepted")
            } catch let failure as CommandFailure {
                #expect(failure.code == .usage, "\(wrong): \(failure)")
            }
        }
    }
}
