import Foundation
import Testing
import TestSupport
@testable import SpoolKit

/// `Spool.take`: a bounded read of a queue that continues where the last take stopped, so no document starves.
@Suite struct TakeTests {
    let spool: Spool

    init() throws {
        spool = try Spool(root: TestSupport.temporaryDirectory("take"))
        try spool.ensureDirectories(["q/new", "q/cur"])
    }

    func fill(_ count: Int, prefix: String = "d") throws {
        for i in 0..<count { try spool.publish(Array("\(i)".utf8), as: "\(prefix)\(i).json", in: "q/new") }
    }

    @Test func takeListsOnlyWhatItNeeds() throws {
        try fill(3000)
        let result = try spool.take("q/new", limit: 10)
        #expect(result.names.count == 10)
        // readdir hands out a few hundred names per call: the listing stops long before the 3000th.
        #expect(result.entriesListed < 1000, "listed \(result.entriesListed) of 3000 names for 10 documents")
        #expect(Set(result.names).count == 10)
    }

    @Test func successiveTakesRotateThroughTheWholeFolder() throws {
        try fill(25)
        var seen: [String] = []
        for _ in 0..<5 { seen += try spool.take("q/new", limit: 5).names }
        #expect(Set(seen).count == 25, "five takes of 5 from 25 documents left in place see each document once")
        #expect(seen.count == 25)
        // The sixth take starts the next turn.
        let again = try spool.take("q/new", limit: 5).names
        #expect(again.count == 5)
        #expect(Set(again).isSubset(of: Set(seen)))
    }

    @Test func noDocumentStarvesWhileNewOnesArrive() throws {
        // A consumer takes 10 per cycle and leaves every document but the ones it takes; 10 new ones arrive per cycle.
        // The document published first must be taken within one turn of the cursor.
        try fill(50, prefix: "old")
        var waiting = Set((0..<50).map { "old\($0).json" })
        for cycle in 0..<30 where !waiting.isEmpty {
            for name in try spool.take("q/new", limit: 10).names {
                _ = try spool.move(name, from: "q/new", to: "q/cur")
                waiting.remove(name)
            }
            for i in 0..<10 { try spool.publish(Array("n".utf8), as: "new\(cycle)-\(i).json", in: "q/new") }
        }
        #expect(waiting.isEmpty, "never taken: \(waiting.sorted())")
    }

    @Test func takeWrapsWithoutReturningANameTwice() throws {
        try fill(7)
        _ = try spool.take("q/new", limit: 5)
        let wrapped = try spool.take("q/new", limit: 5).names
        #expect(wrapped.count == 5, "2 from the end of the folder, then 3 from its start")
        #expect(Set(wrapped).count == wrapped.count)
        let small = try Spool(root: TestSupport.temporaryDirectory("take-small"))
        try small.ensureDirectories(["q/new"])
        try small.publish(Array("x".utf8), as: "only.json", in: "q/new")
        #expect(try small.take("q/new", limit: 5).names == ["only.json"])
        #expect(try small.take("q/new", limit: 5).names == ["only.json"])
    }

    @Test func takeReportsWhatIsNoDocumentAndSkipsWritesInProgress() throws {
        try fill(2)
        let folder = spool.path("q/new")
        try Data().write(to: URL(fileURLWithPath: folder + "/x.json.part"))
        try Data().write(to: URL(fileURLWithPath: folder + "/.hidden"))
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.json", withDestinationPath: "/etc/passwd")
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: false)
        let result = try spool.take("q/new", limit: 10)
        #expect(Set(result.names) == ["d0.json", "d1.json"])
        #expect(Set(result.ignored.map(\.problem)) == [.hiddenName, .symlink, .directory])
        #expect(try spool.take("missing/folder", limit: 3).names.isEmpty)
        #expect(try spool.take("q/new", limit: 0).names.isEmpty)
    }

    @Test func countDocumentsCountsOnlyDocuments() throws {
        try fill(12)
        try Data().write(to: URL(fileURLWithPath: spool.path("q/new") + "/y.json.part"))
        try Data().write(to: URL(fileURLWithPath: spool.path("q/new") + "/.dot"))
        #expect(try spool.countDocuments("q/new") == 12)
        #expect(try spool.countDocuments("not/there") == 0)
    }

    @Test func anOperatorsMoveIntoTheQueueIsTaken() throws {
        try fill(30)
        _ = try spool.take("q/new", limit: 10)
        // `mv` by hand: a file renamed into the folder behind or ahead of the cursor.
        try Data("h".utf8).write(to: URL(fileURLWithPath: spool.path("q/cur") + "/byhand.json"))
        #expect(rename(spool.path("q/cur") + "/byhand.json", spool.path("q/new") + "/byhand.json") == 0)
        var seen = Set<String>()
        for _ in 0..<4 { seen.formUnion(try spool.take("q/new", limit: 10).names) }
        #expect(seen.contains("byhand.json"))
    }
}
