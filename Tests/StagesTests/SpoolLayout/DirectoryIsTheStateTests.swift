import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import Commands
@testable import Operator
@testable import SpoolLayout
@testable import WMCore

/// The directory-is-the-state rule and the quarantine of bad input, as every stage applies them.
@Suite struct DirectoryIsTheStateTests {
    let spool: Spool
    let jobs: DocumentArea<JobBody>

    init() throws {
        spool = try Spool(root: TestSupport.temporaryDirectory("dirstate"))
        jobs = Areas.jobs(spool)
        try jobs.ensureFolders()
    }

    func makeJob(_ name: String, in state: JobState, path: [JobState]) throws {
        var job = JobDocument(JobBody(name: name, workflow: "wf", task: "/wf/Gen", taskType: "Production",
                                      subscription: "sub1", inputFiles: [SplitFile(lfn: "MCFakeFile-x", events: 100)]))
        for (i, next) in path.enumerated() { try job.transition(to: next, actor: "test", reason: "setup", at: Double(i)) }
        #expect(job.state == state)
        try spool.publish(try jobs.encode(job), as: name + ".json", in: jobs.folder(state))
    }

    @Test func operatorMoveIsRecordedWithActorOperator() throws {
        try makeJob("j1", in: .jobpaused, path: [.created, .executing, .jobfailed, .jobcooloff, .jobpaused])
        #expect(try spool.move("j1.json", from: "jobs/jobpaused", to: "jobs/created") == .moved)  // the operator's mv
        guard case .document(let job) = try jobs.load("j1", in: .created) else { Issue.record("not loaded"); return }
        #expect(job.state == .created)
        let last = try #require(job.history.last)
        #expect(last.from == "jobpaused" && last.to == "created" && last.actor == "operator")
        // The record is on disk, not just in memory.
        guard case .document(let again) = try jobs.load("j1", in: .created) else { Issue.record("not loaded"); return }
        #expect(again.history.count == job.history.count)
    }

    @Test func illegalMoveIsQuarantinedNamingBothStates() throws {
        try makeJob("j2", in: .created, path: [.created])
        #expect(try spool.move("j2.json", from: "jobs/created", to: "jobs/success") == .moved)
        guard case .quarantined(let reason) = try jobs.load("j2", in: .success) else { Issue.record("not quarantined"); return }
        #expect(reason.contains("created") && reason.contains("success"))
        let onDisk = try String(contentsOfFile: spool.path("jobs/corrupt/j2.json.reason"), encoding: .utf8)
        #expect(onDisk.contains("created → success"))
        #expect(FileManager.default.fileExists(atPath: spool.path("jobs/corrupt/j2.json")))
    }

    @Test func badInputIsQuarantinedOrIgnoredAndTheRestIsUndisturbed() throws {
        try makeJob("good", in: .created, path: [.created])
        let dir = spool.path("jobs/created")
        _ = FileManager.default.createFile(atPath: dir + "/malformed.json", contents: Data("{\"name\": ".utf8))
        _ = FileManager.default.createFile(atPath: dir + "/empty.json", contents: Data())
        var wrongSchema = try JSONSerialization.jsonObject(with: Data(try jobs.encode(try loadGood()))) as! [String: Any]
        wrongSchema["schema"] = 99
        wrongSchema["name"] = "future"
        _ = FileManager.default.createFile(atPath: dir + "/future.json", contents: try JSONSerialization.data(withJSONObject: wrongSchema))
        var missingField = try JSONSerialization.jsonObject(with: Data(try jobs.encode(try loadGood()))) as! [String: Any]
        missingField.removeValue(forKey: "workflow")
        missingField["name"] = "nowf"
        _ = FileManager.default.createFile(atPath: dir + "/nowf.json", contents: try JSONSerialization.data(withJSONObject: missingField))
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.json", withDestinationPath: dir + "/good.json")
        try FileManager.default.createDirectory(atPath: dir + "/adir.json", withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: dir + "/..sneaky.json", contents: Data("{}".utf8))
        _ = FileManager.default.createFile(atPath: dir + "/a..b.json", contents: Data("{}".utf8))
        _ = FileManager.default.createFile(atPath: dir + "/notes.txt", contents: Data("hi".utf8))

        let lines = LogCapture()
        let log = Logger(component: "test", sink: lines.append)
        var loaded: [String] = []
        var reasons: [String: String] = [:]
        for name in try jobs.scan(.created, log: log) {
            switch try jobs.load(name, in: .created, log: log) {
            case .document(let doc): loaded.append(doc.name)
            case .quarantined(let reason): reasons[name] = reason
            case .gone: break
            }
        }
        #expect(loaded == ["good"])
        #expect(reasons["malformed"]?.contains("not valid JSON") == true)
        #expect(reasons["empty"]?.contains("empty") == true)
        #expect(reasons["future"]?.contains("field 'schema' is 99, expected 1") == true)
        #expect(reasons["nowf"]?.contains("field 'workflow' is missing") == true)
        let corrupt = Set(try FileManager.default.contentsOfDirectory(atPath: spool.path("jobs/corrupt")))
        for name in ["malformed.json", "empty.json", "future.json", "nowf.json", "link.json", "adir.json", "notes.txt"] {
            #expect(corrupt.contains(name), "\(name) quarantined")
            #expect(corrupt.contains(name + ".reason"), "\(name) has a reason")
        }
        #expect(corrupt.contains { $0.hasPrefix("unsafe-name.") && !$0.hasSuffix(".reason") }, "a..b.json quarantined under a safe name")
        // Issue 17: a dot-name was ignored forever without a word; it is quarantined with its reason now.
        #expect(!FileManager.default.fileExists(atPath: dir + "/..sneaky.json"), "dot-names are quarantined")
        #expect(lines.text.contains("..sneaky.json") && lines.text.contains("hidden name"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["good.json"])
        #expect(lines.text.contains("link.json") && lines.text.contains("symbolic link"))
    }

    func loadGood() throws -> JobDocument {
        guard case .document(let doc) = try jobs.load("good", in: .created) else { throw DocumentProblem("good not loadable") }
        return doc
    }

    @Test func fsckFindsEveryDocumentOnceAndRepairsMismatches() throws {
        try makeJob("a", in: .created, path: [.created])
        try makeJob("b", in: .jobpaused, path: [.created, .executing, .jobfailed, .jobcooloff, .jobpaused])
        _ = try spool.move("b.json", from: "jobs/jobpaused", to: "jobs/created")
        let inspector = SpoolInspector(spool: spool)
        let before = try inspector.fsck(repair: false)
        #expect(before.map(\.kind) == ["state-mismatch"])
        let repaired = try inspector.fsck(repair: true)
        #expect(repaired.first?.repair == "recorded")
        #expect(try inspector.fsck(repair: false).isEmpty)
        #expect(try inspector.counts()["jobs"]?["created"] == 2)
    }
}

/// Collects log lines in memory.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return lines.joined(separator: "\n") }
}
