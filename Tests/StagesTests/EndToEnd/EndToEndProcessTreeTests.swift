import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import BatchSystems

/// The local plugin's kill reaches the whole job: a payload that left the job's process group (as
/// `wm-cmsrun` does, started by corelibs `Process`) dies with it.
@Suite struct EndToEndProcessTreeTests {
    @Test func killTreeReachesChildrenInTheirOwnSession() throws {
        let dir = TestSupport.temporaryDirectory("tree")
        let script = dir + "/job.sh"
        try "setsid /usr/bin/sleep 600 &\necho $! > \(dir)/child\nwait\n".write(toFile: script, atomically: true, encoding: .utf8)
        let job = try LocalProcess.spawn(script: script, stdout: dir + "/out", stderr: dir + "/err")
        var child: Int32?
        for _ in 0..<100 where child == nil {
            child = (try? String(contentsOfFile: dir + "/child", encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if child == nil { usleep(20_000) }
        }
        let orphan = try #require(child, "the job started its child")
        defer { _ = Glibc.kill(orphan, SIGKILL) }
        #expect(LocalProcess.descendants(of: job.pid).contains(orphan))
        // A group signal alone misses the child: it has a session (and group) of its own. `$!` is written right after the
        // fork, before the child has called setsid, so wait for it (under load that takes a while).
        for _ in 0..<250 where getpgid(orphan) == job.pid { usleep(20_000) }
        #expect(getpgid(orphan) != job.pid)

        job.killTree()
        for _ in 0..<100 where LocalProcess.stat(orphan).map({ $0.state != "Z" }) ?? false { usleep(20_000) }
        LocalProcess.reapIfExited(job.pid)
        #expect(LocalProcess.stat(orphan).map { $0.state == "Z" } ?? true, "the child in its own session was killed")
        #expect(!job.isAlive)
    }
}
