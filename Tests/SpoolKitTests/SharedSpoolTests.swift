import Foundation
import Testing
import TestSupport
@testable import SpoolKit

/// A spool shared by several hosts: no recycling, and a cleanup of `.tmp/` that unlinks instead of recycling.
@Suite struct SharedSpoolTests {
    typealias Fixtures = TemporaryFileFixtures

    @Test func onASharedSpoolThisHostsFileOfADeadProcessIsUnlinkedNotRecycled() throws {
        let root = TestSupport.temporaryDirectory("shared-own-tmp-shared")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = try Spool(root: root)
        try spool.markShared()
        let dead = Fixtures.name(pid: Fixtures.deadPid, host: Spool.hostIdentifier, counter: 1)
        try Fixtures.oldFile(spool.temporaryDirectory + "/" + dead, age: 120)
        #expect(try spool.purgeTemporaryFiles() == 1)
        #expect(try Fixtures.entries(spool.temporaryDirectory).isEmpty && spool.spares.count == 0)
    }

    // MARK: the marker and no recycling

    @Test func markingASpoolSharedIsSeenByEverySpoolOfItsRootAndStopsRecycling() throws {
        let root = TestSupport.temporaryDirectory("shared-mark")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = try Spool(root: root)
        #expect(!spool.isShared)
        try spool.ensureDirectories(["q", "work/job1/sub"])
        try Data("x".utf8).write(to: URL(fileURLWithPath: spool.path("work/job1") + "/exit-code"))
        chmod(spool.path("work/job1") + "/exit-code", 0o644)
        try spool.discardTree(spool.path("work/job1"))
        #expect(spool.spares.privateCount == 1, "before the marking, a discarded file is a private spare")
        try spool.markShared()
        try spool.markShared()
        #expect(FileManager.default.fileExists(atPath: root + "/" + Spool.sharedMarkerName))
        #expect(try Fixtures.entries(spool.temporaryDirectory).isEmpty, "the private spare was unlinked")
        #expect(!FileManager.default.fileExists(atPath: root + "/.spare-dirs"), "the pools' folders were emptied away")
        let again = try Spool(root: root)
        #expect(again.isShared && !again.spares.isRecycling && !again.spareDirectories.isRecycling)
        #expect(try again.spares.reserve(3) == 0, "no reserve of spares either")
    }

    @Test func aSpoolMarkedByAnotherProcessIsSharedWhenFirstOpened() throws {
        let root = TestSupport.temporaryDirectory("shared-marked-elsewhere")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try SystemCall.makeDirectories(root)
        try Data("shared\n".utf8).write(to: URL(fileURLWithPath: root + "/.shared"))
        let spool = try Spool(root: root)
        #expect(spool.isShared && !spool.spares.isRecycling)
    }

    @Test func aMarkerThatIsNoRegularFileIsAnError() throws {
        let root = TestSupport.temporaryDirectory("shared-bad-marker")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = try Spool(root: root)
        try SystemCall.makeDirectories(root + "/.shared")
        #expect(throws: SystemCallError.self) { try spool.markShared() }
    }

    @Test func onASharedSpoolDiscardedTreesAreRemovedAndPublishesStillWork() throws {
        let root = TestSupport.temporaryDirectory("shared-discard")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = try Spool(root: root)
        try spool.markShared()
        try spool.ensureDirectories(["q", "work/wf/job1-0/scratch"])
        for file in ["work/wf/job1-0/job.json", "work/wf/job1-0/scratch/step.json"] {
            try Data("x".utf8).write(to: URL(fileURLWithPath: spool.path(file)))
            chmod(spool.path(file), 0o644)
        }
        try spool.discardTree(spool.path("work/wf/job1-0"))
        #expect(!FileManager.default.fileExists(atPath: spool.path("work/wf/job1-0")))
        for pool in [".spare", ".spare-dirs"] {
            #expect(try Fixtures.isMissingOrEmpty(root + "/" + pool), "\(pool) is empty")
        }
        #expect(try Fixtures.entries(spool.temporaryDirectory).isEmpty, "no private spare either")
        try spool.publish(Array("a\n".utf8), as: "a.json", in: "q")
        try spool.inBatch { batch in
            try batch.replaceContent(of: "a.json", in: "q", with: Array("b\n".utf8))
            try batch.publish(Array("c\n".utf8), as: "c.json", in: "q")
        }
        #expect(try spool.read("a.json", in: "q") == Array("b\n".utf8) && spool.read("c.json", in: "q") == Array("c\n".utf8))
        #expect(try Fixtures.entries(spool.temporaryDirectory).isEmpty, "the replaced content was unlinked")
        try spool.makeDirectory(spool.path("work/wf/job2-0"))
        #expect(SystemCall.isDirectory(spool.path("work/wf/job2-0")))
        #expect(try Fixtures.isMissingOrEmpty(root + "/.spare"))
    }
}
