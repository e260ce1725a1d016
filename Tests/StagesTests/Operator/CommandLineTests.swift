import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import Agent
@testable import BatchSystems
@testable import Benchmarks
@testable import Commands
@testable import Operator
@testable import SpoolLayout
@testable import WMCore

/// Every file under `root` (relative path → content; folders and links marked), to prove a command changed nothing.
func spoolSnapshot(_ root: String) -> [String: Data] {
    var result: [String: Data] = [:]
    guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
    while let relative = walker.nextObject() as? String {
        let path = root + "/" + relative
        var st = stat()
        guard lstat(path, &st) == 0 else { continue }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: result[relative + "/"] = Data()
        case S_IFREG: result[relative] = FileManager.default.contents(atPath: path) ?? Data("unreadable".utf8)
        default: result[relative + "@"] = Data()
        }
    }
    return result
}

/// Runs a built program with a time limit; returns its status (nil when it had to be killed) and standard error.
func runWithTimeout(_ program: String, _ arguments: [String], seconds: Double, environment: [String: String] = [:]) throws -> (status: Int32?, stderr: String) {
    let run = try TestSupport.runBounded(TestSupport.executable(program), arguments, environment: environment, seconds: seconds)
    return (run.timedOut ? nil : run.status, run.stderr)
}

/// The strict command lines (issue 17): unknown options and bad values exit 64 and do nothing, `--dry-run`
/// changes nothing or is refused, `--spool` must name a spool, the configuration must be there and right.
@Suite struct CommandLineTests {
    /// A spool as `wmagent init` makes it, with the example configurations.
    static func initializedSpool(_ label: String) throws -> Spool {
        let root = TestSupport.temporaryDirectory(label) + "/spool"
        try AgentSpool.initialize(at: root)
        return try Spool(root: root, durability: .none)
    }

    /// Runs `wmctl` in process on `spool`.
    static func wmctl(_ spool: Spool, _ args: [String]) -> (code: Int32, out: Wmctl.Output) {
        let output = Wmctl.Output()
        return (Wmctl.run(args + ["--spool", spool.root], environment: [:], stdin: { "" }, output: output), output)
    }

    /// Places a created job of `workflow`.
    static func createdJob(_ name: String, workflow: String, in spool: Spool) throws {
        var job = JobDocument(JobBody(name: name, workflow: workflow, task: "/\(workflow)/T", taskType: "Production", subscription: "s",
                                      inputFiles: [SplitFile(lfn: "MCFakeFile-\(workflow)", events: 10)]))
        try job.transition(to: .created, actor: "test", reason: "", at: 0)
        try spool.publish(try Areas.jobs(spool).encode(job), as: name + ".json", in: "jobs/created")
    }

    static func state(of name: String, in spool: Spool) -> JobState? {
        JobState.allCases.first { FileManager.default.fileExists(atPath: spool.path("jobs/\($0.rawValue)/\(name).json")) }
    }

    @Test func jobKillAllWithTheEqualsFormKillsOnlyThatWorkflow() throws {
        let spool = try Self.initializedSpool("kill-equals")
        for n in 1...2 {
            try Self.createdJob("killme-\(n)", workflow: "killme", in: spool)
            try Self.createdJob("keep-\(n)", workflow: "keep", in: spool)
        }
        let (code, out) = Self.wmctl(spool, ["job", "kill", "ALL", "--workflow=killme"])
        #expect(code == 0, "\(out.stderr)")
        #expect(out.stdout.contains("2 job(s) changed"))
        #expect(Self.state(of: "killme-1", in: spool) == .killed && Self.state(of: "killme-2", in: spool) == .killed)
        #expect(Self.state(of: "keep-1", in: spool) == .created && Self.state(of: "keep-2", in: spool) == .created)
    }

