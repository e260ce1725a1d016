import Foundation
import Glibc
import Testing
import TestSupport
@testable import WorkerRuntime
@testable import WMCore

/// The stand-in's DQMIO summaries (`DQMSummary`): a merge sums and unites them, and a hostile summary is refused with
/// 8020 (FileOpenError: not a regular file, too big) or 8021 (FileReadError: not a summary, naming the member), never a trap.
@Suite struct DQMSummaryTests {
    let folder = TestSupport.temporaryDirectory("dqmsummary")

    /// Writes `text` as `name` in the test's folder; returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let path = folder + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The failure reading `path`, nil when it reads.
    func failure(_ path: String) -> StepFailure? {
        do { _ = try DQMSummary.read(path: path, lfn: "/store/x.root"); return nil } catch { return error }
    }

    let valid = #"{"workflow": "W", "eventsRead": 10, "lumisPerRun": {"7": [1, 2]}, "eventsPerOutput": {"A": 4}}"#

    @Test func mergeSumsEventsAndUnitesLumis() throws {
        let a = DQMSummary(workflow: "W1", eventsRead: 10, lumisPerRun: [7: [1, 2], 8: [5]], eventsPerOutput: ["A": 4, "B": 1])
        let b = DQMSummary(workflow: "W2", eventsRead: 5, lumisPerRun: [7: [2, 3]], eventsPerOutput: ["A": 6, "C": 2])
        let merged = DQMSummary.merged([a, b], workflow: "M")
        #expect(merged == DQMSummary(workflow: "M", eventsRead: 15, lumisPerRun: [7: [1, 2, 3], 8: [5]],
                                     eventsPerOutput: ["A": 10, "B": 1, "C": 2]))
        #expect(merged.runs.lumis(inRun: 7) == [1, 2, 3])
        #expect(DQMSummary.merged([], workflow: "E") == DQMSummary(workflow: "E", eventsRead: 0, lumisPerRun: [:], eventsPerOutput: [:]))
    }

    @Test func writtenSummaryReadsBackTheSameAndIsRecognised() throws {
        let summary = DQMSummary(workflow: "W", eventsRead: 12, lumisPerRun: [7: [3, 1]], eventsPerOutput: ["DQMoutput": 12])
        let path = folder + "/s.root"
        try summary.write(to: path)
        #expect(try DQMSummary.read(path: path, lfn: "/store/s.root") == summary)
        #expect(DQMSummary.isSummary(path: path))
        #expect(!DQMSummary.isSummary(path: try file("event.root", "WMEV....")))
        #expect(!DQMSummary.isSummary(path: folder + "/missing.root"))
        #expect(throws: StepFailure.self) { try summary.write(to: path) }  // it must not exist yet
    }

    @Test func largestCountsStillSumWithoutTrapping() throws {
        let top = DQMSummary.countRange.upperBound
        let path = try file("big.root", #"{"workflow": "W", "eventsRead": \#(top), "lumisPerRun": {"4294967295": [4294967295]}, "eventsPerOutput": {"A": \#(top)}}"#)
        let one = try DQMSummary.read(path: path, lfn: "/store/big.root")
        let merged = DQMSummary.merged(Array(repeating: one, count: 1000), workflow: "M")
        #expect(merged.eventsRead == top * 1000)
    }

    @Test func notARegularFileOrTooBigIsAFileOpenError() throws {
        let fifo = folder + "/fifo.root"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(failure(fifo)?.code == RuntimeExitCodes.fileOpenError, "a FIFO is not read (and does not block)")
        #expect(!DQMSummary.isSummary(path: fifo))
        let target = try file("target.root", valid)
        let link = folder + "/link.root"
        #expect(symlink(target, link) == 0)
        #expect(failure(link)?.code == RuntimeExitCodes.fileOpenError, "a link is not followed")
        #expect(failure(folder)?.code == RuntimeExitCodes.fileOpenError, "a directory")
        #expect(failure(folder + "/missing.root")?.code == RuntimeExitCodes.fileOpenError)
        let padding = String(repeating: " ", count: DQMSummary.sizeLimit)
        let big = try file("big.root", valid + padding)
        let tooBig = try #require(failure(big))
        #expect(tooBig.code == RuntimeExitCodes.fileOpenError && tooBig.type == "FileOpenError")
        #expect(tooBig.details.contains(big) && tooBig.details.contains("/store/x.root"))
        #expect(try DQMSummary.read(path: file("fits.root", valid + String(padding.dropFirst(valid.utf8.count))), lfn: "x").eventsRead == 10,
                "exactly the limit still reads")
    }

    @Test func malformedOrOutOfRangeMembersAreAFileReadErrorNamingTheMember() throws {
        let cases: [(String, String)] = [
            ("{not json", "document"),
            (#"[1, 2]"#, "document"),
            (#"{"workflow": "W", "eventsRead": 1, "lumisPerRun": {}, "eventsPerOutput": {}, "extra": 1}"#, "extra"),
            (#"{"eventsRead": 1, "lumisPerRun": {}, "eventsPerOutput": {}}"#, "workflow"),
            (#"{"workflow": 3, "eventsRead": 1, "lumisPerRun": {}, "eventsPerOutput": {}}"#, "workflow"),
            (#"{"workflow": "W", "eventsRead": -1, "lumisPerRun": {}, "eventsPerOutput": {}}"#, "eventsRead"),
            (#"{"workflow": "W", "eventsRead": 1099511627777, "lumisPerRun": {}, "eventsPerOutput": {}}"#, "eventsRead"),
            (#"{"workflow": "W", "eventsRead": 1e300, "lumisPerRun": {}, "eventsPerOutput": {}}"#, "eventsRead"),
            (#"{"workflow": "W", "eventsRead": 1.5, "lumisPerRun": {}, "eventsPerOutput": {}}"#, "eventsRead"),
            (#"{"workflow": "W", "eventsRead": 1, "lumisPerRun": [], "eventsPerOutput": {}}"#, "lumisPerRun"),
            (#"{"workflow": "W", "eventsRead": 1, "lumisPerRun": {"0": [1]}, "eventsPerOutput": {}}"#, "lumisPerRun.0"),
            (#"{"workflow": "W", "eventsRead": 1, "lumisPerRun": {"x": [1]}, "eventsPerOutput": {}}"#, "lumisPerRun.x"),
            (#"{"workflow": "W", "eventsRead": 1, "lumisPerRun": {"4294967296": [1]}, "eventsPerOutput": {}}"#, "lumisPerRun.4294967296"),
            (#"{"workflow": "W", "eventsRead": 1, "lumisPerRun": {"7": 3}, "eventsPerOutput": {}}"#, "lumisPerRun.7"),
            (#"{"workflow": "W", "eventsRead": 1, "lumisPerRun": {"7": [0]}, "eventsPerOutput": {}}"#, "lumisPerRun.7"),
            (#"{"workflow": "W", "eventsRead": 1, "lumisPerRun": {"7": ["1"]}, "eventsPerOutput": {}}"#, "lumisPerRun.7"),
            (#"{"workflow": "W", "eventsRead": 1, "lumisPerRun": {}}"#, "eventsPerOutput"),
            (#"{"workflow": "W", "eventsRead": 1, "lumisPerRun": {}, "eventsPerOutput": {"A": -3}}"#, "eventsPerOutput.A"),
            (#"{"workflow": "W", "eventsRead": 1, "lumisPerRun": {}, "eventsPerOutput": {"A": 99999999999999999999}}"#, "eventsPerOutput.A"),
        ]
        for (index, (text, member)) in cases.enumerated() {
            let path = try file("bad\(index).root", text)
            let refusal = failure(path)
            #expect(refusal?.code == RuntimeExitCodes.fileReadError && refusal?.type == "FileReadError", "\(text)")
            #expect(refusal?.details.contains(path) == true && refusal?.details.contains("not a DQM summary: \(member):") == true,
                    "\(text): \(refusal?.details ?? "read")")
        }
    }
}
