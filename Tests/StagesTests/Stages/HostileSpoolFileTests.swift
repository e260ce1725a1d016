import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import Operator
@testable import SpoolLayout
@testable import WMCore

/// Issue 17 (files), the exact cases: a FIFO as a job report, as `etc/sites.json`, in `configcache/`; a
/// 100 MB file in `reqmgr/incoming/` and `jobs/created/`; a name that is not UTF-8; `..dots.json`. Every
/// stage runs as a child process with a deadline, so a regression fails the test instead of hanging it.
@Suite struct HostileSpoolFileTests {
    /// The outcome of a bounded run.
    struct BoundedRun {
        var status: Int32
        var stderr: String
        var timedOut: Bool
    }

    /// Runs a built program of the package with `WM_SPOOL=root`, killing it after `seconds`.
    static func runBounded(_ program: String, _ arguments: [String] = [], spool root: String, seconds: Double = 60) throws -> BoundedRun {
        let run = try TestSupport.runBounded(TestSupport.executable(program), arguments, environment: ["WM_SPOOL": root], seconds: seconds)
        return BoundedRun(status: run.status, stderr: run.stderr, timedOut: run.timedOut)
    }

    /// Turns every configuration in the spool's config cache (those the example names) into a FIFO.
    static func replaceConfigurationsWithFIFOs(_ f: RequestFixture) throws {
        let cache = f.spool.path(ConfigCacheStore.folder)
        for file in try FileManager.default.contentsOfDirectory(atPath: cache) where file.hasSuffix(".json") {
            try FileManager.default.removeItem(atPath: cache + "/" + file)
            #expect(mkfifo(cache + "/" + file, 0o644) == 0)
        }
    }