    @Test func jobKillRefusesAnUnknownOptionAndAnExitCodeThatDoesNotParse() throws {
        let spool = try Self.initializedSpool("kill-refused")
        try Self.createdJob("a-1", workflow: "a", in: spool)
        try Self.createdJob("b-1", workflow: "b", in: spool)
        let before = spoolSnapshot(spool.root)
        let unknown = Self.wmctl(spool, ["job", "kill", "ALL", "--frobnicate"])
        #expect(unknown.code == 64 && unknown.out.stderr.contains("unknown option '--frobnicate'"))
        let badCode = Self.wmctl(spool, ["job", "kill", "ALL", "--exit-code", "abc"])
        #expect(badCode.code == 64 && badCode.out.stderr.contains("--exit-code") && badCode.out.stderr.contains("'abc'"))
        let negative = Self.wmctl(spool, ["job", "kill", "ALL", "--exit-code=-1"])
        #expect(negative.code == 64)
        let otherVerbs = Self.wmctl(spool, ["job", "kill", "ALL", "--stuck-after", "5"])
        #expect(otherVerbs.code == 64, "an option of another verb")
        #expect(spoolSnapshot(spool.root) == before, "nothing killed")
    }

    @Test func everyDryRunLeavesTheSpoolByteForByteUnchangedAndSaysWhatItWouldDo() throws {
        let spool = try Self.initializedSpool("dry-run")
        let submitted = Self.wmctl(spool, ["request", "submit", TestSupport.packageRoot + "/etc/examples/TaskChain_MC.json"])
        try #require(submitted.code == 0, "\(submitted.out.stderr)")
        let name = submitted.out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try Self.createdJob("wf-1", workflow: "wf", in: spool)
        try Data("junk".utf8).write(to: URL(fileURLWithPath: spool.path("jobs/created/junk.json")))
        let site = try ExecutionLayout.siteConfiguration(spool: spool).sites[0].name
        let before = spoolSnapshot(spool.root)
        let cases: [(args: [String], says: String)] = [
            (["request", "approve", name, "--dry-run"], "would move new → assignment-approved"),
            (["request", "reject", name, "--dry-run"], "would move new → rejected"),
            (["request", "approve", name, "-n"], "would move new → assignment-approved"),
            (["site", "set-state", site, "Down", "--dry-run"], "would be Down"),
            (["site", "set-slots", site, "1", "2", "--dry-run"], "would set"),
            (["fsck", "--repair", "--dry-run"], "nothing repaired"),
            (["job", "kill", "ALL", "--dry-run"], "dry run: nothing changed"),
        ]
        for (args, says) in cases {
            let (code, out) = Self.wmctl(spool, args)
            #expect(code == 0 || (args[0] == "fsck" && code == 65), "wmctl \(args): \(code) \(out.stderr)")
            #expect(out.stdout.contains(says), "wmctl \(args) printed: \(out.stdout)")
            #expect(spoolSnapshot(spool.root) == before, "wmctl \(args.joined(separator: " ")) changed the spool")
        }
        let resubmit = Self.wmctl(spool, ["request", "resubmit", name, "--dry-run"])
        #expect(resubmit.code == 66 && resubmit.out.stderr.contains("no ACDC records"))
        // Verbs without a dry run refuse it, doing nothing.
        for args in [["request", "submit", TestSupport.packageRoot + "/etc/examples/TaskChain_MC.json", "--dry-run"],
                     ["request", "assign", name, "--set", "Team=production", "--dry-run"], ["request", "priority", name, "5", "--dry-run"],
                     ["config", "add", TestSupport.packageRoot + "/etc/examples/configs/GenSim.json", "--dry-run"],
                     ["catalog", "import", "x.json", "--dry-run"], ["status", "--dry-run"]] {
            let (code, out) = Self.wmctl(spool, args)
            #expect(code == 64 && out.stderr.contains("--dry-run"), "wmctl \(args): \(code) \(out.stderr)")
        }
        #expect(spoolSnapshot(spool.root) == before)
        // And the real thing does change it.
        #expect(Self.wmctl(spool, ["request", "approve", name]).code == 0)
        #expect(spoolSnapshot(spool.root) != before)
    }

    @Test func wmagentRunOnceDryRunEndsAndChangesNothing() throws {
        let spool = try Self.initializedSpool("agent-dry")
        let before = spoolSnapshot(spool.root)
        let (status, stderr) = try runWithTimeout("wmagent", ["run", "--once", "--dry-run", "--spool", spool.root], seconds: 60)
        #expect(status == 64, "\(stderr)")
        #expect(stderr.contains("--dry-run is not supported"))
        #expect(spoolSnapshot(spool.root) == before)
        let reqmgr = try runWithTimeout("wm-reqmgr", ["--dry-run", "--spool", spool.root], seconds: 60)
        #expect(reqmgr.status == 64 && spoolSnapshot(spool.root) == before)
    }

