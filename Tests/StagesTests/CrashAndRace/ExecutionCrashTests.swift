import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import BatchSystems
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// kill -9 of wm-jobsubmitter in the middle of its batches, and shell injection through names.
@Suite struct ExecutionCrashTests {
    @Test func killedSubmitterNeverSubmitsTwiceNorLosesAJob() throws {
        let rounds = Int(ProcessInfo.processInfo.environment["WM_CRASH_ROUNDS"] ?? "") ?? 50
        let jobCount = 150
        let fx = try ExecutionFixture("submit-crash", sites: [ExecutionFixture.localSite("T2_CH_CERN", pending: 1000, running: 1000, slots: 1000)])
        for i in 0..<jobCount { try fx.addJob("job\(i)", sites: ["T2_CH_CERN"], priority: i % 7) }
        let payloadLog = fx.spool.root + "/payload.log"
        let runjob = try fx.writeRunjob("echo \"$WM_JOB-$WM_RETRY\" >> '\(payloadLog)'")
        let program = TestSupport.executable("wm-jobsubmitter")
        let arguments = ["--spool", fx.spool.root, "--once", "--batch", "3", "--runjob", runjob]
        var generator = SeededGenerator(seed: 20261122)
        var killedMidway = 0
        for _ in 0..<rounds {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 5_000...60_000, using: &generator))
            if process.isRunning { kill(process.processIdentifier, SIGKILL); killedMidway += 1 }
            process.waitUntilExit()
        }
        let final = try TestSupport.run(program, arguments)
        #expect(final.status == 0, "\(final.stderr)")
        #expect(killedMidway >= rounds / 2, "most rounds were killed while working (\(killedMidway) of \(rounds))")

        // None lost: every job exactly once, in executing/, with its batch id.
        #expect(try fx.names(.created).isEmpty)
        let executing = try fx.names(.executing)
        #expect(executing.count == jobCount)
        for name in executing { #expect(try fx.job(name, .executing).batchID == name + "-0") }
        let quarantined = (try? FileManager.default.contentsOfDirectory(atPath: fx.spool.path("jobs/corrupt"))) ?? []
        #expect(quarantined.isEmpty, "\(quarantined)")

        // None submitted twice: the plugin's start records and the payloads' own log.
        let started = try String(contentsOfFile: fx.spool.path("batch/local/T2_CH_CERN/started.log"), encoding: .utf8).split(separator: "\n")
        #expect(Set(started).count == started.count, "a key was started twice")
        let registered = try FileManager.default.contentsOfDirectory(atPath: fx.spool.path("batch/local/T2_CH_CERN/pending"))
            + FileManager.default.contentsOfDirectory(atPath: fx.spool.path("batch/local/T2_CH_CERN/running"))
            + FileManager.default.contentsOfDirectory(atPath: fx.spool.path("batch/local/T2_CH_CERN/finished"))
        #expect(registered.filter { !$0.hasPrefix(".") }.count == jobCount)
        usleep(500_000)
        let ran = ((try? String(contentsOfFile: payloadLog, encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(Set(ran).count == ran.count, "a payload ran twice")
    }

    static let hostile = ["'; touch MARK; '", "$(touch MARK)", "`touch MARK`", "a b\nc; touch MARK", "\"; touch MARK; \"", "x' \"$(touch MARK)\" '"]

    @Test func shellMetacharactersInNamesAndArgumentsStayData() throws {
        let dir = TestSupport.temporaryDirectory("inject")
        let marker = dir + "/pwned"
        let values = Self.hostile.map { $0.replacingOccurrences(of: "MARK", with: marker) }
        var environment: [String: String] = [:]
        for (i, v) in values.enumerated() { environment["WM_VALUE_\(i)"] = v }
        let submission = BatchSubmission(key: "k-0", jobName: values[0], workDirectory: dir + "/work dir; touch " + marker,
                                         arguments: ["/bin/sh", "-c", "printf '%s\\n' \"$@\"; env", "sh"] + values,
                                         environment: environment)
        for recordExitCode in [true, false] {
            let script = try JobScript.render(submission, recordExitCode: recordExitCode)
            try SystemCall.makeDirectories(submission.workDirectory)
            let path = dir + "/script-\(recordExitCode).sh"
            try script.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try TestSupport.run("/bin/sh", [path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.hasPrefix(values.joined(separator: "\n") + "\n"), "arguments arrive verbatim")
            for (i, v) in values.enumerated() { #expect(result.stdout.contains("WM_VALUE_\(i)=" + v)) }
        }
        #expect(!FileManager.default.fileExists(atPath: marker), "no value became shell code")
        let slurm = SlurmBatchPlugin(spoolRoot: dir)
        #expect(slurm.sbatchArguments(submission, script: "/s.sh").contains("--job-name=\(slurm.agentTag).k-0"))
        #expect(SlurmBatchPlugin.jobName(forKey: "a,b c'd") == "a=2Cb=20c=27d")
        #expect(throws: BatchPluginError.self) {
            try JobScript.render(BatchSubmission(key: "k", jobName: "j", workDirectory: "/w", arguments: ["/bin/true"], environment: ["A;B": "x"]), recordExitCode: false)
        }
    }

    @Test func hostileTaskAndWorkflowNamesRunEndToEndWithoutInjection() throws {
        let fx = try ExecutionFixture("inject-e2e", sites: [ExecutionFixture.localSite("T2_CH_CERN")])
        let marker = fx.spool.root + "/pwned"
        let values = Self.hostile.map { $0.replacingOccurrences(of: "MARK", with: marker) }
        try fx.addJob("evil", sites: ["T2_CH_CERN"], task: "/wf/" + values.joined(), workflow: values[0] + "/../" + values[1])
        let runjob = try fx.writeRunjob("printf '%s' \"$WM_TASK\" > \"$dir/task.txt\"\necho '<FrameworkJobReport/>' > \"$dir/Report.0.xml\"")
        _ = try JobSubmitterStage(runjobPath: runjob).runCycle(fx.context())
        try fx.trackUntilDone("evil", tracker: JobTrackerStage())
        let done = try fx.job("evil", .complete)
        let workDir = JobWorkDirectory(spool: fx.spool, job: done.body).path
        #expect(workDir.hasPrefix(fx.spool.path("work/")) && !workDir.contains("/../"))
        #expect(try String(contentsOfFile: workDir + "/task.txt", encoding: .utf8) == "/wf/" + values.joined())
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
