import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import Commands
@testable import Operator
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// A settable clock for tests.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Double
    init(_ start: Double = 1_000_000) { value = start }
    var now: Double { lock.lock(); defer { lock.unlock() }; return value }
    func advance(_ seconds: Double) { lock.lock(); value += seconds; lock.unlock() }
}

/// A temporary spool with a jobs area, a clock, and helpers to place jobs and run stages.
struct JobSpoolFixture {
    let spool: Spool
    let jobs: DocumentArea<JobBody>
    let clock = TestClock()
    let lines = LogCapture()

    init(_ label: String, config: String? = nil) throws {
        spool = try Spool(root: TestSupport.temporaryDirectory(label), durability: .none)
        jobs = Areas.jobs(spool)
        try jobs.ensureFolders()
        // Every spool has its configuration (an empty object keeps every default) and its sites (wmagent init's).
        try spool.ensureDirectories(["etc"])
        _ = FileManager.default.createFile(atPath: spool.path("etc/agent.json"), contents: Data((config ?? "{}").utf8))
        _ = FileManager.default.createFile(atPath: spool.path("etc/sites.json"), contents: Data(SiteConfiguration.defaultJSON.utf8))
    }

    var context: StageContext {
        var options = StageOptions(environment: [:])
        options.spoolPath = spool.root
        let clock = self.clock
        return StageContext(spool: spool, options: options, log: Logger(component: "test", sink: lines.append), now: { clock.now })
    }

    /// Places a job that failed with `exitCode` in `jobfailed/`.
    func failedJob(_ name: String, taskType: String = "Production", exitCode: Int, retryCount: Int = 0) throws {
        var job = JobDocument(JobBody(name: name, workflow: "wf", task: "/wf/T", taskType: taskType, subscription: "s",
                                      inputFiles: [SplitFile(lfn: "MCFakeFile-wf", events: 10)]))
        job.retryCount = retryCount
        job.exitCodes = [exitCode]
        try job.transition(to: .created, actor: "t", reason: "", at: clock.now)
        try job.transition(to: .executing, actor: "t", reason: "", at: clock.now)
        try job.transition(to: .jobfailed, actor: "t", reason: "exit \(exitCode)", at: clock.now)
        try spool.publish(try jobs.encode(job), as: name + ".json", in: "jobs/jobfailed")
    }

    func state(of name: String) -> JobState? {
        JobState.allCases.first { FileManager.default.fileExists(atPath: spool.path("jobs/\($0.rawValue)/\(name).json")) }
    }

    func job(_ name: String) throws -> JobDocument {
        guard let state = state(of: name), case .document(let doc) = try jobs.load(name, in: state) else {
            throw DocumentProblem("\(name) not found")
        }
        return doc
    }

    /// Fails a job in `created/` again (as the tracker would) with `exitCode`.
    func failAgain(_ name: String, exitCode: Int) throws {
        var doc = try job(name)
        try doc.transition(to: .executing, actor: "t", reason: "", at: clock.now)
        try doc.transition(to: .jobfailed, actor: "t", reason: "exit \(exitCode)", at: clock.now)
        doc.exitCodes.append(exitCode)
        try spool.inBatch { _ = try $0.moveReplacingContent(name + ".json", from: "jobs/created", to: "jobs/jobfailed", with: try jobs.encode(doc)) }
    }
}