    @Test func aSpoolThatDoesNotExistIsAnErrorAndIsNotCreated() throws {
        let missing = TestSupport.temporaryDirectory("no-spool") + "/nonexistent"
        let output = Wmctl.Output()
        #expect(Wmctl.run(["--spool", missing, "status"], environment: [:], output: output) == 66)
        #expect(output.stderr.contains(missing) && output.stderr.contains("wmagent init"))
        for (program, arguments) in [("wm-errorhandler", ["--spool", missing]), ("wmagent", ["run", "--once", "--spool", missing]),
                                     ("wm-jobcreator", ["--spool=" + missing])] {
            let (status, stderr) = try runWithTimeout(program, arguments, seconds: 60)
            #expect(status == 66, "\(program): \(stderr)")
        }
        let notASpool = TestSupport.temporaryDirectory("not-a-spool")
        #expect(Wmctl.run(["--spool", notASpool, "ls", "jobs/created"], environment: [:], output: Wmctl.Output()) == 66)
        #expect(!FileManager.default.fileExists(atPath: missing) && !FileManager.default.fileExists(atPath: notASpool + "/.tmp"))
    }

    @Test func theEqualsFormOfSpoolIsUsed() throws {
        let spool = try Self.initializedSpool("spool-equals")
        let (status, stderr) = try runWithTimeout("wm-errorhandler", ["--once", "--spool=" + spool.root], seconds: 60)
        #expect(status == 0, "\(stderr)")
        #expect(FileManager.default.fileExists(atPath: spool.path(".status/wm-errorhandler.json")))
        let output = Wmctl.Output()
        #expect(Wmctl.run(["--spool=" + spool.root, "ls", "jobs/created"], environment: ["WM_SPOOL": "/nonexistent"], output: output) == 0)
    }

