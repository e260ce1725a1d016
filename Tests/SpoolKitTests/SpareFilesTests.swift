import Foundation
import Testing
import TestSupport
@testable import SpoolKit

/// Recycled inodes: what goes into `.spare/`, what comes out, and that no document is ever touched.
@Suite struct SpareFilesTests {
    /// A one-byte 0644 file at `path` (a spare candidate).
    func smallFile(_ path: String) throws -> String {
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o644)
        return path
    }

    func inode(_ path: String) throws -> UInt64 {
        UInt64(try #require(try SystemCall.lstat(path)).st_ino)
    }

    @Test func aDiscardedFileRipensThenIsReusedByAPublish() throws {
        let root = TestSupport.temporaryDirectory("spare-reuse")
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = SpareFiles.pool(root: root, ripeningDelay: 0.2)
        let spool = try Spool(root: root)
        try spool.ensureDirectories(["q", "work/job1"])
        let work = try smallFile(spool.path("work/job1") + "/exit-code")
        let oldInode = try inode(work)
        try spool.discardTree(spool.path("work/job1"))
        #expect(!FileManager.default.fileExists(atPath: spool.path("work/job1")))
        let spares = try FileManager.default.contentsOfDirectory(atPath: spool.temporaryDirectory)
        #expect(spares.count == 1 && spool.spares.privateCount == 1, "the discarded file waits in .tmp/, a private spare")
        try spool.publish(Array("a\n".utf8), as: "a.json", in: "q")
        #expect(try inode(spool.path("q") + "/a.json") != oldInode, "not before it has ripened")
        usleep(250_000)
        try spool.publish(Array("b\n".utf8), as: "b.json", in: "q")
        #expect(try inode(spool.path("q") + "/b.json") == oldInode, "a publish after the delay reuses the inode")
        #expect(try spool.read("b.json", in: "q") == Array("b\n".utf8), "with only its own content")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.temporaryDirectory).isEmpty)
    }

    @Test func aDiscardedWorkDirectoryBecomesTheNextWorkDirectory() throws {
        let root = TestSupport.temporaryDirectory("spare-dirs")
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = SpareFiles.pool(root: root, ripeningDelay: 0)
        _ = SpareFiles.directoryPool(root: root, ripeningDelay: 0.2)
        let spool = try Spool(root: root)
        try spool.makeDirectory(spool.path("work/wf/job1-0/scratch"))
        _ = try smallFile(spool.path("work/wf/job1-0") + "/job.json")
        _ = try smallFile(spool.path("work/wf/job1-0/scratch") + "/step.json")
        let top = try inode(spool.path("work/wf/job1-0")), sub = try inode(spool.path("work/wf/job1-0/scratch"))
        try spool.discardTree(spool.path("work/wf/job1-0"))
        #expect(!FileManager.default.fileExists(atPath: spool.path("work/wf/job1-0")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/.spare-dirs").count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.temporaryDirectory).count == 2, "the files: private spares")
        try spool.makeDirectory(spool.path("work/wf/job2-0"))
        #expect(![top, sub].contains(try inode(spool.path("work/wf/job2-0"))), "not before it has ripened")
        usleep(250_000)
        try spool.makeDirectory(spool.path("work/wf/job3-0"))
        #expect([top, sub].contains(try inode(spool.path("work/wf/job3-0"))), "a ripe directory is reused")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path("work/wf/job3-0")).isEmpty)
        // A spare that something wrote into while it was discarded is emptied away, never handed out full.
        let left = try #require(try FileManager.default.contentsOfDirectory(atPath: root + "/.spare-dirs").first)
        _ = try smallFile(root + "/.spare-dirs/" + left + "/stray")
        try spool.makeDirectory(spool.path("work/wf/job4-0"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path("work/wf/job4-0")).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/.spare-dirs").isEmpty)
        try spool.makeDirectory(spool.path("work/wf/job4-0"))
    }

    @Test func aNewFileIsWrittenInPlaceAndAnExistingOneReplacedWhole() throws {
        let root = TestSupport.temporaryDirectory("spare-new-file")
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = SpareFiles.pool(root: root, ripeningDelay: 0)
        let spool = try Spool(root: root)
        try spool.makeDirectory(spool.path("work/job1"))
        let spare = try inode(try smallFile(root + "/old"))
        spool.spares.recycle(root + "/old")
        let dir = spool.path("work/job1")
        try spool.inBatch { try $0.writeNewFile(Array("first\n".utf8), at: dir + "/job.json") }
        #expect(try inode(dir + "/job.json") == spare, "a spare renamed straight to its place")
        #expect(try String(contentsOfFile: dir + "/job.json", encoding: .utf8) == "first\n")
        // A replay finds the file: it is replaced atomically, so a reader holding the old one keeps it whole.
        let fd = open(dir + "/job.json", O_RDONLY)
        defer { close(fd) }
        try spool.inBatch { try $0.writeNewFile(Array("second, longer\n".utf8), at: dir + "/job.json") }
        #expect(try String(contentsOfFile: dir + "/job.json", encoding: .utf8) == "second, longer\n")
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        #expect(Array(buffer.prefix(max(n, 0))) == Array("first\n".utf8))
    }

    @Test func aSharedFileIsOneInodeUnderEveryName() throws {
        let root = TestSupport.temporaryDirectory("shared-file")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = try Spool(root: root)
        try spool.ensureDirectories(["work/a", "work/b", "work/c"])
        _ = try smallFile(spool.path("work/b") + "/runtime.json")  // a replay finds it
        try spool.inBatch { batch in
            let shared = try batch.sharedFile(Array("{\"site\":\"T2\"}\n".utf8))
            try batch.link(shared, at: spool.path("work/a") + "/runtime.json")
            try batch.link(shared, at: spool.path("work/b") + "/runtime.json")
            try batch.link(shared, at: spool.path("work/c") + "/runtime.json")
        }
        #expect(try inode(spool.path("work/a") + "/runtime.json") == (try inode(spool.path("work/c") + "/runtime.json")))
        for job in ["a", "b", "c"] {
            #expect(try String(contentsOfFile: spool.path("work/\(job)") + "/runtime.json", encoding: .utf8) == "{\"site\":\"T2\"}\n")
        }
        #expect(try #require(try SystemCall.lstat(spool.path("work/a") + "/runtime.json")).st_nlink == 2,
                "a and c share it; b's existing file was replaced by its own copy; the temporary name is gone")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.temporaryDirectory).isEmpty)
    }

    @Test func aReaderOfAReplacedDocumentKeepsItsOldContent() throws {
        let root = TestSupport.temporaryDirectory("spare-reader")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = try Spool(root: root)
        try spool.ensureDirectories(["q"])
        let old = Array("{\"state\":\"old\",\"pad\":\"0123456789\"}\n".utf8)
        try spool.publish(old, as: "a.json", in: "q")
        // A reader opens the document, then the document is replaced and many new documents are published.
        let fd = open(spool.path("q") + "/a.json", O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        try spool.inBatch { try $0.replaceContent(of: "a.json", in: "q", with: Array("{\"state\":\"new\"}\n".utf8)) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.temporaryDirectory).count == 1,
                "the replaced content ripens where the exchange left it")
        try spool.inBatch { batch in
            for n in 0..<20 { try batch.publish(Array("{\"other\":\(n)}\n".utf8), as: "o\(n).json", in: "q") }
        }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        #expect(Array(buffer.prefix(max(n, 0))) == old, "the open reader still reads the old document")
    }

    /// The case ripening alone can't cover: a reader holding a replaced document's inode past the delay.
    /// The inode is never written again while it is open anywhere (`SpareFiles.isOpenOnlyHere`): the writer
    /// leaves it to the reader and writes a new file.
    @Test func anInodeHeldOpenPastTheDelayIsNeverWrittenAgain() throws {
        let root = TestSupport.temporaryDirectory("spare-slow-reader")
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = SpareFiles.pool(root: root, ripeningDelay: 0.05)
        let spool = try Spool(root: root)
        try spool.ensureDirectories(["q"])
        let old = Array("{\"state\":\"old\"}\n".utf8)
        try spool.publish(old, as: "a.json", in: "q")
        let fd = open(spool.path("q") + "/a.json", O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        try spool.inBatch { try $0.replaceContent(of: "a.json", in: "q", with: Array("{\"state\":\"new\"}\n".utf8)) }
        usleep(100_000)  // ripe
        for n in 0..<20 { try spool.publish(Array("{\"other\":\(n)}\n".utf8), as: "o\(n).json", in: "q") }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = pread(fd, &buffer, buffer.count, 0)
        #expect(Array(buffer.prefix(max(n, 0))) == old, "the reader still reads the document it opened")
        #expect(try spool.read("a.json", in: "q") == Array("{\"state\":\"new\"}\n".utf8))
    }

    @Test func aLeaseProvesAFileIsOpenNowhereElse() throws {
        let root = TestSupport.temporaryDirectory("spare-lease")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/f"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        defer { close(fd) }
        #expect(SpareFiles.isOpenOnlyHere(fd))
        let reader = open(path, O_RDONLY)
        #expect(!SpareFiles.isOpenOnlyHere(fd), "a reader holds it")
        close(reader)
        #expect(SpareFiles.isOpenOnlyHere(fd), "the reader let go")
    }

    /// The saving private spares exist for: a document replaced again and again keeps two inodes turning
    /// over at one temporary name, with no rename but the exchange.
    @Test func aReplacedContentIsWrittenAgainWhereTheExchangeLeftIt() throws {
        let root = TestSupport.temporaryDirectory("spare-in-place")
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = SpareFiles.pool(root: root, ripeningDelay: 0)
        let spool = try Spool(root: root)
        try spool.ensureDirectories(["q"])
        try spool.publish(Array("v0\n".utf8), as: "a.json", in: "q")
        let first = try inode(spool.path("q") + "/a.json")
        try spool.inBatch { try $0.replaceContent(of: "a.json", in: "q", with: Array("v1\n".utf8)) }
        let temporaries = try FileManager.default.contentsOfDirectory(atPath: spool.temporaryDirectory)
        #expect(temporaries.count == 1)
        #expect(try inode(spool.temporaryDirectory + "/" + temporaries[0]) == first, "the old content stays at the temporary name the exchange gave it")
        let second = try inode(spool.path("q") + "/a.json")
        for version in 2..<6 {
            try spool.inBatch { try $0.replaceContent(of: "a.json", in: "q", with: Array("version \(version)\n".utf8)) }
            #expect(try spool.read("a.json", in: "q") == Array("version \(version)\n".utf8))
            #expect(try inode(spool.path("q") + "/a.json") == (version % 2 == 0 ? first : second), "the two inodes take turns")
            #expect(try FileManager.default.contentsOfDirectory(atPath: spool.temporaryDirectory) == temporaries, "at one name")
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/.spare"), "nothing went through the shared folder")
        // A private spare something removed meanwhile is made again.
        try FileManager.default.removeItem(atPath: spool.temporaryDirectory + "/" + temporaries[0])
        try spool.inBatch { try $0.replaceContent(of: "a.json", in: "q", with: Array("after removal\n".utf8)) }
        #expect(try spool.read("a.json", in: "q") == Array("after removal\n".utf8))
    }

    @Test func privateSparesGoToTheSharedFolderWhenReleasedForOtherProcesses() throws {
        let root = TestSupport.temporaryDirectory("spare-release")
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = SpareFiles.pool(root: root, ripeningDelay: 0)
        let spool = try Spool(root: root)
        try spool.ensureDirectories(["q"])
        try spool.publish(Array("v0\n".utf8), as: "a.json", in: "q")
        try spool.inBatch { try $0.replaceContent(of: "a.json", in: "q", with: Array("v1\n".utf8)) }
        _ = try smallFile(root + "/discarded")
        spool.spares.recycle(root + "/discarded")
        #expect(spool.spares.privateCount == 2)
        #expect(spool.spares.releasePrivateSpares() == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.temporaryDirectory).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/.spare").count == 2)
        // Another process (its own view of the folder) takes them; spares recycled later go there directly.
        let other = SpareFiles(directory: root + "/.spare", capacity: 10, ripeningDelay: 0)
        #expect(other.take(to: root + "/taken-1") && other.take(to: root + "/taken-2"))
        spool.spares.recycle(try smallFile(root + "/later"))
        #expect(spool.spares.privateCount == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/.spare").count == 1)
    }

    @Test func releasedSparesBeyondTheSharedCapacityAreUnlinkedNotLeftBehind() throws {
        let root = TestSupport.temporaryDirectory("spare-release-cap")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try SystemCall.makeDirectories(root + "/.tmp")
        let pool = SpareFiles(directory: root + "/.spare", capacity: 1, ripeningDelay: 0,
                              privateDirectory: root + "/.tmp", privateCapacity: 3)
        for n in 0..<4 { pool.recycle(try smallFile(root + "/f\(n)")) }
        #expect(pool.privateCount == 3 && pool.count == 4, "three private, the fourth shared")
        #expect(pool.releasePrivateSpares() == 0, "the shared folder is full")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/.tmp").isEmpty, "no temporary file is left behind")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/.spare").count == 1)
    }

    @Test func purgeAndFsckLeaveTheTemporaryFilesOfRunningProcessesAlone() throws {
        let root = TestSupport.temporaryDirectory("spare-purge")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = try Spool(root: root)
        let mine = Spool.uniqueName() + ".part", dead = "1700000000.1.999999999.1.part", other = "interrupted.part"
        #expect(Spool.temporaryFileOwner(mine) == getpid() && Spool.temporaryFileOwner(dead) == 999_999_999)
        #expect(Spool.temporaryFileOwner(other) == nil && Spool.temporaryFileOwner("1.2.part") == nil)
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        for name in [mine, dead, other] {
            _ = try smallFile(spool.temporaryDirectory + "/" + name)
            #expect(utimensat(AT_FDCWD, spool.temporaryDirectory + "/" + name, &times, 0) == 0)
        }
        #expect(Set(try spool.temporaryFiles().map(\.name)) == [dead, other], "a live process's file is in use")
        #expect(try spool.purgeTemporaryFiles() == 2)
        #expect(try spool.temporaryFiles().isEmpty)
        #expect(spool.spares.privateCount == 1, "the dead process's file became a spare of this one; the other was removed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.temporaryDirectory).contains(mine))
    }

    @Test func filesWithOtherNamesOrOddModesOrLargeSizesAreUnlinkedNotKept() throws {
        let root = TestSupport.temporaryDirectory("spare-refuse")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = try Spool(root: root)
        let pool = SpareFiles(directory: root + "/.spare-test", capacity: 10)
        // A second name: truncating the spare later would empty the other name's content.
        let linked = root + "/linked"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: linked))
        try SystemCall.link(linked, root + "/other-name")
        pool.recycle(linked)
        #expect(!FileManager.default.fileExists(atPath: linked))
        #expect(try String(contentsOfFile: root + "/other-name", encoding: .utf8) == "keep me")
        // Executable, large, directory-like: not kept.
        let script = root + "/script.sh"
        try Data("#!/bin/sh\n".utf8).write(to: URL(fileURLWithPath: script))
        chmod(script, 0o755)
        pool.recycle(script)
        let large = root + "/large"
        try Data(count: SpareFiles.largestSpare + 1).write(to: URL(fileURLWithPath: large))
        chmod(large, 0o644)
        pool.recycle(large)
        #expect(!FileManager.default.fileExists(atPath: script) && !FileManager.default.fileExists(atPath: large))
        #expect(pool.count == 0)
        _ = spool
    }

    @Test func thePoolKeepsAtMostItsCapacity() throws {
        let root = TestSupport.temporaryDirectory("spare-cap")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pool = SpareFiles(directory: root + "/.spare", capacity: 3)
        for n in 0..<5 {
            let path = try smallFile(root + "/f\(n)")
            pool.recycle(path)
            #expect(!FileManager.default.fileExists(atPath: path))
        }
        #expect(pool.count == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/.spare").count == 3)
    }

    @Test func oneContentPublishedInSeveralDirectoriesIsOneInode() throws {
        let root = TestSupport.temporaryDirectory("spare-links")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = try Spool(root: root)
        try spool.ensureDirectories(["a/available", "b/available", "c/available"])
        try spool.publish(Array("old\n".utf8), as: "f.json", in: "c/available")
        let report = try spool.inBatch { try $0.publish(Array("file\n".utf8), as: "f.json", inEach: ["a/available", "b/available", "c/available"]) }
        #expect(report.published == 2)
        #expect(report.conflicts.count == 1, "c already had a document of that name: kept aside, never overwritten")
        #expect(try spool.read("f.json", in: "c/available") == Array("old\n".utf8))
        #expect(try spool.read(try #require(report.conflicts.first?.quarantinedAs.split(separator: "/").last.map(String.init)), in: "c/corrupt")
                == Array("file\n".utf8))
        #expect(try inode(spool.path("a/available") + "/f.json") == (try inode(spool.path("b/available") + "/f.json")))
        // Moving one name leaves the other; replacing one gives it its own inode (the other keeps its content).
        try spool.ensureDirectories(["a/acquired"])
        #expect(try spool.move("f.json", from: "a/available", to: "a/acquired") == .moved)
        try spool.inBatch { try $0.replaceContent(of: "f.json", in: "b/available", with: Array("new\n".utf8)) }
        #expect(try spool.read("f.json", in: "b/available") == Array("new\n".utf8))
        #expect(try spool.read("f.json", in: "a/acquired") == Array("file\n".utf8))
    }

    @Test func concurrentTakersClaimEachSpareOnce() throws {
        let root = TestSupport.temporaryDirectory("spare-race")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let seed = SpareFiles(directory: root + "/.spare", capacity: 2000, ripeningDelay: 0)
        for n in 0..<1000 { seed.recycle(try smallFile(root + "/f\(n)")) }
        // Four pools over one folder, as four processes would see it (each scans the folder itself).
        let takers = (0..<4).map { _ in SpareFiles(directory: root + "/.spare", capacity: 2000, ripeningDelay: 0) }
        let results = UnsafeCounts(count: 4)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            var taken = 0
            while takers[worker].take(to: root + "/taken-\(worker)-\(taken)") { taken += 1 }
            results.set(worker, taken)
        }
        #expect(results.total == 1000, "every spare was taken exactly once")
        let names = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix("taken-") }
        #expect(names.count == 1000)
    }
}

/// Per-worker counts written by concurrent workers (each writes only its own slot).
final class UnsafeCounts: @unchecked Sendable {
    private let counts: UnsafeMutableBufferPointer<Int>
    init(count: Int) { counts = .allocate(capacity: count); counts.initialize(repeating: 0) }
    deinit { counts.deallocate() }
    func set(_ index: Int, _ value: Int) { counts[index] = value }
    var total: Int { counts.reduce(0, +) }
}