    /// Makes an empty file of `size` bytes at `path` (sparse: no disk used).
    static func largeFile(_ path: String, size: Int = 100 << 20) throws {
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, off_t(size)) == 0)
    }

    /// A spool with the example's configurations and an empty `reqmgr/incoming/`.
    static func requestSpool(_ label: String) throws -> RequestFixture {
        let f = try RequestFixture(label)
        try f.spool.ensureDirectories(["reqmgr/incoming"])
        return f
    }

    /// The `.reason` files in a folder.
    static func reasons(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".reason") }
    }

    @Test func aFIFOAsAJobReportNeverBlocksTheAccountant() throws {
        let f = try AccountingFixture("fifo-report")
        try f.completeJob("j1", writeReport: false)
        let work = JobWorkDirectory(spool: f.spool, workflow: f.workflow, job: "j1", retry: 0)
        #expect(mkfifo(work.reportPath, 0o644) == 0)
        try f.completeJob("j2")
        let run = try Self.runBounded("wm-accountant", spool: f.spool.root)
        #expect(!run.timedOut, "wm-accountant blocked on the FIFO")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(f.state(of: "j2") == .success, "the job behind it is accounted")
        #expect(f.state(of: "j1") == .jobfailed, "the attempt without a readable report fails")
    }

    @Test func aFIFOAsSitesJSONIsAClearErrorForTheSubmitter() throws {
        let f = try JobSpoolFixture("fifo-sites")
        try FileManager.default.removeItem(atPath: f.spool.path("etc/sites.json"))
        #expect(mkfifo(f.spool.path("etc/sites.json"), 0o644) == 0)
        let run = try Self.runBounded("wm-jobsubmitter", spool: f.spool.root)
        #expect(!run.timedOut, "wm-jobsubmitter blocked on etc/sites.json")
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("etc/sites.json is a FIFO (named pipe); expected a regular file of at most"), "\(run.stderr)")
        #expect(SystemCall.exists(f.spool.path("etc/sites.json")), "not a queue: left where it is")
    }

    @Test func aFIFOInTheConfigCacheRejectsTheRequestNamingTheFile() throws {
        let f = try Self.requestSpool("fifo-configcache")
        try Self.replaceConfigurationsWithFIFOs(f)
        try FileManager.default.copyItem(atPath: f.example, toPath: f.spool.path("reqmgr/incoming/mc.json"))
        try f.spool.publish(Array("{}".utf8), as: "behind.json", in: "reqmgr/incoming")
        let run = try Self.runBounded("wm-reqmgr", spool: f.spool.root)
        #expect(!run.timedOut, "wm-reqmgr blocked on a FIFO in configcache/")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try f.spool.scan("reqmgr/incoming").names.isEmpty, "both submissions were taken")
        let rejected = f.spool.path("reqmgr/rejected")
        let reasons = Self.reasons(in: rejected).compactMap { try? String(contentsOfFile: rejected + "/" + $0, encoding: .utf8) }
        #expect(reasons.count == 2)
        #expect(reasons.contains { $0.contains("mc.json") && $0.contains("is a FIFO (named pipe)") && $0.contains("configcache/") }, "\(reasons)")
    }

    @Test func oneHundredMegabytesInIncomingIsQuarantinedAndTheRequestBehindItAccepted() throws {
        let f = try Self.requestSpool("large-incoming")
        try Self.largeFile(f.spool.path("reqmgr/incoming/a-large.json"))
        try FileManager.default.copyItem(atPath: f.example, toPath: f.spool.path("reqmgr/incoming/b-good.json"))
        let run = try Self.runBounded("wm-reqmgr", spool: f.spool.root)
        #expect(!run.timedOut && run.status == 0, "\(run.stderr)")
        #expect(try f.spool.scan("reqmgr/new").names.count == 1, "the request behind it is accepted")
        #expect(!SystemCall.exists(f.spool.path("reqmgr/incoming/a-large.json")))
        let reason = try String(contentsOfFile: f.spool.path("reqmgr/corrupt/a-large.json.reason"), encoding: .utf8)
        #expect(reason.contains("reqmgr/incoming/a-large.json is 104857600 bytes, too large; expected a regular file of at most \(Spool.documentSizeLimit) bytes"), "\(reason)")
    }

    @Test func oneHundredMegabytesInJobsCreatedIsQuarantinedAndTheJobBehindItSubmitted() throws {
        let f = try JobSpoolFixture("large-created")
        var job = JobDocument(JobBody(name: "z-good", workflow: "wf", task: "/wf/T", taskType: "Production", subscription: "s",
                                      inputFiles: [SplitFile(lfn: "MCFakeFile-wf", events: 10)]))
        try job.transition(to: .created, actor: "t", reason: "", at: f.clock.now)
        try f.spool.publish(try f.jobs.encode(job), as: "z-good.json", in: "jobs/created")
        try Self.largeFile(f.spool.path("jobs/created/a-large.json"))
        let run = try Self.runBounded("wm-jobsubmitter", spool: f.spool.root)
        #expect(!run.timedOut && run.status == 0, "\(run.stderr)")
        #expect(!SystemCall.exists(f.spool.path("jobs/created/a-large.json")))
        #expect(!SystemCall.exists(f.spool.path("jobs/created/z-good.json")), "the job behind it left created/")
        let reason = try String(contentsOfFile: f.spool.path("jobs/corrupt/a-large.json.reason"), encoding: .utf8)
        #expect(reason.contains("jobs/created/a-large.json is 104857600 bytes, too large"), "\(reason)")
    }

    @Test func aNameThatIsNotUTF8IsMovedOnceWithOneReason() throws {
        let f = try Self.requestSpool("undecodable-incoming")
        let path = (Array(f.spool.path("reqmgr/incoming/").utf8) + [0x72, 0xE9, 0x71, 0x2E, 0x6A, 0x73, 0x6F, 0x6E] + [0])
            .map { CChar(bitPattern: $0) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0)
        close(fd)
        for _ in 0..<2 {
            let run = try Self.runBounded("wm-reqmgr", spool: f.spool.root)
            #expect(!run.timedOut && run.status == 0, "\(run.stderr)")
        }
        var left = 0
        try SystemCall.forEachEntry(in: f.spool.path("reqmgr/incoming")) { _, _ in left += 1; return true }
        #expect(left == 0, "moved out of the queue")
        let reasons = Self.reasons(in: f.spool.path("reqmgr/corrupt"))
        #expect(reasons.count == 1, "one reason, not one per run: \(reasons)")
    }

    @Test func aDotNameInIncomingIsQuarantinedWithItsReason() throws {
        let f = try Self.requestSpool("dots-incoming")
        try FileManager.default.copyItem(atPath: f.example, toPath: f.spool.path("reqmgr/incoming/..dots.json"))
        for _ in 0..<2 {
            let run = try Self.runBounded("wm-reqmgr", spool: f.spool.root)
            #expect(!run.timedOut && run.status == 0, "\(run.stderr)")
        }
        #expect(!SystemCall.exists(f.spool.path("reqmgr/incoming/..dots.json")))
        let reasons = Self.reasons(in: f.spool.path("reqmgr/corrupt"))
        #expect(reasons.count == 1, "\(reasons)")
        let text = (try? String(contentsOfFile: f.spool.path("reqmgr/corrupt/" + (reasons.first ?? "")), encoding: .utf8)) ?? ""
        #expect(text.contains("reqmgr/incoming/..dots.json") && text.contains("hidden name"), "\(text)")
    }
}

