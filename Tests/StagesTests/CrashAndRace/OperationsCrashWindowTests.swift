import Foundation
import SpoolKit
@testable import SpoolLayout
@testable import Stages
import TestSupport
import Testing
import WMCore

/// The bug the chaos test found: a stage that made two transitions in one go (assigned → staging →
/// staged) renamed the document straight into the last folder; a SIGKILL before its content was
/// rewritten left `staged/` holding a document recorded as `assigned`, which the directory-is-the-state
/// rule must quarantine (assigned → staged is no legal step) — the request was lost. Moves now hop
/// through every intermediate state, so a kill leaves the document at most one legal step behind.
@Suite struct OperationsCrashWindowTests {
    /// An assigned example request in a fresh spool: its area, name and loaded document.
    func assignedRequest(_ label: String) throws -> (RequestFixture, DocumentArea<RequestBody>, String, RequestDocument) {
        let f = try RequestFixture(label)
        let (code, out) = f.wmctl(["request", "submit", f.example, "--assign"])
        try #require(code == 0, "\(out.stderr)")
        let name = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let area = RequestManager.area(f.spool)
        guard case .document(let doc) = try area.load(name, in: .assigned) else { throw OperationsFailure("\(name) not in assigned/") }
        return (f, area, name, doc)
    }

    @Test func killBeforeTheCommitOfATwoStepMoveLeavesARepairableDocument() throws {
        let (f, area, name, original) = try assignedRequest("hop")
        var doc = original
        try doc.transition(to: .staging, actor: "test", reason: "", at: 1)
        try doc.transition(to: .staged, actor: "test", reason: "", at: 1)
        let batch = SpoolBatch(spool: f.spool)
        #expect(try area.move(doc, original: original, from: .assigned, batch: batch) == .moved)
        // Killed here: the batch never commits. The document is in staged/, recorded one step behind.
        let bytes = try #require(try f.spool.read(name + ".json", in: "reqmgr/staged"))
        guard case .success(let left) = area.decode(bytes, file: name) else { Issue.record("unreadable"); return }
        #expect(left.state == .staging)
        guard case .document(let repaired) = try area.load(name, in: .staged) else {
            Issue.record("quarantined: \(try String(contentsOfFile: f.spool.path("reqmgr/corrupt/\(name).json.reason"), encoding: .utf8))")
            return
        }
        #expect(repaired.state == .staged)
        #expect(repaired.history.suffix(2).map(\.to) == ["staging", "staged"])
    }

    @Test func aStraightRenameWouldHaveLostTheRequest() throws {
        // The old way, for contrast: rename straight to staged/, killed before the content is rewritten.
        let (f, area, name, original) = try assignedRequest("straight")
        var doc = original
        try doc.transition(to: .staging, actor: "test", reason: "", at: 1)
        try doc.transition(to: .staged, actor: "test", reason: "", at: 1)
        let batch = SpoolBatch(spool: f.spool)
        #expect(try batch.moveReplacingContent(name + ".json", from: "reqmgr/assigned", to: "reqmgr/staged", with: try area.encode(doc)) == .moved)
        guard case .quarantined(let reason) = try area.load(name, in: .staged) else {
            Issue.record("a document two steps behind its folder was accepted"); return
        }
        #expect(reason.contains("does not allow assigned → staged"))
    }

    @Test func globalQueueFinishesARequestLeftInStaging() throws {
        let (f, area, name, original) = try assignedRequest("staging")
        var doc = original
        try doc.transition(to: .staging, actor: "test", reason: "killed before the second hop", at: 1)
        let batch = SpoolBatch(spool: f.spool)
        #expect(try area.move(doc, original: original, from: .assigned, batch: batch) == .moved)
        try batch.commit()
        #expect(FileManager.default.fileExists(atPath: f.spool.path("reqmgr/staging/\(name).json")))

        let report = try GlobalWorkQueueStage().runCycle(f.context)
        #expect(report.done >= 1)
        #expect(FileManager.default.fileExists(atPath: f.spool.path("reqmgr/staged/\(name).json")))
        #expect(try ElementStore(spool: f.spool).elements(ofRequest: name).count == 1)
    }
}