@Suite struct FailureHandlingTests {
    @Test func transientFailuresCoolOffThenRetry() throws {
        let f = try JobSpoolFixture("transient", config: #"{"retryManager": {"taskTypes": {"default": {"algorithm": "Linear", "coolOffTime": {"job": 100}}}}}"#)
        try f.failedJob("t8028", exitCode: 8028)
        try f.failedJob("t60307", exitCode: 60307)
        _ = try ErrorHandlerStage().runCycle(f.context)
        #expect(f.state(of: "t8028") == .jobcooloff)
        #expect(f.state(of: "t60307") == .jobcooloff)
        // Linear: base × retry; retry 0 waits 0 s (due as soon as any time has passed: WMCore compares with >).
        _ = try RetryManagerStage().runCycle(f.context)
        #expect(f.state(of: "t8028") == .jobcooloff)
        f.clock.advance(1)
        _ = try RetryManagerStage().runCycle(f.context)
        #expect(f.state(of: "t8028") == .created)
        #expect(try f.job("t8028").retryCount == 1)
        // Second failure: retry 1 waits 100 s.
        try f.failAgain("t8028", exitCode: 8028)
        _ = try ErrorHandlerStage().runCycle(f.context)
        _ = try RetryManagerStage().runCycle(f.context)
        #expect(f.state(of: "t8028") == .jobcooloff, "still cooling off")
        f.clock.advance(101)
        _ = try RetryManagerStage().runCycle(f.context)
        #expect(f.state(of: "t8028") == .created)
        #expect(try f.job("t8028").retryCount == 2)
        #expect(try f.job("t8028").history.contains { $0.actor == "wm-retrymanager" && $0.to == "created" })
    }

    @Test func noRetryCodesGoStraightToExhausted() throws {
        let f = try JobSpoolFixture("noretry")
        try f.failedJob("a8001", exitCode: 8001)
        try f.failedJob("b50660", exitCode: 50660)
        _ = try ErrorHandlerStage().runCycle(f.context)
        #expect(f.state(of: "a8001") == .exhausted)
        #expect(f.state(of: "b50660") == .exhausted)
        #expect(try f.job("a8001").retryCount == 0, "no retry was made")
        #expect(try f.job("a8001").history.contains { $0.reason.contains("8001 is never retried") })
    }

    @Test func retriesStopAtThePerTypeLimit() throws {
        let f = try JobSpoolFixture("limit")
        try f.failedJob("merge3", taskType: "Merge", exitCode: 8028, retryCount: 3)
        try f.failedJob("merge4", taskType: "Merge", exitCode: 8028, retryCount: 4)
        try f.failedJob("log1", taskType: "LogCollect", exitCode: 8028, retryCount: 1)
        try f.failedJob("prod2", taskType: "Production", exitCode: 8028, retryCount: 2)
        try f.failedJob("prod3", taskType: "Production", exitCode: 8028, retryCount: 3)
        _ = try ErrorHandlerStage().runCycle(f.context)
        #expect(f.state(of: "merge3") == .jobcooloff)
        #expect(f.state(of: "merge4") == .exhausted)
        #expect(f.state(of: "log1") == .exhausted)
        #expect(f.state(of: "prod2") == .jobcooloff)
        #expect(f.state(of: "prod3") == .exhausted)
    }

    @Test func pausePausesEveryPauseCountRetries() throws {
        let f = try JobSpoolFixture("pause", config: #"{"errorHandler": {"maxRetries": {"default": 10}}, "retryManager": {"taskTypes": {"default": {"algorithm": "Pause", "coolOffTime": {"job": 0}, "pauseCount": 2}}}}"#)
        try f.failedJob("p", exitCode: 8028)
        var pausedAt: [Int] = []
        for _ in 0..<6 {
            _ = try ErrorHandlerStage().runCycle(f.context)
            f.clock.advance(1)
            _ = try RetryManagerStage().runCycle(f.context)
            if f.state(of: "p") == .jobpaused {
                pausedAt.append(try f.job("p").retryCount)
                // The operator resumes it by moving the file (recorded on the next scan).
                #expect(try f.spool.move("p.json", from: "jobs/jobpaused", to: "jobs/created") == .moved)
            }
            #expect(f.state(of: "p") == .created)
            try f.failAgain("p", exitCode: 8028)
        }
        // Paused when the count reached 2 and 4 (multiples of pauseCount); leaving cool-off for the
        // paused state adds one, as in WMCore, so the paused documents read 3 and 5.
        #expect(pausedAt == [3, 5])
        #expect(try f.job("p").history.contains { $0.actor == "operator" && $0.from == "jobpaused" && $0.to == "created" })
    }

    @Test func retryAlgorithmsFollowWMCore() {
        func decide(_ algorithm: RetryAlgorithm, retry: Int, elapsed: Double, base: Double = 10, code: Int? = nil,
                    runTime: Double? = nil) -> RetryPolicy.Decision {
            let policy = RetryPolicy(taskTypes: ["default": .init(algorithm: algorithm, coolOffTime: ["job": base], oneMoreErrorCodes: [8028])])
            return policy.decide(taskType: "Processing", kind: "job", retryCount: retry, enteredCooloff: 0, now: elapsed,
                                 exitCode: code, runTime: runTime, maxRetries: 5)
        }
        #expect(decide(.default, retry: 3, elapsed: 9) == .wait(until: 10))
        #expect(decide(.default, retry: 3, elapsed: 11) == .retry(retryCount: 3))
        #expect(decide(.default, retry: 1, elapsed: 1000, base: 0) == .giveUp(reason: "the Default retry algorithm has no cool-off time for job failures"))
        #expect(decide(.linear, retry: 3, elapsed: 29) == .wait(until: 30))
        #expect(decide(.squared, retry: 3, elapsed: 89) == .wait(until: 90))
        #expect(decide(.squared, retry: 0, elapsed: 0.001) == .retry(retryCount: 0))
        #expect(decide(.exponential, retry: 3, elapsed: 999) == .wait(until: 1000))
        #expect(decide(.processing, retry: 1, elapsed: 0) == .retry(retryCount: 1))
        #expect(decide(.processing, retry: 1, elapsed: 0, code: 8028) == .retry(retryCount: 4))
        #expect(decide(.processing, retry: 1, elapsed: 0, runTime: 90_000) == .retry(retryCount: 4))
    }
}

@Suite struct JobVerbTests {
    func run(_ f: JobSpoolFixture, _ args: [String], stdin: String = "") -> (Int32, Wmctl.Output) {
        let output = Wmctl.Output()
        let code = Wmctl.run(["--spool", f.spool.root] + args, environment: [:], stdin: { stdin }, output: output)
        return (code, output)
    }

    @Test func pauseResumeFailWithFiltersDryRunAndStdin() throws {
        let f = try JobSpoolFixture("verbs")
        try f.failedJob("a", exitCode: 8028)
        try f.failedJob("b", exitCode: 8021)
        try f.failedJob("c", exitCode: 8028)
        _ = try ErrorHandlerStage().runCycle(f.context)
        #expect(["a", "b", "c"].allSatisfy { f.state(of: $0) == .jobcooloff })

        let (dryCode, dry) = run(f, ["job", "pause", "ALL", "--exit-code", "8028", "--dry-run"])
        #expect(dryCode == 0)
        #expect(dry.stdout.contains("2 job(s) will change (dry run: nothing changed)"))
        #expect(dry.stdout.contains("a: jobcooloff → jobpaused") && dry.stdout.contains("c: jobcooloff → jobpaused"))
        #expect(f.state(of: "a") == .jobcooloff)

        let (code, out) = run(f, ["job", "pause", "ALL", "--exit-code", "8028"])
        #expect(code == 0 && out.stdout.contains("2 job(s) changed"))
        #expect(f.state(of: "a") == .jobpaused && f.state(of: "c") == .jobpaused && f.state(of: "b") == .jobcooloff)

        let (_, resumed) = run(f, ["job", "resume", "-"], stdin: "a\n")
        #expect(resumed.stdout.contains("a: jobpaused → created"))
        #expect(f.state(of: "a") == .created)
        #expect(try f.job("a").history.last?.actor == "operator")

        let (_, failed) = run(f, ["job", "fail", "c"])
        #expect(failed.stdout.contains("c: jobpaused → retrydone"))
        #expect(f.state(of: "c") == .retrydone)

        let (wrong, bad) = run(f, ["job", "resume", "b"])
        #expect(wrong == ExitCode.noInput.rawValue)
        #expect(bad.stderr.contains("'b' is jobcooloff"))
        let (usage, _) = run(f, ["job", "pause", "--exit-code", "1", "a"])
        #expect(usage == ExitCode.usage.rawValue, "filters need ALL")
    }
}