extension HostileSpoolFileTests {
    /// A spool without `etc/sites.json` is an error naming it (66), never the built-in sites silently.
    @Test func aMissingSitesJSONIsAnErrorNotADefault() throws {
        let f = try JobSpoolFixture("missing-sites")
        try FileManager.default.removeItem(atPath: f.spool.path("etc/sites.json"))
        let run = try Self.runBounded("wm-jobsubmitter", spool: f.spool.root)
        #expect(run.status == 66, "\(run.stderr)")
        #expect(run.stderr.contains("etc/sites.json is missing"), "\(run.stderr)")
        let status = Wmctl.Output()
        #expect(Wmctl.run(["--spool", f.spool.root, "site", "ls"], environment: [:], stdin: { "" }, output: status) == 66, "\(status.stderr)")
    }

    /// A malformed `etc/sites.json` (an out-of-range value) is bad input: 65 from the stage programs and from
    /// `wmctl`, naming the file, the field, what was found and what is allowed (it was exit 1).
    @Test func aMalformedSitesJSONIsADataError() throws {
        let f = try JobSpoolFixture("malformed-sites")
        let path = f.spool.path("etc/sites.json")
        var sites = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        var list = try #require(sites["sites"] as? [[String: Any]])
        list[0]["gpus"] = -3
        sites["sites"] = list
        try JSONSerialization.data(withJSONObject: sites).write(to: URL(fileURLWithPath: path))
        let run = try Self.runBounded("wm-jobsubmitter", spool: f.spool.root)
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("etc/sites.json: field 'sites[0].gpus' is '-3'"), "\(run.stderr)")
        let status = Wmctl.Output()
        #expect(Wmctl.run(["--spool", f.spool.root, "site", "ls"], environment: [:], stdin: { "" }, output: status) == 65, "\(status.stderr)")
        #expect(status.stderr.contains("sites[0].gpus"), "\(status.stderr)")
    }

    /// `wmctl request submit` of a request whose configuration is a FIFO in `configcache/`: refused at once (65),
    /// naming the file, instead of waiting on the FIFO forever.
    @Test func wmctlRequestSubmitWithAFIFOInTheConfigCacheIsRefusedAtOnce() throws {
        let f = try Self.requestSpool("fifo-configcache-wmctl")
        try Self.replaceConfigurationsWithFIFOs(f)
        let run = try TestSupport.runBounded(TestSupport.executable("wmctl"), ["--spool", f.spool.root, "request", "submit", f.example, "--assign"],
                                             seconds: 60)
        #expect(!run.timedOut && run.status == 65, "\(run)")
        #expect(run.stderr.contains("is a FIFO (named pipe)") && run.stderr.contains("configcache/"), "\(run.stderr)")
    }
}