    @Test func aConfigurationThatIsMissingMalformedOrOutOfRangeIsAnError() throws {
        let spool = try Self.initializedSpool("config")
        let dir = TestSupport.temporaryDirectory("configs")
        let files: [(name: String, text: String, status: Int32, says: [String])] = [
            ("malformed.json", "{\"agentName\": ", 65, ["malformed JSON"]),
            ("unknown.json", #"{"errorHandlr": {}}"#, 65, ["errorHandlr", "unknown key", "errorHandler"]),
            ("negative.json", #"{"errorHandler": {"maxRetries": {"default": -1}}}"#, 65, ["errorHandler.maxRetries.default", "-1", "0 to 1000"]),
            ("cooloff.json", #"{"retryManager": {"taskTypes": {"default": {"algorithm": "Linear", "coolOffTime": {"job": -5}}}}}"#, 65, ["coolOffTime.job"]),
        ]
        for file in files {
            try Data(file.text.utf8).write(to: URL(fileURLWithPath: dir + "/" + file.name))
            let (status, stderr) = try runWithTimeout("wm-errorhandler", ["--spool", spool.root, "--config", dir + "/" + file.name], seconds: 60)
            #expect(status == file.status, "\(file.name): \(stderr)")
            #expect(file.says.allSatisfy(stderr.contains) && stderr.contains(file.name), "\(file.name): \(stderr)")
        }
        let missing = try runWithTimeout("wm-errorhandler", ["--spool", spool.root, "--config", "/nonexistent"], seconds: 60)
        #expect(missing.status == 66 && missing.stderr.contains("/nonexistent"))
        // A FIFO as agent.json: refused at once, not waited on.
        try FileManager.default.removeItem(atPath: spool.path("etc/agent.json"))
        #expect(mkfifo(spool.path("etc/agent.json"), 0o644) == 0)
        let fifo = try runWithTimeout("wm-errorhandler", ["--spool", spool.root], seconds: 30)
        #expect(fifo.status == 66 && fifo.stderr.contains("a FIFO (named pipe)"), "\(fifo)")
        // No agent.json at all: an error, not the defaults (wmctl's request verbs read it too).
        try FileManager.default.removeItem(atPath: spool.path("etc/agent.json"))
        let absent = try runWithTimeout("wmagent", ["run", "--once", "--spool", spool.root], seconds: 60)
        #expect(absent.status == 66 && absent.stderr.contains("etc/agent.json"), "\(absent)")
        let (code, out) = Self.wmctl(spool, ["request", "ls"])
        #expect(code == 66 && out.stderr.contains("etc/agent.json"))
    }

    @Test func theShippedConfigurationPassesTheStrictCheck() throws {
        let shipped = try AgentConfiguration.load(path: TestSupport.packageRoot + "/etc/agent.json")
        #expect(shipped.errorHandler == ErrorPolicy.wmcoreDefault)
        #expect(try AgentConfiguration(validating: Array("{}".utf8), path: "x").agentName == AgentConfiguration.standard.agentName)
    }

    @Test func numbersOnTheCommandLineAreRangeChecked() throws {
        let spool = try Self.initializedSpool("numbers")
        for args in [["--batch", "0"], ["--batch", "99999999999999999999"], ["--interval", "-1"], ["--interval", "nan"], ["--interval=inf"],
                     ["--watch", "--once"], ["--log-format", "xml"]] {
            let (status, stderr) = try runWithTimeout("wm-errorhandler", ["--spool", spool.root] + args, seconds: 60)
            #expect(status == 64, "\(args): \(stderr)")
        }
        for args in [["status", "--stuck-after", "-5"], ["request", "priority", "x", "1000000"], ["site", "set-slots", "T2_CH_CERN", "-1", "2"]] {
            #expect(Self.wmctl(spool, args).code == 64, "\(args)")
        }
        #expect(throws: CommandFailure.self) { try AgentBenchmark.Settings.parse(["--jobs", "0"]) }
        #expect(throws: CommandFailure.self) { try AgentBenchmark.Settings.parse(["--jobs=-3"]) }
    }

    @Test func verbHelpIsTheVerbsOwn() throws {
        let spool = try Self.initializedSpool("help")
        let (code, out) = Self.wmctl(spool, ["job", "kill", "--help"])
        #expect(code == 0 && out.stdout.hasPrefix("wmctl job kill —") && out.stdout.contains("--exit-code N"))
        let group = Self.wmctl(spool, ["request", "--help"])
        #expect(group.code == 0 && group.out.stdout.contains("wmctl request approve") && !group.out.stdout.contains("catalog"))
        let stage = try TestSupport.run(TestSupport.executable("wmagent"), ["run", "--help"])
        #expect(stage.status == 0 && stage.stdout.contains("--stall-timeout"))
    }

    /// Every program (and every wmctl verb) refuses an unknown option with 64.
    @Test(arguments: [
        ["wm-reqmgr"], ["wm-workqueue"], ["wm-workqueue", "local"], ["wm-jobcreator"], ["wm-jobsubmitter"], ["wm-jobtracker"],
        ["wm-accountant"], ["wm-errorhandler"], ["wm-retrymanager"], ["wm-jobarchiver"], ["wm-taskarchiver"], ["wm-dbsupload"],
        ["wm-rucioinjector"], ["wmagent", "init"], ["wmagent", "run"], ["wmagent", "bench"], ["wm-runjob"], ["wm-cmsrun"], ["wmctl", "status"],
        ["wm-bench-accountant"], ["wm-bench-events"], ["wm-bench-fjr"], ["wm-bench-json"], ["wm-bench-split"], ["wm-bench-spool"],
        ["spool-torture", "crash"],
    ])
    func everyProgramRefusesAnUnknownOption(_ command: [String]) throws {
        let scratch = TestSupport.temporaryDirectory("unknown-option")
        let (status, stderr) = try runWithTimeout(command[0], Array(command.dropFirst()) + ["--frobnicate", "1"], seconds: 60,
                                                  environment: ["WM_SPOOL": scratch + "/spool"])
        #expect(status == 64, "\(command): \(stderr)")
        #expect(stderr.contains("--frobnicate"), "\(command): \(stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch + "/spool"))
    }

    @Test func everyWmctlVerbRefusesAnUnknownOption() throws {
        let spool = try Self.initializedSpool("verbs-unknown")
        let before = spoolSnapshot(spool.root)
        for command in Wmctl.commands {
            let (code, out) = Self.wmctl(spool, command.words + ["--frobnicate"])
            #expect(code == 64 && out.stderr.contains("--frobnicate"), "wmctl \(command.words): \(code) \(out.stderr)")
        }
        #expect(spoolSnapshot(spool.root) == before)
    }
}
