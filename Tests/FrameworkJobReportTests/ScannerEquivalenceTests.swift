import Foundation
import Testing
import TestSupport
@testable import FrameworkJobReport

/// The byte scanner reads every real report exactly as the former `XMLParser` path did, and refuses
/// every truncated copy of them.
@Suite struct ScannerEquivalenceTests {
    static let completeFixtures = ["CMSSWProcessingReport", "CMSSWFailReport", "CMSSWMergeReport", "CMSSWPileup",
                                   "CMSSWSkippedAll", "PerformanceReport"]

    @Test(arguments: completeFixtures)
    func fixtureReadsAsXMLParserReadIt(name: String) throws {
        let data = try Fixture.data(name)
        let scanned = try FrameworkJobReportReader().read(data: data, source: "\(name).xml")
        let oracle = try #require(XMLParserOracle.report(data))
        #expect(scanned == oracle)
        #expect(scanned.jsonSummary() == oracle.jsonSummary())
        #expect(scanned.parameters == oracle.parameters)
        #expect(scanned.errors.map(\.details) == oracle.errors.map(\.details))
    }

    @Test func writtenReportReadsAsXMLParserReadIt() throws {
        let data = try RoundTripTests.richReport().xmlData()
        let scanned = try FrameworkJobReportReader().read(data: data, source: "written.xml")
        #expect(scanned == XMLParserOracle.report(data))
        #expect(scanned == RoundTripTests.richReport())
    }

    @Test func truncatedFixtureIsRefusedByBothPaths() throws {
        let data = try Fixture.data("CMSSWFailReport2")
        #expect(XMLParserOracle.report(data) == nil)
        #expect(throws: ReportReadError.self) { try FrameworkJobReportReader().read(data: data, source: "t.xml") }
    }

    /// Every cut before the root's closing `>` leaves a document that is not well-formed.
    @Test func everyTruncationOfASmallReportIsRefused() throws {
        let data = try Fixture.data("CMSSWSkippedAll")
        let end = try Self.endOfRoot(data)
        for cut in 0..<end { try Self.expectRefused(data.prefix(cut), cut: cut) }
    }

    @Test(arguments: completeFixtures)
    func randomTruncationsAreRefused(name: String) throws {
        let data = try Fixture.data(name)
        let end = try Self.endOfRoot(data)
        var random = SeededGenerator(seed: UInt64(name.utf8.count) &* 0x9E37_79B9)
        for _ in 0..<200 {
            let cut = Int(random.next() % UInt64(end))
            try Self.expectRefused(data.prefix(cut), cut: cut)
        }
    }

    /// The offset just past `</FrameworkJobReport>`.
    static func endOfRoot(_ data: Data) throws -> Int {
        try #require(data.range(of: Data("</FrameworkJobReport>".utf8), options: .backwards)).upperBound
    }

    static func expectRefused(_ prefix: Data, cut: Int) throws {
        do {
            _ = try FrameworkJobReportReader().read(data: Data(prefix), source: "cut.xml")
            Issue.record("a report cut at byte \(cut) was accepted")
        } catch {
            switch error {
            case .emptyDocument: #expect(prefix.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
            case .malformedXML(let source, let line, _, _):
                #expect(source == "cut.xml")
                #expect(line != nil, "cut at \(cut): \(error)")
            default: Issue.record("cut at \(cut): unexpected \(error)")
            }
        }
    }
}
