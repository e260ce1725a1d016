import Foundation
import Testing
import TestSupport
@testable import SpoolKit

/// Postfix's sane_rename / sane_link: a failed rename or link that a retransmitted success would give is done.
@Suite struct SaneRenameTests {
    @Test func theReadingOfFailedRenames() {
        let file = NoClobberRename.FileIdentity(device: 1, inode: 10), other = NoClobberRename.FileIdentity(device: 1, inode: 11)
        #expect(NoClobberRename.outcome(of: .rename, errno: 0, source: nil, target: file) == .moved, "success")
        #expect(NoClobberRename.outcome(of: .rename, errno: ENOENT, source: nil, target: nil) == .sourceMissing, "lost race")
        #expect(NoClobberRename.outcome(of: .rename, errno: EEXIST, source: file, target: other) == .targetExists, "target exists")
        #expect(NoClobberRename.outcome(of: .rename, errno: ENOENT, source: nil, target: file) == .moved, "retransmitted success")
        #expect(NoClobberRename.outcome(of: .rename, errno: ENOENT, source: nil, target: file, reading: .literal) == .sourceMissing,
                "read literally: a lost race to the same name")
        #expect(NoClobberRename.outcome(of: .rename, errno: ENOENT, source: file, target: nil) == nil, "the target's folder is missing")
        #expect(NoClobberRename.outcome(of: .rename, errno: EACCES, source: file, target: nil) == nil)
    }

    @Test func theReadingOfFailedLinks() {
        let file = NoClobberRename.FileIdentity(device: 1, inode: 10)
        let sameInodeOtherDevice = NoClobberRename.FileIdentity(device: 2, inode: 10)
        #expect(NoClobberRename.outcome(of: .link, errno: 0, source: file, target: file) == .moved, "success")
        #expect(NoClobberRename.outcome(of: .link, errno: ENOENT, source: nil, target: nil) == .sourceMissing, "lost race")
        #expect(NoClobberRename.outcome(of: .link, errno: EEXIST, source: file, target: sameInodeOtherDevice) == .targetExists,
                "target exists")
        #expect(NoClobberRename.outcome(of: .link, errno: EEXIST, source: file, target: file) == .moved, "retransmitted success")
        #expect(NoClobberRename.outcome(of: .link, errno: EEXIST, source: file, target: file, reading: .literal) == .targetExists)
        #expect(NoClobberRename.outcome(of: .link, errno: EEXIST, source: nil, target: file) == .targetExists)
        #expect(NoClobberRename.outcome(of: .link, errno: ENOENT, source: file, target: nil) == nil, "the target's folder is missing")
    }

    @Test func callsOnTheFileSystemFollowTheReading() throws {
        let root = TestSupport.temporaryDirectory("shared-sane-calls")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try SystemCall.makeDirectories(root)
        let source = root + "/source", target = root + "/target", gone = root + "/gone"
        try Data("x".utf8).write(to: URL(fileURLWithPath: source))
        try SystemCall.link(source, target)
        // What a retransmitted link finds: the target is already the source's file.
        #expect(try NoClobberRename.link(source, target) == .moved)
        try SystemCall.link(source, target)
        // What a retransmitted rename finds: the source gone, the target there.
        #expect(try NoClobberRename.rename(gone, target) == .moved)
        #expect(try NoClobberRename.rename(gone, target, reading: .literal) == .sourceMissing)
        try SystemCall.rename(gone, target)
        #expect(throws: SystemCallError.self) { try SystemCall.rename(gone, root + "/nothing") }
        #expect(throws: SystemCallError.self) { try SystemCall.link(gone, root + "/nothing") }
        try Data("y".utf8).write(to: URL(fileURLWithPath: root + "/another"))
        #expect(try NoClobberRename.link(root + "/another", target) == .targetExists)
        #expect(try NoClobberRename.rename(root + "/another", target) == .targetExists)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "x")
    }

    @Test func movesOfDocumentsReadFailuresLiterally() throws {
        let root = TestSupport.temporaryDirectory("sane-literal-move")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = try Spool(root: root)
        try spool.ensureDirectories(["queue/new", "queue/claimed"])
        try spool.publish(Array("{}".utf8), as: "job.json", in: "queue/claimed")
        // The document another process just moved to the same name: a lost race, never a second claim.
        #expect(try spool.move("job.json", from: "queue/new", to: "queue/claimed") == .sourceMissing)
    }
}
