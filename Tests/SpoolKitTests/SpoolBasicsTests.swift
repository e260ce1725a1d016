import Synchronization
import Foundation
import Testing
import TestSupport
@testable import SpoolKit

@Suite struct SpoolBasicsTests {
    let spool: Spool

    init() throws {
        spool = try Spool(root: TestSupport.temporaryDirectory("basics"))
        try spool.ensureDirectories(["q/new", "q/cur"])
    }

    func text(_ name: String, _ dir: String) throws -> String? {
        try spool.read(name, in: dir).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func publishIsVisibleAndNeverOverwrites() throws {
        #expect(try spool.publish(Array("one".utf8), as: "a.json", in: "q/new") == .published)
        let second = try spool.publish(Array("two".utf8), as: "a.json", in: "q/new")
        guard case .nameTaken(let kept) = second else { Issue.record("expected nameTaken, got \(second)"); return }
        #expect(try text("a.json", "q/new") == "one")
        #expect(kept.hasPrefix("q/corrupt/a.json.conflict-"))
        #expect(FileManager.default.contents(atPath: spool.path(kept)) == Data("two".utf8))
        let reason = try String(contentsOfFile: spool.path(kept) + ".reason", encoding: .utf8)
        #expect(reason.contains("q/new/a.json"))
        #expect(try spool.temporaryFiles().isEmpty)
    }

    @Test func batchPublishesEverythingAtCommit() throws {
        let batch = SpoolBatch(spool: spool)
        for i in 0..<20 { try batch.publish(Array("\(i)".utf8), as: "d\(i).json", in: "q/new") }
        #expect(try spool.scan("q/new").names.isEmpty, "nothing is visible before commit")
        let report = try batch.commit()
        #expect(report.published == 20)
        #expect(report.directoriesSynced == 1)
        #expect(try spool.scan("q/new").names.count == 20)
    }

    @Test func moveLosingARaceIsAnOutcomeNotAnError() throws {
        try spool.publish(Array("x".utf8), as: "m.json", in: "q/new")
        #expect(try spool.move("m.json", from: "q/new", to: "q/cur") == .moved)
        #expect(try spool.move("m.json", from: "q/new", to: "q/cur") == .sourceMissing)
        try spool.publish(Array("y".utf8), as: "m.json", in: "q/new")
        #expect(try spool.move("m.json", from: "q/new", to: "q/cur") == .targetExists)
        #expect(try text("m.json", "q/cur") == "x", "the existing document is untouched")
        #expect(try text("m.json", "q/new") == "y", "the source stays where it was")
    }

    @Test func moveReplacingContentMovesFirstThenRewrites() throws {
        try spool.publish(Array("old".utf8), as: "r.json", in: "q/new")
        let batch = SpoolBatch(spool: spool)
        #expect(try batch.moveReplacingContent("r.json", from: "q/new", to: "q/cur", with: Array("new".utf8)) == .moved)
        #expect(try text("r.json", "q/cur") == "old", "moved at once, content staged until commit")
        try batch.commit()
        #expect(try text("r.json", "q/cur") == "new")
        #expect(try text("r.json", "q/new") == nil)
    }

    @Test func replacementNeverResurrectsAMovedDocument() throws {
        try spool.publish(Array("v1".utf8), as: "x.json", in: "q/new")
        let batch = SpoolBatch(spool: spool)
        try batch.replaceContent(of: "x.json", in: "q/new", with: Array("v2".utf8))
        #expect(try spool.move("x.json", from: "q/new", to: "q/cur") == .moved)  // someone else moves it meanwhile
        let report = try batch.commit()
        #expect(report.published == 0 && report.vanished == ["q/new/x.json"])
        #expect(try text("x.json", "q/new") == nil, "not re-created")
        #expect(try text("x.json", "q/cur") == "v1")
        try spool.inBatch { try $0.replaceContent(of: "x.json", in: "q/cur", with: Array("v3".utf8)) }
        #expect(try text("x.json", "q/cur") == "v3")
        #expect(try spool.temporaryFiles().isEmpty, "the old content does not linger in .tmp")
    }

    @Test func scanOrdersBoundsAndSkips() throws {
        for name in ["c.json", "a.json", "b.json", "e.json", "d.json"] { try spool.publish([1], as: name, in: "q/new") }
        _ = FileManager.default.createFile(atPath: spool.path("q/new/.hidden.json"), contents: Data())
        _ = FileManager.default.createFile(atPath: spool.path("q/new/f.json.part"), contents: Data())
        try FileManager.default.createDirectory(atPath: spool.path("q/new/adir"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: spool.path("q/new/link.json"), withDestinationPath: "/etc/passwd")
        _ = FileManager.default.createFile(atPath: spool.path("q/new/x..y.json"), contents: Data())
        _ = FileManager.default.createFile(atPath: spool.path("q/new/sp ace.json"), contents: Data())
        let result = try spool.scan("q/new", limit: 3)
        #expect(result.names == ["a.json", "b.json", "c.json"])
        #expect(Set(result.ignored.map(\.name)) == ["adir", "link.json", "x..y.json", "sp ace.json", ".hidden.json"])
        #expect(result.ignored.first { $0.name == ".hidden.json" }?.problem == .hiddenName, "a hidden name is reported, never skipped silently")
        #expect(result.ignored.first { $0.name == "link.json" }?.problem == .symlink)
        #expect(result.ignored.first { $0.name == "adir" }?.problem == .directory)
        let byKey = try spool.scan("q/new", limit: 2, order: .key { name in name == "e.json" ? "0" : name })
        #expect(byKey.names == ["e.json", "a.json"])
        let unordered = try spool.scan("q/new", order: .unordered)
        #expect(Set(unordered.names) == ["a.json", "b.json", "c.json", "d.json", "e.json"] && unordered.names.count == 5)
        #expect(Set(unordered.ignored.map(\.name)) == Set(result.ignored.map(\.name)))
        #expect(try spool.scan("q/new", limit: 1, order: .unordered).names.count == 1)
        #expect(try spool.scan("does/not/exist").names.isEmpty)
    }

    @Test func quarantineKeepsTheDocumentAndExplains() throws {
        try spool.publish(Array("{bad".utf8), as: "bad.json", in: "q/new")
        let place = try spool.quarantine("bad.json", in: "q/new", reason: "field 'x': expected an integer")
        #expect(place == "q/corrupt/bad.json")
        #expect(FileManager.default.contents(atPath: spool.path("q/corrupt/bad.json")) == Data("{bad".utf8))
        let reason = try String(contentsOfFile: spool.path("q/corrupt/bad.json.reason"), encoding: .utf8)
        #expect(reason.contains("q/new/bad.json") && reason.contains("field 'x'"))
        // A second document of the same name is kept too.
        try spool.publish(Array("{worse".utf8), as: "bad.json", in: "q/new")
        let second = try #require(try spool.quarantine("bad.json", in: "q/new", reason: "again"))
        #expect(second != "q/corrupt/bad.json")
        #expect(FileManager.default.contents(atPath: spool.path(second)) == Data("{worse".utf8))
        #expect(try spool.quarantine("gone.json", in: "q/new", reason: "x") == nil)
    }

    @Test func stageLockIsExclusive() throws {
        let first = try StageLock(spool: spool, stage: "wm-test")
        #expect(throws: StageLock.Failure.self) { _ = try StageLock(spool: spool, stage: "wm-test") }
        first.release()
        let again = try StageLock(spool: spool, stage: "wm-test")
        again.release()
    }

    /// A refused lock closes its descriptor once: closing it twice closed whatever another thread had
    /// opened under the same number meanwhile (seen as "readdir: Bad file descriptor" in parallel tests).
    @Test func aRefusedLockLeavesOtherThreadsDescriptorsAlone() throws {
        let first = try StageLock(spool: spool, stage: "wm-busy")
        defer { first.release() }
        let probe = spool.root + "/probe"
        _ = FileManager.default.createFile(atPath: probe, contents: Data("x".utf8))
        let stop = Atomic<Bool>(false), lost = Atomic<Int>(0)
        let reader = Thread {
            while !stop.load(ordering: .relaxed) {
                let fd = open(probe, O_RDONLY)
                guard fd >= 0 else { continue }
                var st = stat()
                for _ in 0..<20 where fstat(fd, &st) != 0 { lost.add(1, ordering: .relaxed) }
                if close(fd) != 0 { lost.add(1, ordering: .relaxed) }
            }
        }
        reader.start()
        for _ in 0..<3000 { _ = try? StageLock(spool: spool, stage: "wm-busy") }
        stop.store(true, ordering: .relaxed)
        while !reader.isFinished { usleep(1000) }
        #expect(lost.load(ordering: .relaxed) == 0, "a descriptor of another thread was closed under it")
    }

    @Test func purgeRemovesOnlyOldTemporaryFiles() throws {
        _ = FileManager.default.createFile(atPath: spool.temporaryDirectory + "/old.part", contents: Data("x".utf8))
        _ = FileManager.default.createFile(atPath: spool.temporaryDirectory + "/young.part", contents: Data("x".utf8))
        let now = SystemCall.now()
        var times = [timespec(tv_sec: Int(now) - 2 * 86_400, tv_nsec: 0), timespec(tv_sec: Int(now) - 2 * 86_400, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, spool.temporaryDirectory + "/old.part", &times, 0) == 0)
        #expect(try spool.purgeTemporaryFiles() == 1)
        #expect(try spool.temporaryFiles().map(\.name) == ["young.part"])
    }

    @Test func systemCallErrorsNameTheCallAndPath() throws {
        do {
            _ = try SystemCall.open(spool.path("nope/missing"), O_RDONLY)
            Issue.record("expected an error")
        } catch let error as SystemCallError {
            #expect(error.call == "open")
            #expect(error.description.contains("nope/missing"))
            #expect(error.errno == ENOENT)
        }
    }

    @Test func safeNames() {
        #expect(Spool.isSafeName("job-1_a.b+c=d@e,f.json"))
        for bad in ["", ".hidden", "a..b", "a/b", "a b", "tab\t", String(repeating: "a", count: 256)] {
            #expect(!Spool.isSafeName(bad), "\(bad) must be refused")
        }
    }
}

/// Issue 21: without `RENAME_NOREPLACE` the `link` + `unlink` fallback gave two claimers the same file when both linked
/// the source before either unlinked it (the loser's ENOENT was ignored). Exactly one claim must win.
@Suite struct LinkFallbackRaceTests {
    @Test func twoClaimsThatBothLinkedTheSourceEndWithOneWinner() throws {
        let dir = TestSupport.temporaryDirectory("link-race")
        let source = dir + "/element.json", first = dir + "/agent1-element.json", second = dir + "/agent2-element.json"
        try Data("element".utf8).write(to: URL(fileURLWithPath: source))
        // Both claimers link the source before either unlinks it: the interleaving the fallback allows.
        #expect(try NoClobberRename.link(source, first) == .moved)
        #expect(try NoClobberRename.link(source, second) == .moved)
        let sourceBytes = Array(source.utf8CString)
        let winner = try NoClobberRename.unlinkLinkedSource(sourceBytes, first, shown: { source })
        let loser = try NoClobberRename.unlinkLinkedSource(sourceBytes, second, shown: { source })
        #expect(winner == .moved && loser == .sourceMissing)
        #expect(FileManager.default.fileExists(atPath: first) && !FileManager.default.fileExists(atPath: second),
                "the loser removed its own link: one claimed copy")
        #expect(!FileManager.default.fileExists(atPath: source))
    }
}
