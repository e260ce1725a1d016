import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import WMCore

/// Issue 17 (published documents are immutable): a reader holding documents open — a request, a work-queue
/// element, a job document, a WMBS file document — reads the same bytes after a production ran past the
/// old 10 s ripening delay and a second production wrote many new files (which is when recycled inodes are
/// written again).
@Suite struct PublishedDocumentsTests {
    /// A document held open: where it was, its descriptor, the bytes read when it was opened and its inode.
    struct Held {
        var path: String
        var fd: Int32
        var bytes: [UInt8]
        var inode: UInt
    }

    static func bytes(of fd: Int32) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var offset: off_t = 0
        while true {
            let n = pread(fd, &buffer, buffer.count, offset)
            if n <= 0 { return result }
            result += buffer.prefix(n)
            offset += off_t(n)
        }
    }

    /// Opens the first document of `folder` (spool-relative) and reads it.
    static func hold(firstIn folder: String, of spool: Spool) throws -> Held {
        let name = try #require(try spool.scan(folder).names.first { $0.hasSuffix(".json") }, "no document in \(folder)")
        let path = spool.path(folder) + "/" + name
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        var st = stat()
        fstat(fd, &st)
        return Held(path: path, fd: fd, bytes: bytes(of: fd), inode: UInt(st.st_ino))
    }

    @Test func documentsHeldOpenKeepTheirBytesPastTheOldRipeningDelay() throws {
        let agent = try EndToEndAgent("held-documents")
        let first = try agent.submit(try EndToEndRequests.monteCarlo(events: 800, perJob: 200, perLumi: 100))
        // One pass of every stage: the request is staged, its element acquired, files injected, jobs created.
        for stage in agent.stages() { _ = try stage.runCycle(agent.context) }
        let wmbs = WMBSStore(spool: agent.spool)
        let workflow = first
        var held: [Held] = []
        defer { for h in held { close(h.fd) } }
        let requestFolder = try #require(agent.status(of: first).map { "reqmgr/" + $0 })
        held.append(try Self.hold(firstIn: requestFolder, of: agent.spool))
        let elementFolder = try #require(["Acquired", "Running", "Available"].map { "workqueue/" + $0 }
            .first { !((try? agent.spool.scan($0).names.isEmpty) ?? true) })
        held.append(try Self.hold(firstIn: elementFolder, of: agent.spool))
        let jobFolder = try #require(["created", "executing", "complete"].map { "jobs/" + $0 }
            .first { !((try? agent.spool.scan($0).names.isEmpty) ?? true) })
        held.append(try Self.hold(firstIn: jobFolder, of: agent.spool))
        let fileFolder = try #require(try wmbs.subscriptions(of: workflow).flatMap { sub in
            [FileState.acquired, .available].map { wmbs.fileFolder(workflow, sub.name, $0) }
        }.first { !((try? agent.spool.scan($0).names.isEmpty) ?? true) })
        held.append(try Self.hold(firstIn: fileFolder, of: agent.spool))
        let opened = SystemCall.now()

        try agent.runUntilQuiet()
        #expect(agent.status(of: first) == "completed")
        // Past the old ripening delay, a second production writes many new files.
        let wait = SpareFiles.defaultRipeningDelay + 0.5 - (SystemCall.now() - opened)
        if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
        let second = try agent.submit(try EndToEndRequests.monteCarlo(events: 800, perJob: 200, perLumi: 100))
        try agent.runUntilQuiet()
        #expect(agent.status(of: second) == "completed")

        var replaced = 0
        for h in held {
            #expect(Self.bytes(of: h.fd) == h.bytes, "\(h.path): the bytes read from the held descriptor changed")
            var st = stat()
            if lstat(h.path, &st) != 0 || UInt(st.st_ino) != h.inode { replaced += 1 }
        }
        #expect(replaced == held.count, "every held document was replaced or moved on meanwhile (else the test shows nothing)")
    }
}
